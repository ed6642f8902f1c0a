package dev.headroom.budget;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A discrete-time model of one service's fleet, with one real {@link PoolSizer} per simulated
 * pod, used by {@link SizerProperties} and {@link PoolSizerTest}. One tick is one second of the
 * shared {@link ManualClock}.
 *
 * <p>The model:
 * <ul>
 *   <li>the replica count R follows a given sequence; the controller creates pods when R rises
 *       (each pod object exists from that tick) and marks random pods for removal when it falls;
 *   <li>a pod's process starts, and builds its sizer, {@code boot} ticks after the pod object
 *       was created: a random time per pod, possibly shorter than the count delay; from then on
 *       it holds as many connections as its sizer allows (0 during the start-up hold);
 *   <li>a removed pod holds its connections for {@code drain} more ticks, then is gone;
 *   <li>{@code surge} extra pods (a rollout always in progress: the worst case) hold connections
 *       throughout;
 *   <li>the count each pod sees is, per {@link Kind}, the desired count R or the number of pods
 *       that exist (terminating and surge pods included), with its own random delay of at most
 *       {@code staleness} ticks, never going back in time; the sizer is told a delay of
 *       {@code declaredDelay} ticks (equal to the staleness unless a test shows what a smaller
 *       declaration costs).
 * </ul>
 *
 * <p>At every tick, after every pod has seen its observation, {@link #run} checks with
 * {@link BudgetInvariants#checkWithinShare} that the pools of the pods holding connections fit in
 * the service's share, and returns the worst total seen.
 */
final class ScalingSimulation {

  /**
   * The model's pods go above the declared maximum on purpose, thousands of times per property;
   * each sizer's WARNING about it is tested in {@link PoolSizerTest}, and kept out of the log
   * here (a strong reference, so the level sticks).
   */
  private static final java.util.logging.Logger QUIET = quiet();

  private static java.util.logging.Logger quiet() {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(
        PoolSizer.class.getName());
    logger.setLevel(java.util.logging.Level.SEVERE);
    return logger;
  }

  /** What the pods' count counts. */
  enum Kind {
    /** The desired replica count: a pod leaves it as soon as it is told to stop. */
    DESIRED,
    /** The pods that exist: a pod stays counted until it is gone. */
    EXISTING
  }

  /** One step of the replica count: hold {@code replicas} for {@code ticks}. */
  record Step(int replicas, int ticks) {}

  private final PoolBudget budget;
  private final String service;
  private final Kind kind;
  private final int staleness;
  private final int declaredDelay;
  private final int bootMax;
  private final int drain;
  private final Duration holdWindow; // null: the sizer's default
  private final boolean capAtDeclaredMaximum;
  private final Random random;

  private final ManualClock clock = new ManualClock(0);
  /** The count the pods' source reports, per tick. */
  private final List<Integer> counts = new ArrayList<>();
  private final List<Pod> pods = new ArrayList<>();
  private int tick;

  /**
   * Creates a simulation.
   *
   * @param capAtDeclaredMaximum whether the platform keeps the pods at most
   *     {@code maxReplicas + surge} (pending pods wait), as the last part of the guarantee's
   *     condition 4 asks for a desired count
   */
  ScalingSimulation(PoolBudget budget, String service, Kind kind, int staleness,
      int declaredDelay, int bootMax, int drain, Duration holdWindow,
      boolean capAtDeclaredMaximum, long seed) {
    this.budget = budget;
    this.service = service;
    this.kind = kind;
    this.staleness = staleness;
    this.declaredDelay = declaredDelay;
    this.bootMax = bootMax;
    this.drain = drain;
    this.holdWindow = holdWindow;
    this.capAtDeclaredMaximum = capAtDeclaredMaximum;
    this.random = new Random(seed);
    QUIET.fine("simulation seeded with " + seed);
  }

  private final class Pod {
    final SettablePodCountSource source = new SettablePodCountSource()
        .maxDelay(Duration.ofSeconds(declaredDelay))
        .includesTerminatingPods(kind == Kind.EXISTING);
    final int startsAt;
    final boolean surge;
    PoolSizer sizer;
    int removedAt = -1;
    int sampledAt;

    Pod(int createdAt, boolean surge, int boot) {
      this.surge = surge;
      this.startsAt = createdAt + boot;
    }

    /** Whether the pod's process holds connections: started, and not past its drain. */
    boolean holds(int now) {
      return sizer != null && (removedAt < 0 || now < removedAt + drain);
    }

    boolean gone(int now) {
      return removedAt >= 0 && now >= removedAt + drain;
    }

    void observe(int now, ScheduledThreadPoolExecutor scheduler) {
      if (sizer == null) {
        if (now < startsAt) {
          return;
        }
        sampledAt = Math.max(0, now - random.nextInt(staleness + 1));
        source.set(counts.get(sampledAt));
        PoolSizer.Builder b = PoolSizer.builder().budget(budget).service(service)
            .podCountSource(source).clock(clock).scheduler(scheduler);
        if (holdWindow != null) {
          b.holdWindow(holdWindow);
        }
        sizer = b.build();
        return;
      }
      int sample = Math.max(sampledAt, now - random.nextInt(staleness + 1));
      sampledAt = sample;
      source.set(counts.get(sample));
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
      for (int i = 0; i < first + surge; i++) {
        // The service was running before: its pods exist and start within the first ticks.
        pods.add(new Pod(-bootMax - 1, i >= first, 0));
      }
      for (Step step : steps) {
        for (int t = 0; t < step.ticks(); t++) {
          worst = Math.max(worst, tick(step.replicas(), scheduler, share, poolsPerPod));
        }
      }
      for (Pod pod : pods) {
        if (pod.sizer != null) {
          pod.sizer.close();
        }
      }
    } finally {
      scheduler.shutdownNow();
    }
    return worst;
  }

  private int tick(int replicas, ScheduledThreadPoolExecutor scheduler, int share,
      int poolsPerPod) {
    int now = tick;
    clock.advance(tick == 0 ? 0 : 1_000_000_000L);
    pods.removeIf(p -> p.gone(now));
    List<Pod> running = new ArrayList<>();
    for (Pod p : pods) {
      if (!p.surge && p.removedAt < 0) {
        running.add(p);
      }
    }
    int maxPods = budget.allocation(service).service().maxPods();
    for (int i = running.size(); i < replicas; i++) {
      if (capAtDeclaredMaximum && pods.size() >= maxPods) {
        break; // pending until a pod is gone
      }
      pods.add(new Pod(now, false, random.nextInt(bootMax + 1)));
    }
    for (int i = running.size(); i > replicas; i--) {
      running.remove(random.nextInt(running.size())).removedAt = now;
    }
    counts.add(kind == Kind.DESIRED ? replicas : pods.size());
    for (Pod p : pods) {
      p.observe(now, scheduler);
    }
    List<Integer> sizes = new ArrayList<>();
    for (Pod p : pods) {
      if (p.holds(now)) {
        sizes.add(p.sizer.maxPoolSize());
      }
    }
    BudgetInvariants.checkWithinShare(share, poolsPerPod, sizes, "tick " + now + ", " + kind
        + " counts " + counts + ", staleness " + staleness + " (declared " + declaredDelay
        + "), boot up to " + bootMax + ", drain " + drain + ", hold window "
        + (holdWindow == null ? "default" : holdWindow.toSeconds() + " s"));
    tick++;
    int total = 0;
    for (int size : sizes) {
      total += size * poolsPerPod;
    }
    return total;
  }
}
