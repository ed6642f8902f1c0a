package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.io.IOException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Properties of the closed window's judgement with calls of any latency: the failures are
 * compared with the successes of the calls that began with them, over a span that follows the
 * calls' latency, so at a steady rate a failure share well below the threshold never opens the
 * breaker, however long the failures take against the successes (a 30 s timeout against 10 ms
 * answers included, where the shift lies beyond the window), and a failure share well above it
 * opens the breaker within a few seconds of the first failures' completions.
 */
class CohortProperties {

  private static final long MS = 1_000_000L;

  /**
   * Calls arrive at {@code rate} a second (Poisson) for {@code seconds}; from {@code fromSecond}
   * on a call fails with probability {@code share} after {@code failMs} (lognormal, sigma 0.3),
   * and otherwise succeeds after {@code successMs} (lognormal, sigma 0.3). Returns the time of
   * the first trip in seconds, or -1.
   */
  private static double run(long seed, int rate, double share, long successMs, long failMs,
      double fromSecond, double seconds) {
    ManualClock clock = new ManualClock();
    CircuitBreaker b = CircuitBreaker.builder("cohort").clock(clock).build();
    SplittableRandom random = new SplittableRandom(seed);
    PriorityQueue<long[]> done = new PriorityQueue<>(
        (x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[3], y[3]));
    long origin = clock.nanoTime();
    long end = (long) (seconds * 1e9);
    long from = (long) (fromSecond * 1e9);
    double meanGap = 1e9 / rate;
    long t = 0L;
    long seq = 0L;
    while (true) {
      long next = t + Math.max(1L, (long) (-Math.log(1.0 - random.nextDouble()) * meanGap));
      if (next >= end) {
        return -1; // judged while calls arrive: after the last one, only long failures are left
      }
      while (!done.isEmpty() && done.peek()[0] <= next) {
        long[] d = done.poll();
        clock.advance(origin + d[0] - clock.nanoTime());
        if (d[2] >= 0) {
          b.onFailure(d[1], d[2], new IOException("failed"));
        } else {
          b.onSuccess(d[1], -d[2] - 1);
        }
        if (b.state() == BreakerState.OPEN) {
          return d[0] / 1e9;
        }
      }
      t = next;
      clock.advance(origin + t - clock.nanoTime());
      long permit = b.tryAcquire();
      boolean fails = t >= from && random.nextDouble() < share;
      long latency = (long) ((fails ? failMs : successMs) * MS
          * Math.exp(0.3 * random.nextGaussian()));
      latency = Math.max(1L, latency);
      // d[2]: the failure's latency, or -(success latency) - 1.
      done.add(new long[] {t + latency, permit, fails ? latency : -latency - 1, seq++});
    }
  }

  @Property(tries = 40, seed = "17")
  void aSteadyShareWellBelowTheThresholdNeverOpensIt(
      @ForAll @LongRange(min = 1, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 50, max = 800) int rate,
      @ForAll @DoubleRange(min = 0.0, max = 0.3) double share,
      @ForAll @LongRange(min = 1, max = 2_000) long successMs,
      @ForAll @LongRange(min = 1, max = 30_000) long failMs) {
    double trip = run(seed, rate, share, successMs, failMs, 5, 40);
    assertTrue(trip < 0, String.format("%d/s, %.0f%% failing after %d ms, successes %d ms:"
        + " opened at %.2f s", rate, 100 * share, failMs, successMs, trip));
  }

  @Property(tries = 40, seed = "18")
  void aShareWellAboveTheThresholdOpensItSoonAfterTheFirstFailuresComplete(
      @ForAll @LongRange(min = 1, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 200, max = 800) int rate,
      @ForAll @DoubleRange(min = 0.8, max = 1.0) double share,
      @ForAll @LongRange(min = 1, max = 2_000) long successMs,
      @ForAll @LongRange(min = 1, max = 5_000) long failMs) {
    double trip = run(seed, rate, share, successMs, failMs, 10, 30);
    // The first failures complete about failMs after 10 s (a lognormal's lower tail sooner);
    // the span they are judged over, at most a tenth of the window, and its shifted successes
    // must then fill with them.
    double bound = 10 + 1.5 * failMs / 1000.0 + 3;
    assertTrue(trip > 10 && trip < bound, String.format("%d/s, %.0f%% failing after %d ms,"
        + " successes %d ms: opened at %.2f s (bound %.2f)", rate, 100 * share, failMs,
        successMs, trip, bound));
  }
}
