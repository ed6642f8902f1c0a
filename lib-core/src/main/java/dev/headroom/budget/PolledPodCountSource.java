package dev.headroom.budget;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A {@link PodCountSource} that polls a {@code Supplier<Integer>} on a scheduler and caches the
 * answer, so that readers never wait for (or fail with) the supplier.
 *
 * <ul>
 *   <li>A good answer (an integer {@code >= 0}) replaces the cached count; listeners hear it if
 *       it differs.
 *   <li>An error (the supplier throws, returns null or a negative number) is counted
 *       ({@link #errors()}, {@link #lastError()}) and the last good value is kept. The first
 *       error after a success is logged at WARNING, later ones at DEBUG, the recovery at INFO.
 *   <li>{@link Builder#build()} polls once on the calling thread before it returns, so the
 *       count is known when the source is handed to a {@link PoolSizer} (unless that first poll
 *       failed: then it is unknown, and the sizer sizes for the declared maximum of pods until
 *       a poll succeeds).
 *   <li>With {@link Builder#expireAfter(Duration)}, a last good value older than that becomes
 *       unknown again: during a long outage of the API server, pods fall back to the declared
 *       maximum instead of trusting a count that may no longer be true. Without it (the
 *       default) the last good value is kept for ever.
 * </ul>
 *
 * <p>The supplier must bound its own time (an HTTP call with a request timeout): polls run one at
 * a time on the scheduler, so a supplier that hangs delays its next poll and, on the shared
 * default scheduler, the polls of other sources. A change of the fleet shows here within
 * {@link #maxDelay()}, by default twice the poll interval (one interval between polls, and at
 * most one more for the supplier to answer); declare another bound with
 * {@link Builder#maxDelay(Duration)}. A poll interval is exactly the lag a watch avoids: where a
 * watch exists (Kubernetes: {@code headroom-kubernetes}), prefer a {@link PushedPodCountSource}.
 *
 * <p>Concurrency: polls run on the scheduler and, through {@link #pollNow()}, on any caller's
 * thread. A poll, its update of the cached count and its notification of listeners happen under
 * one private lock, so that listeners hear changes one at a time and in order (a listener that
 * heard 10 then 12 never finds the cache at 10). The lock is held only by pollers, never by
 * readers: {@link #currentPods()} and every getter read volatile fields or atomics without
 * locking. A reader may see a count a poll has just replaced; it is as fresh as a read a moment
 * earlier, which is all a cache promises.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PolledPodCountSource implements PodCountSource, Instrumented {

  private static final System.Logger LOG =
      System.getLogger(PolledPodCountSource.class.getName());

  private final String name;
  private final Supplier<Integer> supplier;
  private final Duration pollInterval;
  private final Duration maxDelay;
  private final long expireAfterNanos;
  private final NanoClock clock;
  private final ScheduledExecutorService scheduler;
  private final Listeners<Listener> listeners = new Listeners<>();
  private final Object pollLock = new Object();

  private final AtomicLong successes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  /** The cached count; written under pollLock, read anywhere. */
  private volatile OptionalInt pods = OptionalInt.empty();
  /** Clock reading of the last good answer; meaningful only when {@link #everSucceeded}. */
  private volatile long lastSuccessNanos;
  private volatile boolean everSucceeded;
  private volatile String lastError = "";
  /** Written under pollLock only. */
  private boolean failing;
  private volatile ScheduledFuture<?> task;
  private volatile boolean closed;

  private PolledPodCountSource(Builder b) {
    this.name = b.name == null ? "pods" : b.name;
    this.supplier = b.supplier;
    this.pollInterval = b.pollInterval == null ? Duration.ofSeconds(5) : b.pollInterval;
    this.maxDelay = b.maxDelay == null ? pollInterval.multipliedBy(2) : b.maxDelay;
    this.expireAfterNanos = b.expireAfter == null ? Long.MAX_VALUE : b.expireAfter.toNanos();
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
    this.scheduler = b.scheduler == null ? BudgetScheduler.shared() : b.scheduler;
  }

  /**
   * Starts a source.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private void start() {
    pollNow();
    task = scheduler.scheduleWithFixedDelay(this::pollNow, pollInterval.toNanos(),
        pollInterval.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public OptionalInt currentPods() {
    return pods;
  }

  @Override
  public Duration maxDelay() {
    return maxDelay;
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public boolean removeListener(Listener listener) {
    return listeners.remove(listener);
  }

  /**
   * Polls the supplier once, now, on the calling thread, and updates the cached count. The
   * scheduler calls this every poll interval; tests and start-up code may call it directly.
   * Never throws: the supplier's errors are counted.
   */
  public void pollNow() {
    synchronized (pollLock) {
      if (closed) {
        return;
      }
      Integer answer;
      String error;
      try {
        answer = supplier.get();
        error = answer == null ? "the supplier returned null"
            : answer < 0 ? Checks.message("pods", ">= 0", answer) : null;
      } catch (RuntimeException e) {
        answer = null;
        error = e.getClass().getSimpleName() + ": " + e.getMessage();
      } catch (Error e) {
        // Out of memory or a linkage failure in the supplier: not ours to swallow.
        throw e;
      }
      OptionalInt before = pods;
      OptionalInt after;
      long now = clock.nanoTime();
      if (error == null) {
        successes.incrementAndGet();
        lastSuccessNanos = now;
        everSucceeded = true;
        if (failing) {
          failing = false;
          LOG.log(Level.INFO, "pod count source \"{0}\" recovered: {1} pods", name, answer);
        }
        after = OptionalInt.of(answer);
      } else {
        errors.incrementAndGet();
        lastError = error;
        if (!failing) {
          failing = true;
          LOG.log(Level.WARNING, "pod count source \"{0}\" failed, keeping {1}: {2}", name,
              before.isPresent() ? before.getAsInt() + " pods" : "an unknown count", error);
        } else {
          LOG.log(Level.DEBUG, "pod count source \"{0}\" failed again: {1}", name, error);
        }
        after = before.isPresent() && now - lastSuccessNanos >= expireAfterNanos
            ? OptionalInt.empty() : before;
        if (before.isPresent() && after.isEmpty()) {
          LOG.log(Level.WARNING, "pod count source \"{0}\": last good count {1} expired; the"
              + " count is unknown until the next good answer", name, before.getAsInt());
        }
      }
      if (!after.equals(before)) {
        pods = after;
        listeners.notifyEach(l -> l.podCountChanged(before, after));
      }
    }
  }

  /**
   * Returns this source's name, used in logs and as the metrics' {@code name} tag.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the number of good answers so far.
   *
   * @return a count that never decreases
   */
  public long successes() {
    return successes.get();
  }

  /**
   * Returns the number of failed polls so far: exceptions, timeouts, null or negative answers.
   *
   * @return a count that never decreases
   */
  public long errors() {
    return errors.get();
  }

  /**
   * Returns the last error, as {@code "<exception class>: <message>"} or a description.
   *
   * @return the last error, or an empty string if there was none
   */
  public String lastError() {
    return lastError;
  }

  /**
   * Returns how long ago the last good answer came.
   *
   * @return the age, or empty if there was no good answer yet
   */
  public Optional<Duration> lastSuccessAge() {
    return everSucceeded ? Optional.of(Duration.ofNanos(clock.nanoTime() - lastSuccessNanos))
        : Optional.empty();
  }

  /**
   * Returns the poll interval.
   *
   * @return the interval
   */
  public Duration pollInterval() {
    return pollInterval;
  }

  /**
   * Stops polling. The cached count stays readable. Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (pollLock) {
      closed = true;
    }
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }

  /**
   * Declares {@code headroom.budget.pod_source.polls} (counter, tag {@code outcome} =
   * {@code success} or {@code error}), {@code headroom.budget.pod_source.pods} (gauge, NaN while
   * unknown) and {@code headroom.budget.pod_source.age} (gauge, seconds since the last good
   * answer, NaN before the first), each tagged {@code name}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.counter(MeterId.of("headroom.budget.pod_source.polls").tag("name", name)
        .tag("outcome", "success").description("Good answers of the pod count source"),
        successes::get);
    sink.counter(MeterId.of("headroom.budget.pod_source.polls").tag("name", name)
        .tag("outcome", "error").description("Failed polls of the pod count source"),
        errors::get);
    sink.gauge(MeterId.of("headroom.budget.pod_source.pods").tag("name", name)
        .description("The cached pod count, NaN while unknown"), () -> {
          OptionalInt p = pods;
          return p.isPresent() ? p.getAsInt() : Double.NaN;
        });
    sink.gauge(MeterId.of("headroom.budget.pod_source.age").tag("name", name).baseUnit("seconds")
        .description("Seconds since the last good answer, NaN before the first"),
        () -> everSucceeded ? (clock.nanoTime() - lastSuccessNanos) / 1e9 : Double.NaN);
  }

  @Override
  public String toString() {
    return "PolledPodCountSource[" + name + ", pods=" + pods + ", errors=" + errors + "]";
  }

  /**
   * Builds a {@link PolledPodCountSource}; {@link #build()} starts polling. Each setter
   * validates its argument and may be called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private String name;
    private Supplier<Integer> supplier;
    private Duration pollInterval;
    private Duration maxDelay;
    private Duration expireAfter;
    private NanoClock clock;
    private ScheduledExecutorService scheduler;

    private Builder() {}

    /**
     * Sets the name used in logs and metrics. Default {@code "pods"}.
     *
     * @param value the name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder name(String value) {
      Checks.requireNonBlank("name", value);
      Checks.requireNotSet(name == null, "name", name);
      name = value;
      return this;
    }

    /**
     * Sets what to poll. Required. It may throw or return null (both count as errors), and must
     * bound its own time.
     *
     * @param value the supplier of the count
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder supplier(Supplier<Integer> value) {
      Checks.requireNonNull("supplier", value);
      Checks.requireNotSet(supplier == null, "supplier", supplier);
      supplier = value;
      return this;
    }

    /**
     * Sets the delay between the end of one poll and the start of the next. Default 5 s.
     *
     * @param value the interval, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder pollInterval(Duration value) {
      Checks.requirePositive("pollInterval", value);
      Checks.requireNotSet(pollInterval == null, "pollInterval", pollInterval);
      pollInterval = value;
      return this;
    }

    /**
     * Declares the longest a change of the fleet takes to show in this source (see
     * {@link PodCountSource#maxDelay()}). Default: twice the poll interval, which holds when the
     * supplier answers within one interval.
     *
     * @param value the bound, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder maxDelay(Duration value) {
      Checks.requireNonNegative("maxDelay", value);
      Checks.requireNotSet(maxDelay == null, "maxDelay", maxDelay);
      maxDelay = value;
      return this;
    }

    /**
     * Makes a last good value older than this unknown again (checked at each failed poll).
     * Default: the last good value is kept for ever.
     *
     * @param value the age, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder expireAfter(Duration value) {
      Checks.requirePositive("expireAfter", value);
      Checks.requireNotSet(expireAfter == null, "expireAfter", expireAfter);
      expireAfter = value;
      return this;
    }

    /**
     * Sets the clock for ages and expiry. Default {@link NanoClock#system()}.
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
     * Sets the scheduler that runs the polls. Default: one daemon thread shared by every source
     * and sizer of this package. The source does not shut a given scheduler down.
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
     * Builds the source, polls once on the calling thread (so the count is known on return
     * unless that poll failed), and schedules the next polls every poll interval.
     *
     * @return the running source
     * @throws IllegalStateException if no supplier was set
     */
    public PolledPodCountSource build() {
      Checks.requireState(supplier != null, "supplier must be set");
      PolledPodCountSource source = new PolledPodCountSource(this);
      source.start();
      return source;
    }
  }
}
