package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One limit of 500 permits per second for 20 pods (each with its own connection and its own
 * {@link FleetRateLimit}, two threads each hammering it), against the real Redis.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FleetRateLimitRedisTest {

  static final int PODS = 20;
  static final int RATE = 500;

  private final RedisFixture redis = new RedisFixture();

  @AfterEach
  void tearDown() {
    redis.close();
  }

  private List<FleetRateLimit> limits(String name) {
    List<FleetRateLimit> limits = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      limits.add(FleetRateLimit.builder(name, redis.connect())
          .limit(RATE, Duration.ofSeconds(1)).podCount(() -> PODS).build());
    }
    return limits;
  }

  /** Hammers every limit from 2 threads per pod for {@code seconds}; returns grant times. */
  private static long[] hammer(List<FleetRateLimit> limits, long seconds, Runnable midway)
      throws InterruptedException {
    ConcurrentLinkedQueue<Long> grants = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    for (FleetRateLimit limit : limits) {
      for (int t = 0; t < 2; t++) {
        Thread thread = new Thread(() -> {
          try {
            while (System.nanoTime() - end < 0) {
              if (limit.acquire(Duration.ofMillis(100))) {
                long now = System.nanoTime();
                if (now - end < 0) {
                  grants.add(now - start);
                }
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        thread.start();
        threads.add(thread);
      }
    }
    if (midway != null) {
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) / 3);
      midway.run();
    }
    for (Thread t : threads) {
      t.join(60_000);
    }
    assertEquals(List.of(), List.copyOf(errors), "nothing was thrown to a caller");
    return grants.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** The most grants inside any window of one second. */
  private static int busiestSecond(long[] sorted) {
    int best = 0;
    int from = 0;
    for (int to = 0; to < sorted.length; to++) {
      while (sorted[to] - sorted[from] >= TimeUnit.SECONDS.toNanos(1)) {
        from++;
      }
      best = Math.max(best, to - from + 1);
    }
    return best;
  }

  @Test
  void twentyPodsHoldOneLimitWithinFivePercentOverTenSeconds() throws Exception {
    List<FleetRateLimit> limits = limits(redis.namespace + "-api");
    long[] grants = hammer(limits, 10, null);
    long waited = limits.stream().mapToLong(FleetRateLimit::waitedPermits).sum();
    long refused = limits.stream().mapToLong(FleetRateLimit::refusals).sum();
    long fallbacks = limits.stream().mapToLong(FleetRateLimit::fallbacks).sum();
    int busiest = busiestSecond(grants);
    System.out.printf("20 pods, one limit of %d/s, 10 s: %d permits (%.3fx the limit), busiest "
            + "second %d, waited %d, refused %d, fallbacks %d%n", RATE, grants.length,
        grants.length / (10.0 * RATE), busiest, waited, refused, fallbacks);
    assertTrue(Math.abs(grants.length - 10 * RATE) <= 10 * RATE / 20,
        "within 5% of " + 10 * RATE + ": " + grants.length);
    // Any one second may see the burst (25) on top of the rate, and a little wake-up jitter.
    assertTrue(busiest <= RATE + RATE / 20 + 5, "busiest second " + busiest);
    assertEquals(0, fallbacks, "Redis answered every call");
    assertTrue(waited > 0, "callers queued for permits in Redis");
  }

  @Test
  void whileRedisIsPausedEachPodHoldsItsShareAndNothingIsThrown() throws Exception {
    List<FleetRateLimit> limits = limits(redis.namespace + "-paused");
    long[] grants = hammer(limits, 6, () -> redis.admin().sync().clientPause(2_000));
    long fallbacks = limits.stream().mapToLong(FleetRateLimit::fallbacks).sum();
    int busiest = busiestSecond(grants);
    System.out.printf("20 pods, one limit of %d/s, 6 s with Redis paused for 2 s: %d permits "
        + "(%.3fx), busiest second %d, fallbacks %d%n", RATE, grants.length,
        grants.length / (6.0 * RATE), busiest, fallbacks);
    assertTrue(fallbacks > 0, "the pause was counted");
    // Each pod enforced 500 / 20 = 25 per second on its own while Redis did not answer.
    // Around the pause's ends some pods use their shares while others reach Redis again (and
    // requests Redis held during the pause run when it ends), so one second may see more.
    assertTrue(grants.length <= 6 * RATE * 11 / 10, "at most 10% over: " + grants.length);
    assertTrue(busiest <= RATE * 3 / 2, "busiest second " + busiest);
    assertTrue(grants.length >= 6 * RATE * 8 / 10, "the fleet kept working: " + grants.length);
  }

  @Test
  void aGuardedLoaderTakesAPermitFirstAndARefusalIsTyped() {
    FleetRateLimit limit = FleetRateLimit.builder(redis.namespace + "-guard", redis.connect())
        .limit(2, Duration.ofHours(1)).burst(2).build();
    Function<String, String> loader = limit.guard(key -> key + "!", Duration.ZERO);
    assertEquals("a!", loader.apply("a"));
    assertEquals("b!", loader.apply("b"));
    FleetRateLimit.RateLimitedException e = assertThrows(
        FleetRateLimit.RateLimitedException.class, () -> loader.apply("c"));
    assertEquals("fleet rate limit '" + redis.namespace + "-guard' (2 per PT1H) had no permit "
        + "within PT0S", e.getMessage());
    assertEquals("ratelimit", e.component());
    assertEquals(1, limit.refusals());
    assertEquals(2, limit.immediatePermits());
    assertTrue(Arrays.asList(redis.keys().toArray()).contains(
        "headroom:ratelimit:" + redis.namespace + "-guard"), "one bucket, in Redis");
  }

  @Test
  void builderRejectsBadValuesWithTheSharedMessage() {
    FleetRateLimit.Builder b = FleetRateLimit.builder("x", redis.connect());
    assertEquals("permits must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> b.limit(0, Duration.ofSeconds(1))).getMessage());
    assertEquals("period must be > 0 (was PT0S)", assertThrows(IllegalArgumentException.class,
        () -> b.limit(1, Duration.ZERO)).getMessage());
    assertEquals("limit must be set", assertThrows(IllegalStateException.class, b::build)
        .getMessage());
    assertEquals("name must be non-blank (was \" \")", assertThrows(
        IllegalArgumentException.class, () -> FleetRateLimit.builder(" ", null)).getMessage());
  }
}
