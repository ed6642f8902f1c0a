package dev.headroom.budget;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pod's pool size for one service, kept within a {@link PoolBudget} as the service scales:
 * combines the budget, the service's name and a {@link PodCountSource}, and tells listeners the
 * per-pod maximum pool size and minimum idle whenever they change. The JDBC wrapper resizes its
 * pool and its permits from it.
 *
 * <h2>The rule</h2>
 *
 * <p>Pods do not see a new pod count at the same moment: a count reaches each pod up to
 * {@code D} late ({@link PodCountSource#maxDelay()}, or {@link Builder#countDelay}). A new pod
 * may boot in half a second, before the others know it exists; a pod told to go away keeps its
 * connections until it has shut down. Sizing each pod for "the count it sees now" lets the sum
 * overshoot in both directions, so the sizer sizes each pod by this rule:
 *
 * <pre>
 * before start + D:  maxPool = 0                       no connection yet (the start-up hold)
 * after:             maxPool = max(1, min(ceiling, floor(share / (sizedFor x poolsPerPod))))
 *   sizedFor = baseline + every increase of the count seen since (now - W) + surge
 *   baseline = the count this pod saw at (now - W); maxReplicas if it started after (now - W)
 *   W        = the hold window; an unknown count counts as max(maxReplicas, the last count seen)
 * </pre>
 *
 * <ul>
 *   <li><b>Wait before the first connection.</b> For {@code D} after the sizer starts its size is
 *       0: by then every other pod has seen a count that includes this one and shrunk.
 *   <li><b>Shrink at once.</b> A larger count lowers the size immediately.
 *   <li><b>Grow late.</b> A smaller count raises the size only once the larger count has left
 *       the window, {@code W} later: by then the removed pods have closed their connections. A
 *       drop and a rise inside one window add up (10 to 1 to 10 counts 19), because the 9 pods
 *       draining and the 9 new ones hold connections at the same time. A count that keeps
 *       terminating pods until they are gone ({@link PodCountSource#includesTerminatingPods()},
 *       as the Kubernetes watch does) needs no window: its default is then 0.
 *   <li><b>Above the declared maximum, shrink further.</b> {@code sizedFor} is not capped at
 *       {@code maxReplicas + surge}: 16 pods of a service declared for 12 each get the share of
 *       16. The first time the count passes the declared maximum the sizer logs a WARNING with
 *       the numbers, every time it counts it ({@link #overDeclaredMaximumCount()}), and
 *       {@link #explain()} says it.
 * </ul>
 *
 * <h2>Guarantee</h2>
 *
 * <p>The maximum pool sizes of all pods holding connections add up to at most the service's
 * share at every moment, provided that:
 * <ol>
 *   <li>every pod's source shows, at each moment {@code t}, the count of some moment in
 *       {@code [t - D, t]}, never going back in time;
 *   <li>a pod is in the count before its sizer starts (a replica count rises before the pod is
 *       created; a pod ledger registers the pod before the sizer is built);
 *   <li>at most {@code surge} pods beyond the count hold connections at once (rollouts); a count
 *       of the pods that exist covers them itself;
 *   <li>for a count that drops a pod as soon as it is told to stop: a removed pod closes its
 *       connections within {@code W} of the drop, and the count does not fall and rise again
 *       within {@code D} (the HPA waits 5 minutes before scaling in); and a pod younger than
 *       {@code W}, which cannot see pods draining from before it started, holds connections
 *       only while at most {@code maxReplicas + surge} pods do;
 *   <li>one connection per pool per pod fits: {@code pods x poolsPerPod <= share}. Beyond that
 *       every pod keeps 1 and the database refuses the rest, which the JDBC wrapper answers by
 *       backing off and retrying within the caller's deadline.
 * </ol>
 *
 * <p>Why it holds. Fix a moment {@code t}. A pod holding connections at {@code t} started at or
 * before {@code t - D} (the hold), so by condition 2 it is in the count from before
 * {@code t - D}. It suffices that every such pod sizes for at least {@code N}, the number of
 * pods holding connections at {@code t}: {@code N} pools of at most
 * {@code floor(share / (N x poolsPerPod))} fit in the share. A pod's {@code sizedFor} is at
 * least the last count it saw (the baseline plus every increase since is at least the last
 * value), which is the count of a moment {@code s} in {@code [t - D, t]} (condition 1).
 * <i>A count of existing pods</i>: each of the {@code N} pods existed throughout
 * {@code [t - D, t]}, so it is in the count at {@code s}: the last count seen is at least
 * {@code N}. <i>A count that drops pods when told to stop</i>: the {@code N} pods are at most
 * the surge (condition 3), the pods that ran at {@code t - W} (those removed earlier are gone by
 * condition 4), and one pod per unit of increase of the count in {@code (t - W, t - D]} (a pod
 * created later is still held). The pod's baseline is a count of a moment at or before
 * {@code t - W}, and its observations after it pass through the count at {@code t - W} and see
 * every increase up to {@code s >= t - D}; a dip missed between two observations would need a
 * fall and a rise within {@code D} (condition 4). So baseline plus increases plus surge is at
 * least {@code N}. A pod younger than {@code W} uses {@code maxReplicas} as its baseline, which
 * bounds the pods of {@code t - W} by the last part of condition 4.
 *
 * <p>{@code SizerProperties} in the test sources checks this with one real sizer per simulated
 * pod, over random scaling sequences (above the declared maximum too), boot times shorter and
 * longer than {@code D}, drain times and per-pod count delays up to {@code D}, for both kinds of
 * count.
 *
 * <h2>Control loop</h2>
 *
 * <p>Signal: the pod count from the source, as pushed or polled. Reaction: a larger count shrinks
 * the size in the same call that delivers it; a smaller one grows it {@code W} later (a
 * re-evaluation is scheduled for the moment each observation leaves the window). It cannot stay
 * stuck: every observation schedules its own re-evaluation at the end of the window and at the
 * end of the start-up hold, and the history is trimmed to the observations inside the window
 * plus one, so the size always returns to the one the current count allows.
 *
 * <h2>Concurrency</h2>
 *
 * <p>Changes arrive from the source's thread, from the scheduler (a window passing) and from
 * {@link #refresh()}. Each is handled under one private lock: record the observation,
 * recompute, publish the new {@link PoolSize} in a volatile field, and notify listeners, so that
 * listeners hear sizes one at a time and in order (a listener never applies a stale shrink after
 * a newer grow). The lock is never taken by readers: {@link #current()} and every getter read the
 * volatile snapshot, which is immutable, so a reader sees a whole size, never half of two.
 * Listeners run under the lock and must return quickly; they may read the sizer's getters.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PoolSizer implements Instrumented, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(PoolSizer.class.getName());
  /** The count beyond which a pod count is "above the declared maximum", per kind of count. */
  private final int declaredMaximum;

  private final PoolBudget budget;
  private final PoolBudget.Allocation allocation;
  private final PodCountSource source;
  private final boolean ownsSource;
  private final long holdWindowNanos;
  private final long countDelayNanos;
  private final NanoClock clock;
  private final ScheduledExecutorService scheduler;
  private final StaticPoolFinding staticFinding;
  private final Listeners<Listener> listeners = new Listeners<>();
  private final PodCountSource.Listener sourceListener = this::onPodCountChanged;
  private final Object lock = new Object();

  /** Observations in order of arrival, trimmed to the baseline plus later ones; under lock. */
  private final ArrayDeque<Observation> history = new ArrayDeque<>();
  private final AtomicLong shrinks = new AtomicLong();
  private final AtomicLong grows = new AtomicLong();
  private final AtomicLong overDeclared = new AtomicLong();
  private final AtomicLong overCapacity = new AtomicLong();
  private volatile PoolSize current;
  private volatile OptionalInt observed = OptionalInt.empty();
  private volatile long startNanos;
  private volatile boolean admitted;
  /** Under lock: whether the last count seen was above the declared maximum. */
  private boolean above;
  /** Under lock: whether the last size could not fit one connection per pool per pod. */
  private boolean beyondCapacity;
  /** Under lock: whether the WARNING for either condition was logged already. */
  private boolean warnedAbove;
  private boolean warnedCapacity;
  private boolean closed;

  /**
   * One observation: when it arrived, and the count it stands for (an unknown count stands for
   * the declared maximum or the last count seen, whichever is larger).
   */
  private record Observation(long atNanos, int pods, boolean unknown) {}

  private PoolSizer(Builder b, PoolBudget.Allocation allocation) {
    this.budget = b.budget;
    this.allocation = allocation;
    this.source = b.source;
    this.ownsSource = b.ownsSource;
    Duration window = b.holdWindow != null ? b.holdWindow
        : source.includesTerminatingPods() ? Duration.ZERO : DEFAULT_HOLD_WINDOW;
    this.holdWindowNanos = window.toNanos();
    this.countDelayNanos = (b.countDelay != null ? b.countDelay : source.maxDelay()).toNanos();
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
    this.scheduler = b.scheduler == null ? BudgetScheduler.shared() : b.scheduler;
    this.staticFinding = b.staticPoolSize > 0
        ? budget.checkStaticPool(allocation.service().name(), b.staticPoolSize).orElse(null)
        : null;
    PoolBudget.Service service = allocation.service();
    this.declaredMaximum = source.includesTerminatingPods() ? service.maxPods()
        : service.maxReplicas();
    this.current = new PoolSize(0, 0, service.maxPods());
  }

  /** The hold window when the source drops pods as soon as they are told to stop: 60 s. */
  public static final Duration DEFAULT_HOLD_WINDOW = Duration.ofSeconds(60);

  /**
   * Starts a sizer.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private void start() {
    if (staticFinding != null) {
      LOG.log(Level.WARNING, staticFinding.message());
    }
    source.addListener(sourceListener);
    synchronized (lock) {
      startNanos = clock.nanoTime();
      admitted = countDelayNanos == 0;
      record(source.currentPods());
      if (!admitted) {
        schedule(countDelayNanos);
      }
    }
  }

  private void onPodCountChanged(OptionalInt previous, OptionalInt now) {
    synchronized (lock) {
      if (!closed) {
        record(now);
      }
    }
  }

  /** Under lock: appends an observation, recomputes, and schedules the window's passing. */
  private void record(OptionalInt pods) {
    long now = clock.nanoTime();
    observed = pods;
    int value;
    if (pods.isPresent()) {
      value = pods.getAsInt();
    } else {
      Observation last = history.peekLast();
      value = Math.max(allocation.service().maxReplicas(), last == null ? 0 : last.pods());
    }
    history.addLast(new Observation(now, value, pods.isEmpty()));
    noteDeclaredMaximum(pods);
    recompute(now);
    if (holdWindowNanos > 0) {
      schedule(holdWindowNanos + 1);
    }
  }

  /** Under lock: asks the scheduler for a re-evaluation after {@code delayNanos}. */
  private void schedule(long delayNanos) {
    try {
      scheduler.schedule(this::refresh, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // A scheduler shut down under a live sizer: the size stays safe (late growth is only
      // later), and is re-evaluated at the next change or refresh().
      LOG.log(Level.WARNING, "service \"{0}\": the scheduler refused a re-evaluation ({1}); the"
          + " pool grows back at the next change", allocation.service().name(), e.toString());
    }
  }

  /** Under lock: counts and reports a count above the declared maximum, once per episode. */
  private void noteDeclaredMaximum(OptionalInt pods) {
    boolean nowAbove = pods.isPresent() && pods.getAsInt() > declaredMaximum;
    if (nowAbove && !above) {
      overDeclared.incrementAndGet();
      PoolBudget.Service s = allocation.service();
      String message = "service \"" + s.name() + "\": " + pods.getAsInt() + " pods, above the"
          + " declared maximum of " + declaredMaximum + " (maxReplicas " + s.maxReplicas()
          + (declaredMaximum == s.maxPods() ? " + surge " + s.maxSurge() : "") + "); every pool"
          + " shrinks to the share of the live count; raise maxReplicas in the budget to the"
          + " HPA's maxReplicas";
      LOG.log(warnedAbove ? Level.DEBUG : Level.WARNING, message);
      warnedAbove = true;
    }
    above = nowAbove;
  }

  /**
   * Re-evaluates the size now. The sizer calls this itself when a count changes, when an
   * observation leaves the hold window and when the start-up hold ends; call it directly only
   * when driving a test clock.
   */
  public void refresh() {
    synchronized (lock) {
      if (!closed) {
        recompute(clock.nanoTime());
      }
    }
  }

  /** Under lock. */
  private void recompute(long now) {
    int pods = sizedFor(now);
    PoolBudget.Service service = allocation.service();
    if (!admitted && now - startNanos >= countDelayNanos) {
      admitted = true;
    }
    PoolSize before = current;
    PoolSize after;
    if (!admitted) {
      after = new PoolSize(0, 0, pods);
    } else {
      int max = budget.maxPoolSizeFor(service.name(), pods);
      after = new PoolSize(max, Math.min(allocation.minIdle(), max), pods);
      boolean fits = budget.fitsOnePerPool(service.name(), pods);
      if (!fits && !beyondCapacity) {
        overCapacity.incrementAndGet();
        LOG.log(warnedCapacity ? Level.DEBUG : Level.WARNING, "service \"{0}\": sized for {1}"
            + " pods x {2} pools, more than its share of {3} connections holds at one each;"
            + " every pool keeps 1 and the database refuses the rest",
            service.name(), pods, service.poolsPerPod(), allocation.share());
        warnedCapacity = true;
      }
      beyondCapacity = !fits;
    }
    current = after;
    if (after.maxPoolSize() != before.maxPoolSize() || after.minIdle() != before.minIdle()) {
      if (before.maxPoolSize() > 0) {
        (after.maxPoolSize() < before.maxPoolSize() ? shrinks : grows).incrementAndGet();
      }
      LOG.log(Level.DEBUG, "service \"{0}\": pool size {1} -> {2} (sized for {3} pods)",
          service.name(), before.maxPoolSize(), after.maxPoolSize(), pods);
      listeners.notifyEach(l -> l.poolSizeChanged(before, after));
    }
  }

  /** Under lock: the rule in the class comment. */
  private int sizedFor(long now) {
    PoolBudget.Service service = allocation.service();
    // Keep exactly one observation at or before the window's start: the baseline.
    while (history.size() >= 2) {
      Iterator<Observation> it = history.iterator();
      it.next();
      if (now - it.next().atNanos() >= holdWindowNanos) {
        history.removeFirst();
      } else {
        break;
      }
    }
    boolean young = now - startNanos < holdWindowNanos;
    long count = young ? service.maxReplicas() : 0;
    int previous = young ? service.maxReplicas() : -1;
    for (Observation o : history) {
      count += previous < 0 ? o.pods() : Math.max(0, o.pods() - previous);
      previous = o.pods();
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, count + service.maxSurge()));
  }

  /**
   * Returns the current size: maximum pool size, minimum idle and the pod count it is sized for.
   *
   * @return an immutable snapshot
   */
  public PoolSize current() {
    return current;
  }

  /**
   * Returns this pod's maximum pool size now.
   *
   * @return {@code >= 1}, or 0 during the start-up hold
   */
  public int maxPoolSize() {
    return current.maxPoolSize();
  }

  /**
   * Returns this pod's minimum idle connections now.
   *
   * @return {@code <= maxPoolSize()}
   */
  public int minIdle() {
    return current.minIdle();
  }

  /**
   * Returns the pod count the current size is for (see the rule in the class comment).
   *
   * @return {@code >= 1}; above {@code maxReplicas + surge} when the count is above the
   *     declared maximum
   */
  public int sizedForPods() {
    return current.sizedForPods();
  }

  /**
   * Returns the pod count last observed from the source.
   *
   * @return the count, or empty while unknown
   */
  public OptionalInt observedPods() {
    return observed;
  }

  /**
   * Returns the budget.
   *
   * @return the budget this sizer divides
   */
  public PoolBudget budget() {
    return budget;
  }

  /**
   * Returns the service's allocation: its share, and its sizes at the declared maximum of pods.
   *
   * @return the allocation
   */
  public PoolBudget.Allocation allocation() {
    return allocation;
  }

  /**
   * Returns the service's name.
   *
   * @return the name
   */
  public String service() {
    return allocation.service().name();
  }

  /**
   * Returns the hold window.
   *
   * @return how long a larger count is remembered before pools grow back
   */
  public Duration holdWindow() {
    return Duration.ofNanos(holdWindowNanos);
  }

  /**
   * Returns the count delay {@code D}: how late the count may reach this pod, and how long the
   * sizer holds the size at 0 after it starts.
   *
   * @return the bound
   */
  public Duration countDelay() {
    return Duration.ofNanos(countDelayNanos);
  }

  /**
   * Tells whether the start-up hold is over: the pod may open connections.
   *
   * @return false for {@link #countDelay()} after the sizer started, then true
   */
  public boolean admitted() {
    return admitted;
  }

  /**
   * Returns how many times the count went above the declared maximum (episodes, not readings).
   *
   * @return a count that never decreases
   */
  public long overDeclaredMaximumCount() {
    return overDeclared.get();
  }

  /**
   * Returns how many times the size stopped fitting one connection per pool per pod in the
   * share (episodes).
   *
   * @return a count that never decreases
   */
  public long overCapacityCount() {
    return overCapacity.get();
  }

  /**
   * Writes the budget's arithmetic ({@link PoolBudget#explain()}) followed by this pod's live
   * state: the count it sees, the count it sizes for and why, the size, and whether the count
   * is above the declared maximum or beyond what one connection per pod can hold.
   *
   * @return a multi-line explanation ending with a newline
   */
  public String explain() {
    PoolBudget.Service s = allocation.service();
    PoolSize size = current;
    OptionalInt seen = observed;
    StringBuilder out = new StringBuilder(budget.explain());
    out.append("live, this pod of ").append(s.name()).append(": count ")
        .append(seen.isPresent() ? String.valueOf(seen.getAsInt()) : "unknown")
        .append(" (late by up to ").append(Duration.ofNanos(countDelayNanos).toMillis())
        .append(" ms, hold window ").append(Duration.ofNanos(holdWindowNanos).toSeconds())
        .append(" s)\n");
    if (!admitted) {
      long left = countDelayNanos - (clock.nanoTime() - startNanos);
      out.append("  start-up hold: no connection for ")
          .append(Math.max(0, Duration.ofNanos(left).toMillis()))
          .append(" ms more, until every pod has seen a count that includes this one\n");
    }
    out.append("  sized for ").append(size.sizedForPods()).append(" pods (the count of the window's")
        .append(" start plus every increase since, plus surge ").append(s.maxSurge()).append("): per-pod maximum pool size ")
        .append(size.maxPoolSize()).append(", minimum idle ").append(size.minIdle()).append('\n');
    if (seen.isPresent() && seen.getAsInt() > declaredMaximum) {
      out.append("  ABOVE THE DECLARED MAXIMUM: ").append(seen.getAsInt()).append(" pods > ")
          .append(declaredMaximum).append("; pools shrink to the share of the live count (")
          .append(allocation.share()).append(" / ").append(size.sizedForPods()).append(" x ")
          .append(s.poolsPerPod()).append("); seen ").append(overDeclared.get())
          .append(overDeclared.get() == 1 ? " time" : " times")
          .append("; raise maxReplicas in the budget\n");
    }
    if (!budget.fitsOnePerPool(s.name(), size.sizedForPods())) {
      out.append("  BEYOND CAPACITY: ").append(size.sizedForPods()).append(" pods x ")
          .append(s.poolsPerPod()).append(" pools > share ").append(allocation.share())
          .append("; each pool keeps 1 and the database refuses the rest\n");
    }
    return out.toString();
  }

  /**
   * Returns the start-up finding about the static pool size given to the builder.
   *
   * @return the finding, or empty if none was given or it fits the budget
   */
  public Optional<StaticPoolFinding> staticPoolFinding() {
    return Optional.ofNullable(staticFinding);
  }

  /**
   * Returns how many times the maximum pool size went down.
   *
   * @return a count that never decreases
   */
  public long shrinks() {
    return shrinks.get();
  }

  /**
   * Returns how many times the maximum pool size went up.
   *
   * @return a count that never decreases
   */
  public long grows() {
    return grows.get();
  }

  /**
   * Adds a listener that hears every later change of the maximum pool size or minimum idle.
   * Listeners are called one at a time, in order, and must return quickly; one that throws is
   * logged and ignored. Read {@link #current()} for the size at the time of adding.
   *
   * @param listener the listener
   * @throws IllegalArgumentException if null
   */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * Removes a listener added before.
   *
   * @param listener the listener
   * @return whether it was registered
   */
  public boolean removeListener(Listener listener) {
    return listeners.remove(listener);
  }

  /**
   * Stops listening to the source and stops re-evaluating; closes the source too if the builder
   * was told the sizer owns it ({@link Builder#ownsPodCountSource()}). The last size stays
   * readable. Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    source.removeListener(sourceListener);
    if (ownsSource) {
      source.close();
    }
  }

  /**
   * Declares, each tagged {@code name} (the service): {@code headroom.budget.pool.max_size} and
   * {@code headroom.budget.pool.min_idle} (gauges, connections per pool);
   * {@code headroom.budget.pods.observed} (gauge, NaN while unknown);
   * {@code headroom.budget.pods.sized_for} (gauge); {@code headroom.budget.share} (gauge, the
   * service's connections); {@code headroom.budget.resizes} (counter, tag {@code direction} =
   * {@code shrink} or {@code grow}); {@code headroom.budget.static_pool.excess} (gauge,
   * connections by which the static pool size given at start-up exceeds the share, 0 if none);
   * {@code headroom.budget.pods.over_declared_max} (counter, episodes of a count above the
   * declared maximum); {@code headroom.budget.over_capacity} (counter, episodes of a count that
   * one connection per pool per pod no longer fits).
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    String name = service();
    sink.gauge(MeterId.of("headroom.budget.pool.max_size").tag("name", name)
        .description("Per-pod maximum pool size"), () -> current.maxPoolSize());
    sink.gauge(MeterId.of("headroom.budget.pool.min_idle").tag("name", name)
        .description("Per-pod minimum idle connections"), () -> current.minIdle());
    sink.gauge(MeterId.of("headroom.budget.pods.observed").tag("name", name)
        .description("Pod count last observed, NaN while unknown"), () -> {
          OptionalInt p = observed;
          return p.isPresent() ? p.getAsInt() : Double.NaN;
        });
    sink.gauge(MeterId.of("headroom.budget.pods.sized_for").tag("name", name)
        .description("Pod count the pool size is computed for"), () -> current.sizedForPods());
    sink.gauge(MeterId.of("headroom.budget.share").tag("name", name)
        .description("Connections the service's pods share"), allocation::share);
    sink.counter(MeterId.of("headroom.budget.resizes").tag("name", name)
        .tag("direction", "shrink").description("Times the pool size went down"), shrinks::get);
    sink.counter(MeterId.of("headroom.budget.resizes").tag("name", name)
        .tag("direction", "grow").description("Times the pool size went up"), grows::get);
    sink.gauge(MeterId.of("headroom.budget.static_pool.excess").tag("name", name)
        .description("Connections by which the static pool size exceeds the budget"),
        () -> staticFinding == null ? 0 : staticFinding.excess());
    sink.counter(MeterId.of("headroom.budget.pods.over_declared_max").tag("name", name)
        .description("Times the pod count went above the declared maximum"), overDeclared::get);
    sink.counter(MeterId.of("headroom.budget.over_capacity").tag("name", name)
        .description("Times one connection per pool per pod stopped fitting the share"),
        overCapacity::get);
  }

  @Override
  public String toString() {
    return "PoolSizer[" + service() + ", " + current + ", observed=" + observed + "]";
  }

  /**
   * One pod's pool size.
   *
   * <p>Thread-safety: immutable.
   *
   * @param maxPoolSize the per-pod maximum pool size (for each pool of the pod), {@code >= 1},
   *     or 0 during the start-up hold
   * @param minIdle the per-pod minimum idle connections, {@code <= maxPoolSize}
   * @param sizedForPods the pod count the size is computed for
   */
  public record PoolSize(int maxPoolSize, int minIdle, int sizedForPods) {}

  /**
   * Hears pool size changes.
   *
   * <p>Thread-safety: called from the source's polling thread, the scheduler, or a caller of
   * {@link PoolSizer#refresh()}; never concurrently with itself for one sizer.
   */
  @FunctionalInterface
  public interface Listener {
    /**
     * Called after the maximum pool size or the minimum idle changed. Apply a shrink at once
     * (lower the permits and minimum idle before anything else).
     *
     * @param previous the size before
     * @param current the size now
     */
    void poolSizeChanged(PoolSize previous, PoolSize current);
  }

  /**
   * Builds a {@link PoolSizer}; {@link #build()} subscribes it to its source. Each setter
   * validates its argument and may be called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private PoolBudget budget;
    private String service;
    private PodCountSource source;
    private Duration holdWindow;
    private Duration countDelay;
    private boolean ownsSource;
    private NanoClock clock;
    private ScheduledExecutorService scheduler;
    private int staticPoolSize = -1;

    private Builder() {}

    /**
     * Sets the budget. Required.
     *
     * @param value the budget
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder budget(PoolBudget value) {
      Checks.requireNonNull("budget", value);
      Checks.requireNotSet(budget == null, "budget", budget);
      budget = value;
      return this;
    }

    /**
     * Sets the service this pod belongs to. Required; must be one of the budget's services.
     *
     * @param name the service's name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder service(String name) {
      Checks.requireNonBlank("service", name);
      Checks.requireNotSet(service == null, "service", service);
      service = name;
      return this;
    }

    /**
     * Sets where the pod count comes from. Required. The sizer does not close it unless
     * {@link #ownsPodCountSource()} is called too.
     *
     * @param value the source
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder podCountSource(PodCountSource value) {
      Checks.requireNonNull("podCountSource", value);
      Checks.requireNotSet(source == null, "podCountSource", source);
      source = value;
      return this;
    }

    /**
     * Makes {@link PoolSizer#close()} close the pod-count source as well: for a source made for
     * this sizer alone. A source shared by several pools of the pod is closed by its creator.
     *
     * @return this builder
     * @throws IllegalStateException if already called
     */
    public Builder ownsPodCountSource() {
      Checks.requireNotSet(!ownsSource, "ownsPodCountSource", ownsSource);
      ownsSource = true;
      return this;
    }

    /**
     * Sets the count delay {@code D} of the guarantee: how late a change of the fleet may reach
     * this pod. The sizer holds the size at 0 for this long after it starts, so that every other
     * pod has seen a count that includes this one before it connects. Default: the source's
     * {@link PodCountSource#maxDelay()}.
     *
     * @param value the bound, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder countDelay(Duration value) {
      Checks.requireNonNegative("countDelay", value);
      Checks.requireNotSet(countDelay == null, "countDelay", countDelay);
      countDelay = value;
      return this;
    }

    /**
     * Sets how long a larger pod count is remembered before pools grow back: at least the pods'
     * termination grace period. Default: 0 when the source keeps terminating pods in its count
     * until they are gone ({@link PodCountSource#includesTerminatingPods()}), else
     * {@link PoolSizer#DEFAULT_HOLD_WINDOW} (60 s: Kubernetes' default grace period of 30 s,
     * and as long again).
     *
     * @param value the window, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder holdWindow(Duration value) {
      Checks.requireNonNegative("holdWindow", value);
      Checks.requireNotSet(holdWindow == null, "holdWindow", holdWindow);
      holdWindow = value;
      return this;
    }

    /**
     * Sets the clock. Default {@link NanoClock#system()}.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock value) {
      Checks.requireNonNull("clock", value);
      Checks.requireNotSet(clock == null, "clock", clock);
      clock = value;
      return this;
    }

    /**
     * Sets the scheduler that re-evaluates the size when the hold window passes. Default: the
     * package's shared daemon thread. The sizer does not shut it down.
     *
     * @param value the scheduler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder scheduler(ScheduledExecutorService value) {
      Checks.requireNonNull("scheduler", value);
      Checks.requireNotSet(scheduler == null, "scheduler", scheduler);
      scheduler = value;
      return this;
    }

    /**
     * Declares the static pool size the service is configured with today, checked at
     * {@code build()} with {@link PoolBudget#checkStaticPool}: a size that exceeds the budget at
     * the declared maximum of pods is logged at WARNING and published as
     * {@code headroom.budget.static_pool.excess}.
     *
     * @param size the configured per-pod pool size, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code size <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder staticPoolSize(int size) {
      Checks.requirePositive("staticPoolSize", size);
      Checks.requireNotSet(staticPoolSize < 0, "staticPoolSize", staticPoolSize);
      staticPoolSize = size;
      return this;
    }

    /**
     * Builds the sizer, reads the source's current count and subscribes to its changes. The
     * size is 0 until the count delay has passed (see the class comment), unless it is zero.
     *
     * @return the running sizer
     * @throws IllegalStateException if the budget, service or source was not set
     * @throws IllegalArgumentException if the service is not one of the budget's
     */
    public PoolSizer build() {
      Checks.requireState(budget != null, "budget must be set");
      Checks.requireState(service != null, "service must be set");
      Checks.requireState(source != null, "podCountSource must be set");
      PoolSizer sizer = new PoolSizer(this, budget.allocation(service));
      sizer.start();
      return sizer;
    }
  }
}
