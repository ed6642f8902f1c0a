package dev.headroom.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when told to, for deterministic tests and virtual-time simulations.
 *
 * <p>Starts at an arbitrary non-zero reading (so that code which wrongly treats zero as "unset"
 * is caught) unless a start is given. Time can only move forward.
 *
 * <p>Thread-safety: safe for concurrent use; {@link #advance} is atomic.
 */
public final class ManualClock implements NanoClock {

  /** The reading of a clock made with {@link #ManualClock()}. */
  public static final long DEFAULT_START = 1_000_000_000_000L;

  private final AtomicLong nanos;

  /** Creates a clock reading {@link #DEFAULT_START}. */
  public ManualClock() {
    this(DEFAULT_START);
  }

  /**
   * Creates a clock with the given first reading.
   *
   * @param startNanos the first reading, any value
   */
  public ManualClock(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /**
   * Moves the clock forward.
   *
   * @param nanosToAdd how far, in nanoseconds
   * @return the new reading
   * @throws IllegalArgumentException if {@code nanosToAdd} is negative
   */
  public long advance(long nanosToAdd) {
    Checks.requireNonNegative("nanosToAdd", nanosToAdd);
    return nanos.addAndGet(nanosToAdd);
  }

  /**
   * Moves the clock forward.
   *
   * @param duration how far
   * @return the new reading
   * @throws IllegalArgumentException if {@code duration} is null or negative
   */
  public long advance(Duration duration) {
    Checks.requireNonNegative("duration", duration);
    return advance(duration.toNanos());
  }

  @Override
  public String toString() {
    return "ManualClock[" + nanos.get() + "]";
  }
}
