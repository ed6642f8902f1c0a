package dev.headroom.signal;

import dev.headroom.core.NanoClock;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The per-second rate of a monotonically increasing counter, over the last one to two windows.
 *
 * <p>Two samples are kept: a base and a middle one. A read at {@code now} returns
 * {@code (count(now) - base.count) / (now - base.time)}; once the middle sample is a window old
 * the base moves up to it and the read becomes the new middle. The rate therefore always spans
 * at least one window (after the first) and at most two, and reacts to a change within two
 * windows. A counter that goes backwards (a reset) gives a negative rate for up to two windows,
 * which {@link Signal} skips and counts.
 *
 * <p>Thread-safety: lock-free. Samples are immutable and replaced by CAS; a lost CAS means
 * another reader rolled the window at the same moment, and its samples are as good.
 * Allocation: one sample per window, none per read otherwise.
 */
final class CounterRate implements DoubleSupplier {

  private static final class Samples {
    final long baseCount;
    final long baseNanos;
    final long midCount;
    final long midNanos;

    Samples(long baseCount, long baseNanos, long midCount, long midNanos) {
      this.baseCount = baseCount;
      this.baseNanos = baseNanos;
      this.midCount = midCount;
      this.midNanos = midNanos;
    }
  }

  private final LongSupplier counter;
  private final NanoClock clock;
  private final long windowNanos;
  private final AtomicReference<Samples> samples;

  CounterRate(LongSupplier counter, NanoClock clock, long windowNanos) {
    this.counter = counter;
    this.clock = clock;
    this.windowNanos = windowNanos;
    long now = clock.nanoTime();
    long count = counter.getAsLong();
    this.samples = new AtomicReference<>(new Samples(count, now, count, now));
  }

  @Override
  public double getAsDouble() {
    long now = clock.nanoTime();
    long count = counter.getAsLong();
    Samples s = samples.get();
    if (now - s.midNanos >= windowNanos) {
      Samples rolled = new Samples(s.midCount, s.midNanos, count, now);
      samples.compareAndSet(s, rolled);
      s = rolled;
    }
    long elapsed = now - s.baseNanos;
    if (elapsed <= 0) {
      return 0.0;
    }
    return (count - s.baseCount) * 1e9 / elapsed;
  }
}
