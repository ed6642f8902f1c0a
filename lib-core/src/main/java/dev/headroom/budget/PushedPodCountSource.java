package dev.headroom.budget;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link PodCountSource} that something else drives: a watch on the Kubernetes API
 * ({@code headroom-kubernetes}), a pod ledger in a shared store, a service registry. The driver
 * calls {@link #update(int)} with every count it learns, at once, and {@link #markUnknown()} when
 * it can no longer vouch for the count (its watch is down for longer than it promised); readers
 * and the {@link PoolSizer} never wait for it.
 *
 * <pre>{@code
 * PushedPodCountSource pods = PodCountSource.pushed()
 *     .name("orders")
 *     .maxDelay(Duration.ofSeconds(1))     // the driver's promise: a change shows within 1 s
 *     .includesTerminatingPods(true)       // it counts pods until they are gone
 *     .build();
 * watcher.onChange(count -> pods.update(count));
 * }</pre>
 *
 * <p>What the driver promises, through the builder, is what the sizer's guarantee rests on:
 * {@link #maxDelay()}, the longest a change of the fleet takes to reach {@link #update(int)} (the
 * driver calls {@link #markUnknown()} rather than let a count grow older than that while it
 * cannot see changes), and {@link #includesTerminatingPods()}, whether a pod stays counted until
 * its connections are gone.
 *
 * <p>Concurrency: updates may come from any thread. Each update swaps the count and notifies
 * listeners under one private lock, so that listeners hear changes one at a time and in order;
 * readers take no lock ({@link #currentPods()} is one volatile read).
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PushedPodCountSource implements PodCountSource, Instrumented {

  private final String name;
  private final Duration maxDelay;
  private final boolean includesTerminatingPods;
  private final NanoClock clock;
  private final Listeners<Listener> listeners = new Listeners<>();
  private final Object lock = new Object();
  private final AtomicLong updates = new AtomicLong();
  private final AtomicLong unknowns = new AtomicLong();

  private volatile OptionalInt pods = OptionalInt.empty();
  private volatile long lastUpdateNanos;
  private volatile boolean everUpdated;
  private boolean closed; // under lock

  private PushedPodCountSource(Builder b) {
    this.name = b.name == null ? "pods" : b.name;
    this.maxDelay = b.maxDelay;
    this.includesTerminatingPods = b.includesTerminatingPods;
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
  }

  /**
   * Starts a source.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sets the count. Listeners hear it if it differs from the count before (also when the count
   * was unknown). Does nothing after {@link #close()}.
   *
   * @param count the pods, {@code >= 0}
   * @throws IllegalArgumentException if {@code count < 0}; the count is left as it was
   */
  public void update(int count) {
    Checks.requireNonNegative("pods", count);
    set(OptionalInt.of(count));
  }

  /**
   * Makes the count unknown: the driver can no longer vouch for it (a watch that stayed down
   * longer than {@link #maxDelay()}). A {@link PoolSizer} then sizes for the declared maximum of
   * pods, or for the largest count it saw recently if that is larger. Does nothing after
   * {@link #close()}.
   */
  public void markUnknown() {
    set(OptionalInt.empty());
  }

  private void set(OptionalInt value) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (value.isPresent()) {
        updates.incrementAndGet();
        lastUpdateNanos = clock.nanoTime();
        everUpdated = true;
      } else {
        unknowns.incrementAndGet();
      }
      OptionalInt before = pods;
      if (!before.equals(value)) {
        pods = value;
        listeners.notifyEach(l -> l.podCountChanged(before, value));
      }
    }
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
  public boolean includesTerminatingPods() {
    return includesTerminatingPods;
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
   * Returns this source's name, used in logs and as the metrics' {@code name} tag.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns how many counts were pushed with {@link #update(int)}, changed or not.
   *
   * @return a count that never decreases
   */
  public long updates() {
    return updates.get();
  }

  /**
   * Returns how many times {@link #markUnknown()} was called.
   *
   * @return a count that never decreases
   */
  public long unknowns() {
    return unknowns.get();
  }

  /** Ignores later updates. The last count stays readable. Idempotent; never throws. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
  }

  /**
   * Declares {@code headroom.budget.pod_source.updates} (counter),
   * {@code headroom.budget.pod_source.pods} (gauge, NaN while unknown) and
   * {@code headroom.budget.pod_source.age} (gauge, seconds since the last update, NaN before the
   * first), each tagged {@code name}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.counter(MeterId.of("headroom.budget.pod_source.updates").tag("name", name)
        .description("Counts pushed to the pod count source"), updates::get);
    sink.gauge(MeterId.of("headroom.budget.pod_source.pods").tag("name", name)
        .description("The pod count, NaN while unknown"), () -> {
          OptionalInt p = pods;
          return p.isPresent() ? p.getAsInt() : Double.NaN;
        });
    sink.gauge(MeterId.of("headroom.budget.pod_source.age").tag("name", name).baseUnit("seconds")
        .description("Seconds since the last pushed count, NaN before the first"),
        () -> everUpdated ? (clock.nanoTime() - lastUpdateNanos) / 1e9 : Double.NaN);
  }

  @Override
  public String toString() {
    return "PushedPodCountSource[" + name + ", pods=" + pods + ", maxDelay=" + maxDelay + "]";
  }

  /**
   * Builds a {@link PushedPodCountSource}. Each setter validates its argument and may be called
   * once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private String name;
    private Duration maxDelay;
    private boolean includesTerminatingPods;
    private boolean terminatingSet;
    private NanoClock clock;

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
     * Declares the longest a change of the fleet takes to reach {@link #update(int)}: the
     * driver's promise, which the sizer's guarantee rests on. Required: only the driver knows it
     * (a watch: well under a second while connected, plus the time it allows itself before
     * {@link #markUnknown()} when disconnected; a ledger: its write and read path).
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
     * Declares whether a pod stays in the count until it is gone (its connections closed), as
     * a count of existing pods including terminating ones does, rather than leaving the count
     * when it is told to stop. Default false. See {@link PodCountSource#includesTerminatingPods}.
     *
     * @param value whether terminating pods are counted
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder includesTerminatingPods(boolean value) {
      Checks.requireNotSet(!terminatingSet, "includesTerminatingPods", includesTerminatingPods);
      terminatingSet = true;
      includesTerminatingPods = value;
      return this;
    }

    /**
     * Sets the clock for the age gauge. Default {@link NanoClock#system()}.
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
     * Builds the source, with an unknown count until the first {@link #update(int)}.
     *
     * @return the source
     * @throws IllegalStateException if {@code maxDelay} was not set
     */
    public PushedPodCountSource build() {
      Checks.requireState(maxDelay != null, "maxDelay must be set: only the code that pushes"
          + " the count knows how late it can be");
      return new PushedPodCountSource(this);
    }
  }
}
