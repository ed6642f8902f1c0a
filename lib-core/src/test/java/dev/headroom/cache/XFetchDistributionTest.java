package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The XFetch probability, measured: on a manual clock with a seeded random source, a read with
 * time left {@code r} starts an early refresh with probability {@code exp(-r / (beta * delta))}.
 * Deterministic (fixed seed), so the statistical bounds cannot flake; they are still honest
 * bounds (4.5 binomial standard deviations) so a wrong formula fails them.
 */
class XFetchDistributionTest {

  private static final Duration DELTA = Duration.ofMillis(10);
  private static final int KEYS = 4_000;

  /**
   * Loads {@link #KEYS} keys, each with recompute time delta, then reads key i exactly when its
   * time left is {@code r}. Keys are loaded one after another (each load advances the clock by
   * delta), and read in the same order, so the manual clock only ever moves forward.
   *
   * @return how many of the reads started a refresh
   */
  private static int refreshesAtTimeLeft(double beta, Duration r, long seed) {
    ManualClock clock = new ManualClock();
    ManualExecutor executor = new ManualExecutor(); // refreshes start, never finish
    Duration ttl = Duration.ofSeconds(1_000);
    HeadroomCache<Integer, Integer> cache = HeadroomCache.<Integer, Integer>builder("xfetch")
        .ttl(ttl).beta(beta).clock(clock).random(new SplittableRandom(seed))
        .refreshExecutor(executor).build();
    long[] expiry = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      cache.get(i, k -> {
        clock.advance(DELTA);
        return k;
      });
      expiry[i] = clock.nanoTime() + ttl.toNanos();
    }
    for (int i = 0; i < KEYS; i++) {
      clock.advance(expiry[i] - r.toNanos() - clock.nanoTime());
      assertEquals(i, cache.get(i, k -> -1), "the reader gets the current value at once");
    }
    assertEquals(cache.earlyRefreshes(), executor.pending());
    CacheInvariants.check(cache);
    return (int) cache.earlyRefreshes();
  }

  @ParameterizedTest(name = "beta={0}, r={1} ms")
  @CsvSource({
      "1.0, 1", "1.0, 5", "1.0, 10", "1.0, 20", "1.0, 40",
      "2.0, 5", "2.0, 20", "2.0, 60",
      "0.5, 2", "0.5, 10"})
  void refreshProbabilityIsExpOfMinusTimeLeftOverBetaDelta(double beta, long rMillis) {
    double expected = Math.exp(-(double) rMillis / (beta * DELTA.toMillis()));
    int fired = refreshesAtTimeLeft(beta, Duration.ofMillis(rMillis), 20_151_122L + rMillis);
    double observed = (double) fired / KEYS;
    double sigma = Math.sqrt(expected * (1 - expected) / KEYS);
    assertTrue(Math.abs(observed - expected) <= 4.5 * sigma + 1.0 / KEYS,
        "beta " + beta + ", r " + rMillis + " ms: observed " + observed + ", expected "
            + expected + " +- " + 4.5 * sigma);
  }

  /**
   * The moments of the refreshes: one reader per key reads every millisecond from 60 ms before
   * expiry; the first read that fires fixes the key's refresh moment. The fraction of keys
   * refreshed with more than r left must follow the product of the per-read probabilities,
   * {@code 1 - prod over reads at t >= r of (1 - exp(-t / (beta * delta)))}.
   */
  @Test
  void refreshMomentsFollowTheXFetchDistribution() {
    ManualClock clock = new ManualClock();
    ManualExecutor executor = new ManualExecutor();
    int keys = 3_000;
    int window = 60;
    HeadroomCache<Integer, Integer> cache = HeadroomCache.<Integer, Integer>builder("moments")
        .ttl(Duration.ofSeconds(100)).clock(clock).random(new SplittableRandom(42))
        .refreshExecutor(executor).build();
    for (int i = 0; i < keys; i++) {
      cache.get(i, k -> k);
    }
    // All keys expire together; delta is the 1 ms floor (the loads took no time).
    clock.advance(Duration.ofSeconds(100).minusMillis(window));
    int[] firedAt = new int[window + 1]; // index: ms left when the refresh fired
    long before = 0;
    for (int left = window; left >= 1; left--) {
      for (int i = 0; i < keys; i++) {
        cache.get(i, k -> k);
      }
      long now = cache.earlyRefreshes();
      firedAt[left] = (int) (now - before);
      before = now;
      clock.advance(Duration.ofMillis(1));
    }
    double survive = 1.0; // P(no refresh yet)
    int observedBefore = 0;
    for (int left = window; left >= 1; left--) {
      survive *= 1 - Math.exp(-left / 1.0);
      observedBefore += firedAt[left];
      double expectedFraction = 1 - survive;
      double observedFraction = (double) observedBefore / keys;
      double sigma = Math.sqrt(Math.max(expectedFraction * (1 - expectedFraction), 1e-9) / keys);
      assertTrue(Math.abs(observedFraction - expectedFraction) <= 4.5 * sigma + 1.0 / keys,
          "refreshed with > " + (left - 1) + " ms left: observed " + observedFraction
              + ", expected " + expectedFraction);
    }
    assertEquals(0, firedAt[20] + firedAt[30] + firedAt[60], "negligible that early");
  }
}
