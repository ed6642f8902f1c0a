package dev.headroom.signal;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

/**
 * A scaling signal: a named, cheap, thread-safe reading with a unit and a per-pod target, such
 * as "remittance-queue: 4,200 messages, 100 per pod" or "api-waiting: 12 requests, 10 per pod".
 *
 * <p>A signal of your own is one lambda:
 *
 * <pre>{@code
 * Signal lag = Signal.fleetTotal("enrollment-lag", "records", 1_000, monitor::totalLag);
 * Signal waiting = Signal.perPod("orders-db-waiting", "threads", 4, dataSource::waiting);
 * }</pre>
 *
 * <p>and {@link Signals} builds the usual ones from Headroom's primitives. The
 * {@linkplain SignalScope scope} says whether the reading is this pod's own
 * ({@link SignalScope#PER_POD}) or the whole fleet's ({@link SignalScope#FLEET_TOTAL}); a
 * {@link ReplicaAdvisor} turns either into a replica count with the HPA's formula.
 *
 * <h2>Bad readings</h2>
 *
 * <p>A reading that is NaN or infinite, negative, or that throws, is skipped and counted by
 * {@link InvalidReason}: {@link #read()} returns NaN for it, the advisor ignores it, and no
 * exporter ever publishes it. Exporters keep showing the last valid reading, and
 * {@link #age()} (the gauge {@code headroom.signal.age}) grows until a valid one arrives. A
 * reading of {@code -0.0} is taken as {@code 0}.
 *
 * <h2>Names</h2>
 *
 * <p>A name is 1 to 63 characters of lowercase letters, digits, {@code -} and {@code _},
 * starting and ending with a letter or digit. It appears unchanged in a Prometheus label, a
 * CloudWatch metric name and a KEDA {@code valueLocation} path (no character of it needs
 * escaping in GJSON), so one name serves every exporter.
 *
 * <h2>Meters</h2>
 *
 * <p>{@code headroom.signal.value} and {@code headroom.signal.target} (gauges, tags {@code name},
 * {@code unit}, {@code scope}), {@code headroom.signal.age} (seconds since the last valid
 * reading, or since the signal was built when there was none), {@code headroom.signal.invalid}
 * (counter, tags {@code name} and {@code reason}). The value gauge reads the signal at each
 * scrape; before its first valid reading it is NaN, Micrometer's "no value".
 *
 * <p>Thread-safety: safe for concurrent use. {@link #read()} calls the supplier on the calling
 * thread, so the supplier must be thread-safe and cheap (a getter, not a network call: poll slow
 * sources on their own thread, as {@code SqsQueueDepth} and {@code ConsumerLagMonitor} do). Two
 * threads reading at once race benignly on the remembered last value: each is a valid reading
 * taken at about the same time, and the last writer wins.
 */
public final class Signal implements Instrumented {

  /** Why a reading was skipped. Thread-safety: an enum, immutable. */
  public enum InvalidReason {
    /** The reading was NaN or infinite. */
    NON_FINITE,
    /** The reading was below zero. */
    NEGATIVE,
    /** The supplier threw a {@link RuntimeException}. */
    ERROR;

    /**
     * Returns the lowercase tag value.
     *
     * @return {@code "non_finite"}, {@code "negative"} or {@code "error"}
     */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?");
  private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9_%/.-]{1,32}");

  private final String name;
  private final String unit;
  private final double targetPerPod;
  private final SignalScope scope;
  private final String description;
  private final DoubleSupplier reading;
  private final NanoClock clock;

  // The last valid reading (raw double bits) and when it was taken. Written by whichever
  // thread reads; a reader may pair a new value with the previous time for an instant, which
  // only makes the age a little older than it is.
  private volatile long lastBits = Double.doubleToRawLongBits(Double.NaN);
  private volatile long lastValidNanos;
  private final LongAdder nonFinite = new LongAdder();
  private final LongAdder negative = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private volatile RuntimeException lastError;

  private Signal(Builder b) {
    this.name = b.name;
    this.unit = b.unit == null ? "items" : b.unit;
    this.targetPerPod = b.targetPerPod;
    this.scope = b.scope;
    this.reading = b.reading;
    this.clock = b.clock == null ? NanoClock.coarse() : b.clock;
    this.description = b.description == null ? "" : b.description;
    this.lastValidNanos = clock.nanoTime();
  }

  /**
   * Creates a signal whose reading is this pod's own (its waiting requests, its queue).
   *
   * @param name the signal's name (see the class documentation)
   * @param unit what is counted, e.g. {@code "requests"}
   * @param targetPerPod the reading one pod should carry, {@code > 0}
   * @param reading a cheap, thread-safe getter
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal perPod(String name, String unit, double targetPerPod,
      DoubleSupplier reading) {
    return builder(name).unit(unit).targetPerPod(targetPerPod).perPod(reading).build();
  }

  /**
   * Creates a signal whose reading is the whole fleet's (a queue's depth, a group's lag).
   *
   * @param name the signal's name (see the class documentation)
   * @param unit what is counted, e.g. {@code "messages"}
   * @param targetPerPod the share of the reading one pod should carry, {@code > 0}
   * @param reading a cheap, thread-safe getter
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal fleetTotal(String name, String unit, double targetPerPod,
      DoubleSupplier reading) {
    return builder(name).unit(unit).targetPerPod(targetPerPod).fleetTotal(reading).build();
  }

  /**
   * Starts a signal.
   *
   * @param name the signal's name (see the class documentation)
   * @return a new builder
   * @throws IllegalArgumentException if the name is null or not a valid signal name
   */
  public static Builder builder(String name) {
    return new Builder(requireName(name));
  }

  static String requireName(String name) {
    Checks.requireNonNull("name", name);
    Checks.requireArgument(NAME.matcher(name).matches(), "name",
        "1 to 63 of [a-z0-9_-], starting and ending with a letter or digit", name);
    return name;
  }

  /**
   * Reads the signal now. A valid reading is remembered and returned; a NaN, infinite or
   * negative reading, or a supplier that throws, is counted and NaN is returned. Never throws a
   * {@link RuntimeException}.
   *
   * @return the reading ({@code >= 0}), or NaN if it was skipped
   */
  public double read() {
    double v;
    try {
      v = reading.getAsDouble();
    } catch (RuntimeException e) {
      lastError = e;
      errors.increment();
      return Double.NaN;
    }
    if (!Double.isFinite(v)) {
      nonFinite.increment();
      return Double.NaN;
    }
    if (v < 0) {
      negative.increment();
      return Double.NaN;
    }
    v += 0.0; // -0.0 becomes 0.0
    lastBits = Double.doubleToRawLongBits(v);
    lastValidNanos = clock.nanoTime();
    return v;
  }

  /**
   * Returns the last valid reading without reading again.
   *
   * @return the last valid reading, or NaN if there was none
   */
  public double lastValue() {
    return Double.longBitsToDouble(lastBits);
  }

  /**
   * Returns whether the signal has had a valid reading.
   *
   * @return true once a valid reading was taken
   */
  public boolean hasValue() {
    return !Double.isNaN(lastValue());
  }

  /**
   * Returns how long ago the last valid reading was taken (since the signal was built, if
   * none was).
   *
   * @return the age, never negative
   */
  public Duration age() {
    return Duration.ofNanos(ageNanos());
  }

  long ageNanos() {
    return Math.max(0L, clock.nanoTime() - lastValidNanos);
  }

  /**
   * Returns how many readings were skipped for a reason.
   *
   * @param reason the reason
   * @return the count
   * @throws IllegalArgumentException if {@code reason} is null
   */
  public long invalidCount(InvalidReason reason) {
    Checks.requireNonNull("reason", reason);
    switch (reason) {
      case NON_FINITE:
        return nonFinite.sum();
      case NEGATIVE:
        return negative.sum();
      default:
        return errors.sum();
    }
  }

  /**
   * Returns how many readings were skipped for any reason.
   *
   * @return the count
   */
  public long invalidCount() {
    return nonFinite.sum() + negative.sum() + errors.sum();
  }

  /**
   * Returns the last exception the supplier threw.
   *
   * @return the exception, or null if it never threw
   */
  public RuntimeException lastError() {
    return lastError;
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the unit.
   *
   * @return what the reading counts, e.g. {@code "messages"}
   */
  public String unit() {
    return unit;
  }

  /**
   * Returns the per-pod target.
   *
   * @return the reading one pod should carry, {@code > 0}
   */
  public double targetPerPod() {
    return targetPerPod;
  }

  /**
   * Returns the scope.
   *
   * @return whether the reading is this pod's or the fleet's
   */
  public SignalScope scope() {
    return scope;
  }

  /**
   * Returns the description.
   *
   * @return a sentence, or empty
   */
  public String description() {
    return description;
  }

  /**
   * Estimates the fleet's total from a reading: the reading itself for a
   * {@link SignalScope#FLEET_TOTAL} signal, the reading times {@code pods} for a
   * {@link SignalScope#PER_POD} one.
   *
   * @param value a reading
   * @param pods the current pod count
   * @return the fleet's total
   */
  public double fleetValue(double value, int pods) {
    return scope == SignalScope.FLEET_TOTAL ? value : value * pods;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    MeterId tagged = MeterId.of("headroom.signal.value").tag("name", name).tag("unit", unit)
        .tag("scope", scope.label());
    sink.gauge(new MeterId("headroom.signal.value", describe("The signal's reading"), "",
        tagged.tags()), () -> {
          read();
          return lastValue();
        });
    sink.gauge(new MeterId("headroom.signal.target", "The reading one pod should carry", "",
        tagged.tags()), () -> targetPerPod);
    sink.gauge(MeterId.of("headroom.signal.age").tag("name", name).baseUnit("seconds")
            .description("Seconds since the last valid reading"),
        () -> ageNanos() / 1e9);
    for (InvalidReason reason : InvalidReason.values()) {
      sink.counter(MeterId.of("headroom.signal.invalid").tag("name", name)
          .tag("reason", reason.label())
          .description("Readings skipped: NaN or infinite, negative, or thrown"),
          () -> invalidCount(reason));
    }
  }

  private String describe(String fallback) {
    return description.isEmpty() ? fallback : description;
  }

  @Override
  public String toString() {
    return "Signal[" + name + ", " + scope.label() + ", target " + Json.number(targetPerPod)
        + " " + unit + " per pod]";
  }

  /**
   * Builds a {@link Signal}. Each setter validates its argument and may be called once; the
   * target and one of {@link #perPod} or {@link #fleetTotal} are required.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final String name;
    private String unit;
    private double targetPerPod = Double.NaN;
    private SignalScope scope;
    private DoubleSupplier reading;
    private String description;
    private NanoClock clock;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Sets the unit. Default {@code "items"}.
     *
     * @param value what the reading counts: 1 to 32 of {@code [A-Za-z0-9_%/.-]}
     * @return this builder
     * @throws IllegalArgumentException if null or malformed
     * @throws IllegalStateException if already set
     */
    public Builder unit(String value) {
      Checks.requireNonNull("unit", value);
      Checks.requireArgument(UNIT.matcher(value).matches(), "unit",
          "1 to 32 of [A-Za-z0-9_%/.-]", value);
      Checks.requireNotSet(unit == null, "unit", unit);
      unit = value;
      return this;
    }

    /**
     * Sets the per-pod target: the reading one pod should carry (for a fleet-total signal, the
     * share of it). Required.
     *
     * @param value a finite value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not finite and {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder targetPerPod(double value) {
      Checks.requirePositive("targetPerPod", value);
      Checks.requireNotSet(Double.isNaN(targetPerPod), "targetPerPod", targetPerPod);
      targetPerPod = value;
      return this;
    }

    /**
     * Sets a reading that is this pod's own.
     *
     * @param value a cheap, thread-safe getter
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a reading was already set
     */
    public Builder perPod(DoubleSupplier value) {
      return reading(SignalScope.PER_POD, value);
    }

    /**
     * Sets a reading that is the whole fleet's.
     *
     * @param value a cheap, thread-safe getter
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a reading was already set
     */
    public Builder fleetTotal(DoubleSupplier value) {
      return reading(SignalScope.FLEET_TOTAL, value);
    }

    private Builder reading(SignalScope s, DoubleSupplier value) {
      Checks.requireNonNull("reading", value);
      Checks.requireNotSet(reading == null, "reading", scope);
      scope = s;
      reading = value;
      return this;
    }

    /**
     * Sets a description for dashboards.
     *
     * @param value a sentence
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder description(String value) {
      Checks.requireNonNull("description", value);
      Checks.requireNotSet(description == null, "description", description);
      description = value;
      return this;
    }

    /**
     * Sets the clock that dates readings. Default {@link NanoClock#coarse()}: an age needs no
     * better than a millisecond, and a read then costs a volatile load instead of a
     * {@code System.nanoTime()} call.
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
     * Builds the signal.
     *
     * @return the signal
     * @throws IllegalArgumentException if the target was not set
     *     ({@code "targetPerPod must be finite and > 0 (was NaN)"})
     * @throws IllegalStateException if no reading was set
     */
    public Signal build() {
      Checks.requirePositive("targetPerPod", targetPerPod);
      Checks.requireState(reading != null,
          "reading must be set with perPod(...) or fleetTotal(...)");
      return new Signal(this);
    }
  }
}
