package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One limit of 500 permits per second for 20 pods (each with its own connection and its own
 * {@link FleetRateLimit}, two threads each hammering it), against the real Redis.
 *
 * <p>The bounds are derived from the documented contract, not from how fast this machine is.
 * Redis's bucket grants at most {@code BURST + RATE x T} in any window of length {@code T}. A
 * call that falls back (Redis slower than the 100 ms call timeout, which CPU contention alone
 * can cause, or the breaker open) is decided by the pod's local share instead and grants at
 * most one permit; in any one second the local shares of all pods together grant at most
 * {@code PODS x (local capacity + RATE / PODS)}. So the fleet grants at most
 * {@code BURST + RATE x T + min(fallbacks, PODS x (1 + RATE / PODS) x ceil(T))}.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FleetRateLimitRedisTest {

  static final int PODS = 20;
  static final int RATE = 500;
  /** The default burst: a twentieth of the limit. */
  static final int BURST = RATE / 20;
  /** Most permits all pods' local shares grant in any one second: capacity 1 plus 25/s each. */
  static final int LOCAL_PER_SECOND = PODS * (Math.max(1, BURST / PODS) + RATE / PODS);

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

  /** Fallbacks of all limits with the given reason tag, read through their meters. */
  private static long fallbacksBy(List<FleetRateLimit> limits, String reason) {
    Map<String, Long> byReason = new TreeMap<>();
    for (FleetRateLimit limit : limits) {
      limit.describeMeters(new MeterSink() {
        @Override
        public void counter(MeterId id, LongSupplier count) {
          if (id.name().equals("headroom.redis.ratelimit.fallbacks")) {
            byReason.merge(id.tagValue("reason"), count.getAsLong(), Long::sum);
          }
        }

        @Override
        public void gauge(MeterId id, DoubleSupplier value) {}

        @Override
        public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {}
      });
    }
    System.out.println("fallbacks by reason: " + byReason);
    return byReason.getOrDefault(reason, 0L);
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
    // Redis grants at most BURST + 10 x RATE; each fallback grants at most one more.
    long localMost = Math.min(fallbacks, (long) LOCAL_PER_SECOND * 10);
    assertTrue(grants.length <= BURST + 10 * RATE + localMost,
        "at most " + (BURST + 10 * RATE) + " + " + localMost + " from local shares: "
            + grants.length);
    assertTrue(grants.length >= 10 * RATE * 19 / 20, "within 5% under " + 10 * RATE + ": "
        + grants.length);
    // Any one second may see the burst on top of the rate, a little wake-up jitter, and what
    // the local shares granted in it.
    long localInASecond = Math.min(fallbacks, LOCAL_PER_SECOND);
    assertTrue(busiest <= RATE + BURST + 5 + localInASecond,
        "busiest second " + busiest + " (local shares at most " + localInASecond + ")");
    // Redis answered every call it was asked: a fallback here may only be a call that missed
    // the timeout (CPU contention) or one refused by the breaker that such misses opened.
    assertEquals(0L, fallbacksBy(limits, "error"), "no Redis call failed");
    assertTrue(grants.length > fallbacks, "Redis decided permits: " + grants.length + " permits, "
        + fallbacks + " fallbacks");
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
    assertEquals(0L, fallbacksBy(limits, "error"), "no Redis call failed");
    // Each pod enforced 500 / 20 = 25 per second on its own while its breaker was open, and
    // that lasts up to the open duration (1 s) past the pause's end while the pods that are
    // back on Redis draw its full rate: the local shares come on top of Redis's bucket.
    long localMost = Math.min(fallbacks, (long) LOCAL_PER_SECOND * 6);
    assertTrue(grants.length <= BURST + 6 * RATE + localMost,
        "at most " + (BURST + 6 * RATE) + " + " + localMost + " from local shares: "
            + grants.length);
    assertTrue(busiest <= RATE + BURST + 5 + LOCAL_PER_SECOND, "busiest second " + busiest);
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
