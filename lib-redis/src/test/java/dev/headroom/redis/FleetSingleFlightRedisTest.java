package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.cache.HeadroomCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 50 simulated pods (one JVM, each with its own cache and its own Redis connection) on one hot
 * key, against the real Redis: the deploy's first fill and every refresh after it are one
 * origin load for the whole fleet, not 50.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FleetSingleFlightRedisTest {

  static final int PODS = 50;
  static final Duration TTL = Duration.ofSeconds(2);

  private final RedisFixture redis = new RedisFixture();
  private final ExecutorService refreshers = Executors.newFixedThreadPool(8);

  @AfterEach
  void tearDown() throws InterruptedException {
    refreshers.shutdownNow();
    assertTrue(refreshers.awaitTermination(10, TimeUnit.SECONDS));
    redis.close();
  }

  record Pod(HeadroomCache<String, String> cache, LeasedLoadPath<String, String> path) {}

  private List<Pod> pods() {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      LeasedLoadPath<String, String> path = LeasedLoadPath
          .<String, String>builder(redis.connect(), ValueCodec.string())
          .namespace(redis.namespace).owner("pod-" + i).build();
      pods.add(new Pod(HeadroomCache.<String, String>builder("pod-" + i).ttl(TTL)
          .refreshExecutor(refreshers).loadPath(path).build(), path));
    }
    return pods;
  }

  @Test
  void theFleetLoadsAHotKeyOncePerRefreshNotOncePerPod() throws Exception {
    List<Pod> pods = pods();
    Origin origin = new Origin(50);

    // The deploy: every pod misses the hot key at the same moment.
    CountDownLatch start = new CountDownLatch(1);
    Set<String> firstValues = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    for (Pod pod : pods) {
      Thread t = new Thread(() -> {
        Origin.await(start);
        firstValues.add(pod.cache().get("hot", origin));
      });
      t.start();
      threads.add(t);
    }
    start.countDown();
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertEquals(1, origin.calls.get(), "one origin load for the fleet's first fill");
    assertEquals(Set.of("hot#1"), firstValues, "every pod got the one loaded value");

    // Steady reads from every pod for 4 TTLs: every refresh is one load for the fleet.
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicLong reads = new AtomicLong();
    long runNanos = TTL.multipliedBy(4).toNanos();
    long end = System.nanoTime() + runNanos;
    threads.clear();
    for (int r = 0; r < 4; r++) {
      int offset = r;
      Thread t = new Thread(() -> {
        try {
          while (System.nanoTime() - end < 0) {
            for (int i = offset; i < PODS; i += 4) {
              pods.get(i).cache().get("hot", origin);
              reads.incrementAndGet();
            }
            Thread.sleep(1);
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(60_000);
    }
    assertEquals(List.of(), List.copyOf(errors));
    int refreshLoads = origin.calls.get() - 1;
    long won = pods.stream().mapToLong(p -> p.path().leasesWon() + p.path().takeovers()).sum();
    long fetched = pods.stream().mapToLong(p -> p.path().fetched()).sum();
    long fallbacks = pods.stream().mapToLong(p -> p.path().fallbacks()).sum();
    long refreshes = pods.stream()
        .mapToLong(p -> p.cache().earlyRefreshes() + p.cache().staleRefreshes()).sum();
    long misses = pods.stream().mapToLong(p -> p.cache().misses()).sum();
    System.out.printf("50 pods, %d reads over %d s: %d refreshes started by pods, %d origin "
            + "loads (leases won %d), %d values taken from Redis, %d fallbacks, %d misses%n",
        reads.get(), TTL.multipliedBy(4).toSeconds(), refreshes, refreshLoads, won, fetched,
        fallbacks, misses);
    // A value is refreshed at the earliest 0.4 TTL after its load (lifetime 0.9 to 1 TTL, less
    // a window of up to half): over 4 TTLs at most 10 fleet-wide refreshes, where 50 pods on
    // their own would make about 50 x 4 / 0.7.
    assertTrue(refreshLoads >= 2 && refreshLoads <= 10, "origin loads " + refreshLoads);
    assertEquals(1, origin.maxRunning.get(), "never two loads of the key at once in the fleet");
    assertEquals(PODS, misses, "after the first fill no reader waited");
    assertEquals(0, fallbacks, "Redis answered every call");
    assertEquals(origin.calls.get(), won, "every origin load was a lease holder's");
    assertTrue(fetched >= (long) (PODS - 1) * refreshLoads / 2,
        "the other pods took the holders' values from Redis: " + fetched);
  }
}
