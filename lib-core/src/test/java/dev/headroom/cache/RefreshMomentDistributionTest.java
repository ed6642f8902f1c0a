package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
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

  /**
   * A value that replaces one refreshed on time keeps the phase the window gave the first: with
   * {@code beta(0)} its refresh is due exactly two load times before its expiry. The first
   * refreshes after the fill are spread over the window; the second ones follow each first
   * refresh by one TTL less two load times, so the fleet stays as spread as the first draw made
   * it and is not brought forward again.
   */
  @Test
  void aValueRefreshedOnTimeKeepsItsPhase() {
    Refreshes run = new Refreshes(0, 0);
    run.fillAll();
    run.readEveryMillisecondUntil(3 * TTL_MS, 2);
    long lowest = Long.MAX_VALUE;
    long highest = Long.MIN_VALUE;
    for (int i = 0; i < KEYS; i++) {
      long first = run.refreshAt[i][0] - run.filledAt;
      lowest = Math.min(lowest, first);
      highest = Math.max(highest, first);
      long between = run.refreshAt[i][1] - run.refreshAt[i][0];
      assertTrue(between == TTL_MS - 2 * DELTA_MS,
          "key " + i + ": second refresh " + between + " ms after the first, expected "
              + (TTL_MS - 2 * DELTA_MS));
    }
    assertTrue(lowest < TTL_MS / 2 + 10 && highest > TTL_MS - 10,
        "the first refreshes spread over the window: " + lowest + ".." + highest + " ms");
    CacheInvariants.check(run.cache);
  }

  /**
   * A refresh that started after the value expired (a key read too rarely), or that follows a
   * failed refresh (an origin that was down, after which many instances may refresh together),
   * draws the next moment over the window again: the time between it and the next refresh is
   * {@code ttl - max(2 delta, U x earlyRefresh x ttl)}, so about half of them fall below
   * {@code ttl - earlyRefresh x ttl / 2}.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"late, 1100, 0", "after a failed refresh, 0, 1"})
  void aLateOrRetriedRefreshDrawsOverTheWindowAgain(String name, long firstReadMs,
      int failures) {
    Refreshes run = new Refreshes(firstReadMs, failures);
    run.fillAll();
    run.readEveryMillisecondUntil(4 * TTL_MS, 1 + failures + 1);
    int early = 0;
    for (int i = 0; i < KEYS; i++) {
      long refreshed = run.refreshAt[i][failures];
      long next = run.refreshAt[i][failures + 1];
      long between = next - refreshed;
      assertTrue(between >= TTL_MS / 2 && between <= TTL_MS - 2 * DELTA_MS,
          "key " + i + ": " + between + " ms between the refreshes");
      if (between < TTL_MS - TTL_MS / 4) {
        early++;
      }
    }
    double share = early / (double) KEYS;
    assertTrue(Math.abs(share - 0.5) < 0.05,
        name + ": share of next refreshes drawn in the window's first half " + share);
    CacheInvariants.check(run.cache);
  }

  /**
   * Keys read at random, each about every 40 ms, with load times of 1 ms: two load times
   * before the expiry would usually fall between two reads, so the first read after the due
   * moment would come after the expiry and be answered stale. An on-time refresh therefore
   * learns how long after its due moment the key's next read came, and the next value is due
   * two such gaps earlier: after the fill, at least 75% of the refreshes start before the expiry
   * (about half would without the read gap: each late refresh draws over the window again).
   */
  @Test
  void aRefreshIsDueEarlyEnoughForTheKeysOwnReadsToCatchIt() {
    int keys = 500;
    long period = 40;
    ManualClock clock = new ManualClock();
    HeadroomCache<Integer, Integer> cache = HeadroomCache.<Integer, Integer>builder("gaps")
        .ttl(Duration.ofMillis(TTL_MS)).ttlJitter(0).earlyRefresh(0.5).beta(0).clock(clock)
        .refreshExecutor(Runnable::run).random(new SplittableRandom(40L))
        .loadPath(request -> CompletableFuture.completedFuture(
            request.loaded(request.key(), DELTA_MS * MS)))
        .build();
    SplittableRandom reads = new SplittableRandom(41L);
    for (long t = 0; t < 30 * TTL_MS; t++) {
      for (int i = 0; i < keys; i++) {
        if (reads.nextLong(period) == 0) {
          assertEquals(i, cache.get(i, k -> k));
        }
      }
      clock.advance(MS);
    }
    long early = cache.earlyRefreshes();
    long late = cache.staleRefreshes();
    assertTrue(early + late > 20L * keys, "refreshes: " + early + " early, " + late + " late");
    assertTrue(early >= 0.75 * (early + late),
        "refreshes: " + early + " early, " + late + " late (after the expiry)");
    CacheInvariants.check(cache);
  }

  private static final long TTL_MS = 1_000L;
  private static final long DELTA_MS = 1L;

  /**
   * Keys filled at one instant and then read every millisecond, each refresh completing the
   * moment it starts; the first {@code failures} refreshes of each key fail.
   */
  private static final class Refreshes {
    final ManualClock clock = new ManualClock();
    final ManualExecutor executor = new ManualExecutor();
    final long[][] refreshAt = new long[KEYS][4];
    final int[] refreshes = new int[KEYS];
    final long firstReadMs;
    final HeadroomCache<Integer, Integer> cache;
    long filledAt;

    Refreshes(long firstReadMs, int failures) {
      this.firstReadMs = firstReadMs;
      long delta = DELTA_MS * MS;
      cache = HeadroomCache.<Integer, Integer>builder("phase")
          .ttl(Duration.ofMillis(TTL_MS)).ttlJitter(0).earlyRefresh(0.5).beta(0).clock(clock)
          .refreshExecutor(executor).random(new SplittableRandom(7L + firstReadMs + failures))
          .loadPath(request -> {
            int key = request.key();
            if (request.reason() == LoadPath.Reason.REFRESH) {
              int n = refreshes[key]++;
              refreshAt[key][Math.min(n, 3)] = clock.nanoTime() / MS;
              if (n < failures) {
                return CompletableFuture.failedFuture(new IllegalStateException("origin down"));
              }
            }
            return CompletableFuture.completedFuture(request.loaded(key, delta));
          })
          .build();
    }

    void fillAll() {
      filledAt = clock.nanoTime() / MS;
      for (int i = 0; i < KEYS; i++) {
        cache.get(i, k -> k);
      }
      clock.advance(firstReadMs * MS);
    }

    /** Reads every key each millisecond until each refreshed {@code count} times. */
    void readEveryMillisecondUntil(long limitMs, int count) {
      while (clock.nanoTime() / MS - filledAt < limitMs) {
        boolean done = true;
        for (int i = 0; i < KEYS; i++) {
          assertEquals(i, cache.get(i, k -> -1), "the reader gets the current value at once");
          done &= refreshes[i] >= count;
        }
        executor.runAll();
        if (done) {
          return;
        }
        clock.advance(MS);
      }
      throw new AssertionError("not every key refreshed " + count + " times within " + limitMs
          + " ms");
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
