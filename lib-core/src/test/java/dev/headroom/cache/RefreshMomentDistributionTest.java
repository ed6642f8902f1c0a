package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The refresh moment, measured: every value's refresh is due
 * {@code max(2 delta, U x earlyRefresh x ttl + beta x delta x E)} before its expiry, {@code U}
 * uniform and {@code E} exponential of mean 1, drawn once per value. Thousands of keys are
 * loaded at one instant with a reported load time {@code delta}, read every millisecond, and
 * the time left when each one's refresh starts is compared with that distribution's CDF.
 * Deterministic (fixed seeds); the bound is still an honest one (the DKW inequality at
 * 99.9%, widened by the 1 ms read granularity), so a wrong formula fails it.
 */
class RefreshMomentDistributionTest {

  private static final int KEYS = 3_000;
  private static final long MS = 1_000_000L;

  @ParameterizedTest(name = "earlyRefresh={0}, beta={1}, delta={2} ms")
  @CsvSource({
      "0.5, 0.0, 1",    // the TTL window alone: uniform over 500 ms
      "0.0, 2.0, 10",   // XFetch's term alone: max(20 ms, 20 ms x E)
      "0.1, 1.0, 20",   // both: max(40 ms, U x 100 ms + 20 ms x E)
      "0.5, 1.0, 1"})   // the defaults
  void timeLeftAtTheRefreshFollowsTheDrawnDistribution(double earlyRefresh, double beta,
      long deltaMillis) {
    Duration ttl = Duration.ofSeconds(1);
    ManualClock clock = new ManualClock();
    ManualExecutor executor = new ManualExecutor(); // refreshes start, never finish
    long delta = deltaMillis * MS;
    HeadroomCache<Integer, Integer> cache = HeadroomCache.<Integer, Integer>builder("moments")
        .ttl(ttl).ttlJitter(0).earlyRefresh(earlyRefresh).beta(beta).clock(clock)
        .refreshExecutor(executor).random(new SplittableRandom(20_151_122L + deltaMillis))
        .loadPath(request -> request.reason() == LoadPath.Reason.MISS
            ? CompletableFuture.completedFuture(request.loaded(request.key(), delta))
            : request.local())
        .build();
    for (int i = 0; i < KEYS; i++) {
      cache.get(i, k -> k);
    }
    long expiry = clock.nanoTime() + ttl.toNanos();
    double[] timeLeft = new double[KEYS];
    boolean[] fired = new boolean[KEYS];
    int left = KEYS;
    while (left > 0 && clock.nanoTime() - expiry < 0) {
      for (int i = 0; i < KEYS; i++) {
        if (!fired[i]) {
          assertEquals(i, cache.get(i, k -> -1), "the reader gets the current value at once");
          if (executor.pending() > KEYS - left) {
            fired[i] = true;
            timeLeft[i] = (double) (expiry - clock.nanoTime()) / MS;
            left--;
          }
        }
      }
      clock.advance(MS);
    }
    assertEquals(0, left, "every value was refreshed before it expired");
    assertEquals(KEYS, cache.earlyRefreshes());
    CacheInvariants.check(cache);

    double window = earlyRefresh * ttl.toMillis();
    double scale = beta * deltaMillis;
    DoubleUnaryOperator cdf = x -> x < 2 * deltaMillis ? 0.0 : sumCdf(x, window, scale);
    Arrays.sort(timeLeft);
    double epsilon = Math.sqrt(Math.log(2 / 0.001) / (2.0 * KEYS));
    // A read every millisecond sees a due refresh up to 1 ms late: the measured time left lies
    // in (gap - 1 ms, gap]. So P(measured <= x) lies between F(x) and F(x + 1).
    for (double x = 0; x <= ttl.toMillis(); x += 1.0) {
      double empirical = upperCount(timeLeft, x) / (double) KEYS;
      assertTrue(empirical >= cdf.applyAsDouble(x) - epsilon
              && empirical <= cdf.applyAsDouble(x + 1.0) + epsilon,
          "time left <= " + x + " ms: observed " + empirical + ", expected between "
              + cdf.applyAsDouble(x) + " and " + cdf.applyAsDouble(x + 1.0) + " +- " + epsilon);
    }
  }

  /** CDF of U x window + scale x E (either term may be 0), in milliseconds. */
  private static double sumCdf(double x, double window, double scale) {
    if (window == 0.0) {
      return scale == 0.0 ? 1.0 : 1.0 - Math.exp(-x / scale);
    }
    if (scale == 0.0) {
      return Math.min(1.0, x / window);
    }
    if (x <= window) {
      return (x - scale * (1.0 - Math.exp(-x / scale))) / window;
    }
    return (window - scale * (Math.exp(-(x - window) / scale) - Math.exp(-x / scale))) / window;
  }

  private static int upperCount(double[] sorted, double x) {
    int n = 0;
    while (n < sorted.length && sorted[n] <= x) {
      n++;
    }
    return n;
  }
}
