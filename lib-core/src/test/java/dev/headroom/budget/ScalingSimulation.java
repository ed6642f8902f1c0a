package dev.headroom.budget;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A discrete-time model of one service scaling on a cluster, with one real {@link PoolSizer} per
 * simulated pod, used by {@link SizerProperties} and {@link PoolSizerTest}. One tick is one
 * second of the shared {@link ManualClock}.
 *
 * <p>The model follows the assumptions of {@link PoolSizer}'s guarantee:
 * <ul>
 *   <li>the replica count R follows a given sequence; the controller creates pods when R rises
 *       and marks random pods for removal when it falls;
 *   <li>a created pod opens connections {@code startup} ticks later; a removed pod holds its
 *       connections for {@code drain} more ticks;
 *   <li>{@code surge} extra pods (a rollout always in progress: the worst case) hold connections
 *       throughout;
 *   <li>every pod sees R with its own random delay of at most {@code staleness} ticks, never
 *       going back in time (a cached poll is replaced by a newer one).
 * </ul>
 *
 * <p>At every tick, after every pod has seen its observation, {@link #run} checks with
 * {@link BudgetInvariants#checkWithinShare} that the pools of the pods holding connections fit in
 * the service's share, and returns the worst total seen.
 */
final class ScalingSimulation {

  /** One step of the replica count: hold {@code replicas} for {@code ticks}. */
  record Step(int replicas, int ticks) {}

  private final PoolBudget budget;
  private final String service;
  private final int staleness;
  private final int startup;
  private final int drain;
  private final Duration holdWindow;
  private final Random random;

  private final ManualClock clock = new ManualClock(0);
  private final List<Integer> history = new ArrayList<>();
  private final List<Pod> pods = new ArrayList<>();
  private int tick;

  ScalingSimulation(PoolBudget budget, String service, int staleness, int startup, int drain,
      Duration holdWindow, long seed) {
    this.budget = budget;
    this.service = service;
    this.staleness = staleness;
    this.startup = startup;
    this.drain = drain;
    this.holdWindow = holdWindow;
    this.random = new Random(seed);
  }

  private final class Pod {
    final SettablePodCountSource source = new SettablePodCountSource();
    final PoolSizer sizer;
    final int holdsFrom;
    final boolean surge;
    int removedAt = -1;
    int sampledAt;

    Pod(int createdAt, boolean surge, ScheduledThreadPoolExecutor scheduler) {
      this.surge = surge;
      this.holdsFrom = createdAt + startup;
      this.sampledAt = Math.max(0, createdAt - random.nextInt(staleness + 1));
      source.set(history.get(sampledAt));
      this.sizer = PoolSizer.builder().budget(budget).service(service).podCountSource(source)
          .holdWindow(holdWindow).clock(clock).scheduler(scheduler).build();
    }

    boolean holds(int now) {
      return now >= holdsFrom && (removedAt < 0 || now < removedAt + drain);
    }

    boolean gone(int now) {
      return removedAt >= 0 && now >= removedAt + drain;
    }

    void observe(int now) {
      int sample = Math.max(sampledAt, now - random.nextInt(staleness + 1));
      sampledAt = sample;
      source.set(history.get(sample));
      sizer.refresh();
    }
  }

  /**
   * Runs the steps, checking the budget at every tick.
   *
   * @return the largest total of connections held at any tick
   * @throws AssertionError if the total exceeded the share at some tick
   */
  int run(List<Step> steps) {
    PoolBudget.Allocation allocation = budget.allocation(service);
    int share = allocation.share();
    int poolsPerPod = allocation.service().poolsPerPod();
    int surge = allocation.service().maxSurge();
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    int worst = 0;
    try {
      int first = steps.get(0).replicas();
      history.add(first);
      for (int i = 0; i < first + surge; i++) {
        // The service was already running: its pods hold connections from the start.
        pods.add(new Pod(-startup, i >= first, scheduler));
      }
      for (Step step : steps) {
        for (int t = 0; t < step.ticks(); t++) {
          worst = Math.max(worst, tick(step.replicas(), scheduler, share, poolsPerPod));
        }
      }
      for (Pod pod : pods) {
        pod.sizer.close();
      }
    } finally {
      scheduler.shutdownNow();
    }
    return worst;
  }

  private int tick(int replicas, ScheduledThreadPoolExecutor scheduler, int share,
      int poolsPerPod) {
    if (tick > 0) {
      history.add(replicas);
    }
    int now = tick;
    clock.advance(tick == 0 ? 0 : 1_000_000_000L);
    pods.removeIf(p -> p.gone(now));
    List<Pod> running = new ArrayList<>();
    for (Pod p : pods) {
      if (!p.surge && p.removedAt < 0) {
        running.add(p);
      }
    }
    // The platform's side of the guarantee: no more than maxPods pods at once, counting those
    // still shutting down; a pod that would exceed it waits (stays pending) until one is gone.
    int maxPods = budget.allocation(service).service().maxPods();
    for (int i = running.size(); i < replicas && pods.size() < maxPods; i++) {
      pods.add(new Pod(now, false, scheduler));
    }
    for (int i = running.size(); i > replicas; i--) {
      running.remove(random.nextInt(running.size())).removedAt = now;
    }
    for (Pod p : pods) {
      p.observe(now);
    }
    List<Integer> sizes = new ArrayList<>();
    for (Pod p : pods) {
      if (p.holds(now)) {
        sizes.add(p.sizer.maxPoolSize());
      }
    }
    BudgetInvariants.checkWithinShare(share, poolsPerPod, sizes, "tick " + now + ", replicas "
        + history + ", staleness " + staleness + ", startup " + startup + ", drain " + drain
        + ", hold window " + holdWindow.toSeconds() + " s");
    tick++;
    int total = 0;
    for (int size : sizes) {
      total += size * poolsPerPod;
    }
    return total;
  }
}
