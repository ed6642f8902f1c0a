package dev.headroom.core;

import java.util.function.LongSupplier;

/**
 * A source of monotonic time in nanoseconds, injected into every primitive so that tests drive
 * time by hand and hot paths can choose how much a clock read may cost.
 *
 * <p>Values have the semantics of {@link System#nanoTime()}: only differences between two
 * readings of the same clock mean anything, and differences are computed with subtraction so
 * that numeric overflow does not matter ({@code t1 - t0 > 0}, never {@code t1 > t0}).
 *
 * <p>Three implementations cover the needs of the library:
 * <ul>
 *   <li>{@link #system()}: {@code System.nanoTime()}, exact, about 20-25 ns per read on common
 *       Linux machines.
 *   <li>{@link #coarse()}: a value refreshed by one shared daemon thread about every
 *       {@value CoarseClock#TICK_MICROS} microseconds; a read is a volatile load (about 1 ns).
 *       Use it on hot paths that need "now" per call, such as picking a time bucket in a
 *       sliding window, where an error of a millisecond is harmless.
 *   <li>{@link ManualClock}: advanced by hand, for deterministic tests.
 * </ul>
 *
 * <p>Any {@code LongSupplier} of nanoseconds can be adapted with {@link #of(LongSupplier)}.
 *
 * <p>Thread-safety: implementations must be safe for concurrent reads from any thread.
 */
@FunctionalInterface
public interface NanoClock {

  /**
   * Returns the current reading in nanoseconds.
   *
   * @return the current time in nanoseconds, comparable only with readings of the same clock
   */
  long nanoTime();

  /**
   * Returns the exact system clock, {@link System#nanoTime()}.
   *
   * @return the shared system clock
   */
  static NanoClock system() {
    return SystemClock.INSTANCE;
  }

  /**
   * Returns the shared coarse clock: {@link System#nanoTime()} sampled by a single daemon thread
   * about every {@value CoarseClock#TICK_MICROS} microseconds. The thread starts on the first
   * call. Readings never go backwards and never run ahead of the system clock; they lag it by
   * at most about one tick (more if the machine is too overloaded to schedule the ticker).
   *
   * @return the shared coarse clock
   */
  static NanoClock coarse() {
    return CoarseClock.instance();
  }

  /**
   * Adapts a supplier of nanoseconds, such as {@code System::nanoTime} or a test's counter.
   *
   * @param nanos the supplier to read
   * @return a clock that reads {@code nanos}
   * @throws IllegalArgumentException if {@code nanos} is null
   */
  static NanoClock of(LongSupplier nanos) {
    Checks.requireNonNull("nanos", nanos);
    return nanos::getAsLong;
  }
}

/** {@link System#nanoTime()}. Stateless. */
final class SystemClock implements NanoClock {
  static final SystemClock INSTANCE = new SystemClock();

  private SystemClock() {}

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public String toString() {
    return "NanoClock.system()";
  }
}
