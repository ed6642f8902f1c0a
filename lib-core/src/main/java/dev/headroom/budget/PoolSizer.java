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
 * <h2>The safe resizing rule</h2>
 *
 * <p>Pods do not see a new pod count at the same moment, and a pod that is told to go away keeps
 * its connections until it has shut down. Sizing each pod for "the current count" would let the
 * sum overshoot: pods that have not yet seen a scale-out keep their large pools while the
 * newcomers open theirs, and after a scale-in the remaining pods would grow while the departing
 * ones still hold connections. The sizer therefore sizes each pod for
 *
 * <pre>
 * sizedFor = min(maxPods, surge + baseline + every increase observed since the baseline)
 *   baseline = the count this pod knew holdWindow ago
 *   maxPool  = min(ceiling, floor(share / (sizedFor x poolsPerPod)))
 * </pre>
 *
 * <p>and uses the declared maximum of pods ({@code maxReplicas + surge}) whenever it cannot
 * vouch for the window: while the count is unknown, and during the pod's first
 * {@code holdWindow} (a young pod does not know who is still draining).
 *
 * <ul>
 *   <li><b>Shrink at once.</b> A larger count lowers the size immediately.
 *   <li><b>Grow late.</b> A smaller count raises the size only once the larger count has left
 *       the window, {@code holdWindow} later: by then the removed pods have closed their
 *       connections. A drop and a rise inside one window add up (10 to 1 to 10 counts 19),
 *       because the 9 pods draining and the 9 new ones hold connections at the same time.
 * </ul>
 *
 * <p><b>Guarantee.</b> The sum of the maximum pool sizes of all pods holding connections never
 * exceeds the service's share, at every moment, provided that
 * <ol>
 *   <li>every pod sees the replica count with a delay of at most {@code D} (poll interval plus
 *       request timeout; use {@link PolledPodCountSource.Builder#expireAfter} to turn a longer
 *       outage into "unknown"), and the count does not change twice within {@code D} (the HPA
 *       acts every 15 s and waits 5 minutes before scaling in);
 *   <li>a pod created for a scale-out opens its first connection no sooner than {@code D} after
 *       the replica count rose (pod scheduling and start-up take longer than a poll);
 *   <li>a pod told to go away closes its connections within {@code holdWindow} (set it to at
 *       least the termination grace period plus {@code D});
 *   <li>no more than the declared maximum of pods ({@code maxReplicas + maxSurge}) hold
 *       connections at any moment, counting pods still shutting down: declare a surge that
 *       covers the rollout's {@code maxSurge} and a scale-in followed by a scale-out within one
 *       termination grace period.
 * </ol>
 *
 * <p>Why it holds: every pod holding connections at time {@code t} was either running at
 * {@code t - holdWindow} (at most the count then, which each pod's baseline is no lower than)
 * or was created for an increase of the count since, which every pod has observed by the time
 * the newcomer connects (conditions 1 and 2); pods removed since still count through the
 * baseline until they are gone (condition 3). So each pod sizes for at least as many pods as
 * hold connections, capped at the declared maximum, which bounds them too (condition 4); and
 * {@code n} pods each sized for at least {@code n} pods fit in the share.
 *
 * <p>{@code SizerProperties} in the test sources checks this over random scaling sequences and
 * observation delays, with one sizer per simulated pod.
 *
 * <h2>Concurrency</h2>
 *
 * <p>Changes arrive from the source's polling thread, from the scheduler (a window passing) and
 * from {@link #refresh()}. Each is handled under one private lock: record the observation,
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

  private final PoolBudget budget;
  private final PoolBudget.Allocation allocation;
  private final PodCountSource source;
  private final long holdWindowNanos;
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
  private volatile PoolSize current;
  private volatile OptionalInt observed = OptionalInt.empty();
  private boolean closed;

  private record Observation(long atNanos, OptionalInt pods) {}

  private PoolSizer(Builder b, PoolBudget.Allocation allocation) {
    this.budget = b.budget;
    this.allocation = allocation;
    this.source = b.source;
    this.holdWindowNanos = (b.holdWindow == null ? Duration.ofSeconds(60) : b.holdWindow)
        .toNanos();
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
    this.scheduler = b.scheduler == null ? BudgetScheduler.shared() : b.scheduler;
    this.staticFinding = b.staticPoolSize > 0
        ? budget.checkStaticPool(allocation.service().name(), b.staticPoolSize).orElse(null)
        : null;
    int maxPods = allocation.service().maxPods();
    this.current = new PoolSize(allocation.maxPoolSize(), allocation.minIdle(), maxPods);
  }

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
      record(source.currentPods());
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
    history.addLast(new Observation(now, pods));
    recompute(now);
    try {
      scheduler.schedule(this::refresh, holdWindowNanos + 1, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // A scheduler shut down under a live sizer: the size stays safe (late growth is only
      // later), and is re-evaluated at the next change or refresh().
      LOG.log(Level.WARNING, "service \"{0}\": the scheduler refused the re-evaluation at the"
          + " end of the hold window ({1}); pools grow back at the next change",
          allocation.service().name(), e.toString());
    }
  }

  /**
   * Re-evaluates the size now. The sizer calls this itself when a count changes and when an
   * observation leaves the hold window; call it directly only when driving a test clock.
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
    PoolSize before = current;
    PoolSize after = new PoolSize(
        budget.maxPoolSizeFor(allocation.service().name(), pods), allocation.minIdle(), pods);
    current = after;
    if (after.maxPoolSize() != before.maxPoolSize() || after.minIdle() != before.minIdle()) {
      (after.maxPoolSize() < before.maxPoolSize() ? shrinks : grows).incrementAndGet();
      LOG.log(Level.DEBUG, "service \"{0}\": pool size {1} -> {2} (sized for {3} pods)",
          allocation.service().name(), before.maxPoolSize(), after.maxPoolSize(), pods);
      listeners.notifyEach(l -> l.poolSizeChanged(before, after));
    }
  }

  /** Under lock: the rule in the class comment. */
  private int sizedFor(long now) {
    PoolBudget.Service service = allocation.service();
    int maxPods = service.maxPods();
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
    Observation baseline = history.peekFirst();
    if (baseline == null || now - baseline.atNanos() < holdWindowNanos) {
      return maxPods; // younger than the window: cannot vouch for pods still draining
    }
    long count = 0;
    int previous = -1;
    for (Observation o : history) {
      if (o.pods().isEmpty()) {
        return maxPods;
      }
      int p = o.pods().getAsInt();
      count += previous < 0 ? p : Math.max(0, p - previous);
      previous = p;
    }
    return (int) Math.max(1, Math.min(maxPods, count + service.maxSurge()));
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
   * @return {@code >= 1}
   */
  public int maxPoolSize() {
    return current.maxPoolSize();
  }

  /**
   * Returns this pod's minimum idle connections now.
   *
   * @return {@code >= 1} and {@code <= maxPoolSize()}
   */
  public int minIdle() {
    return current.minIdle();
  }

  /**
   * Returns the pod count the current size is for (see the rule in the class comment).
   *
   * @return {@code >= 1} and {@code <= maxPods}
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
   * Stops listening to the source (which it does not close) and stops re-evaluating. The last
   * size stays readable. Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
    source.removeListener(sourceListener);
  }

  /**
   * Declares, each tagged {@code name} (the service): {@code headroom.budget.pool.max_size} and
   * {@code headroom.budget.pool.min_idle} (gauges, connections per pool);
   * {@code headroom.budget.pods.observed} (gauge, NaN while unknown);
   * {@code headroom.budget.pods.sized_for} (gauge); {@code headroom.budget.share} (gauge, the
   * service's connections); {@code headroom.budget.resizes} (counter, tag {@code direction} =
   * {@code shrink} or {@code grow}); {@code headroom.budget.static_pool.excess} (gauge,
   * connections by which the static pool size given at start-up exceeds the share, 0 if none).
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
   * @param maxPoolSize the per-pod maximum pool size (for each pool of the pod), {@code >= 1}
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
     * Sets where the pod count comes from. Required. The sizer does not close it.
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
     * Sets how long a larger pod count is remembered before pools grow back: at least the pods'
     * termination grace period plus the source's staleness. Default 60 s (Kubernetes' default
     * grace period of 30 s, plus polls).
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
     * Builds the sizer, reads the source's current count and subscribes to its changes.
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
