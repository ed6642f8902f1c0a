package dev.headroom.core;

import java.util.concurrent.locks.LockSupport;

/**
 * A clock ticked in the background so that hot paths read time with one volatile load.
 *
 * <p>Algorithm: a single daemon thread writes {@code System.nanoTime()} to a volatile field,
 * then parks for {@link #TICK_MICROS} microseconds, forever. Readers load the field. There is
 * one writer, so plain volatile stores suffice: no CAS is needed, and readers see a
 * monotonically non-decreasing sequence because {@code System.nanoTime()} is monotonic and a
 * volatile store happens-before every later volatile load of the same field.
 *
 * <p>Benign race: a reader may see the value of the previous tick. That is the documented
 * precision of this clock (about one tick, more under heavy scheduling pressure).
 *
 * <p>The holder idiom starts the thread lazily and exactly once (class initialisation is
 * serialised by the JVM).
 */
final class CoarseClock implements NanoClock {

  /** Nominal tick period in microseconds. */
  static final long TICK_MICROS = 1_000L;

  private volatile long now = System.nanoTime();

  private CoarseClock() {}

  static CoarseClock instance() {
    return Holder.INSTANCE;
  }

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public String toString() {
    return "NanoClock.coarse()";
  }

  private void runTicker() {
    final long tickNanos = TICK_MICROS * 1_000L;
    while (true) {
      LockSupport.parkNanos(this, tickNanos);
      now = System.nanoTime();
    }
  }

  private static final class Holder {
    static final CoarseClock INSTANCE = start();

    private static CoarseClock start() {
      CoarseClock clock = new CoarseClock();
      Thread ticker = new Thread(clock::runTicker, "headroom-coarse-clock");
      ticker.setDaemon(true);
      ticker.setPriority(Thread.MAX_PRIORITY);
      ticker.start();
      return clock;
    }
  }
}
