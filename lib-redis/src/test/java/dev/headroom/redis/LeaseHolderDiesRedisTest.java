package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.cache.Lookup;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lease holder that dies mid-load, against the real Redis: its lease lapses, another pod
 * takes over and loads, and no caller waits longer than the lease (plus that pod's own load).
 * The holder is "killed" the way a crashed pod looks from outside: its load never finishes and
 * its connection is gone.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LeaseHolderDiesRedisTest {

  static final Duration LEASE = Duration.ofMillis(500);
  static final Duration TTL = Duration.ofSeconds(30);

  private final RedisFixture redis = new RedisFixture();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final CountDownLatch never = new CountDownLatch(1);

  @AfterEach
  void tearDown() throws InterruptedException {
    never.countDown();
    executor.shutdownNow();
    assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    redis.close();
  }

  private LeasedLoadPath<String, String> path(StatefulRedisConnection<String, byte[]> c,
      String owner) {
    return LeasedLoadPath.<String, String>builder(c, ValueCodec.string())
        .namespace(redis.namespace).owner(owner).leaseTime(LEASE).build();
  }

  private HeadroomCache<String, String> cache(String name, LeasedLoadPath<String, String> p) {
    return HeadroomCache.<String, String>builder(name).ttl(TTL).refreshExecutor(executor)
        .loadPath(p).build();
  }

  @Test
  void aWaitingMissTakesOverAfterTheLeaseAndWaitsNoLonger() throws Exception {
    StatefulRedisConnection<String, byte[]> holderConnection = redis.connect();
    LeasedLoadPath<String, String> holderPath = path(holderConnection, "holder");
    HeadroomCache<String, String> holder = cache("holder", holderPath);
    CountDownLatch holderLoading = new CountDownLatch(1);
    CompletableFuture<String> dying = holder.getAsync("key", k -> {
      holderLoading.countDown();
      Origin.await(never); // the pod dies mid-load: this load never ends
      return "never";
    });
    assertTrue(holderLoading.await(5, TimeUnit.SECONDS));
    assertEquals(1, holderPath.leasesWon());
    holderConnection.close(); // and its connection is gone

    LeasedLoadPath<String, String> otherPath = path(redis.connect(), "other");
    HeadroomCache<String, String> other = cache("other", otherPath);
    AtomicInteger loads = new AtomicInteger();
    long start = System.nanoTime();
    String value = other.get("key", k -> {
      loads.incrementAndGet();
      return "from-other";
    });
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals("from-other", value);
    assertEquals(1, loads.get());
    assertEquals(1, otherPath.leasesLost(), "it found the dead holder's lease");
    assertEquals(1, otherPath.takeovers(), "and took it over once it lapsed");
    assertEquals(0, otherPath.fallbacks());
    assertTrue(waitedMillis <= LEASE.toMillis() + 400,
        "waited " + waitedMillis + " ms, the lease is " + LEASE.toMillis() + " ms");
    assertFalse(dying.isDone());
    // The value the new holder published is what a third pod now takes from Redis.
    LeasedLoadPath<String, String> thirdPath = path(redis.connect(), "third");
    assertEquals("from-other", cache("third", thirdPath).get("key", k -> "third-loaded"));
    assertEquals(1, thirdPath.fetched());
  }

  @Test
  void aRefreshBehindADeadHolderServesEveryReaderAtOnceAndTakesOver() throws Exception {
    LeasedLoadPath<String, String> otherPath = path(redis.connect(), "other");
    HeadroomCache<String, String> other = HeadroomCache.<String, String>builder("other")
        .ttl(Duration.ofMillis(600)).earlyRefresh(0).beta(0).ttlJitter(0)
        .refreshExecutor(executor).loadPath(otherPath).build();
    assertEquals("v1", other.get("key", k -> "v1"));
    // A holder takes the lease for the key's refresh and dies.
    StatefulRedisConnection<String, byte[]> holderConnection = redis.connect();
    LeasedLoadPath<String, String> holderPath = path(holderConnection, "holder");
    HeadroomCache<String, String> holder = HeadroomCache.<String, String>builder("holder")
        .ttl(Duration.ofMillis(600)).refreshExecutor(executor).loadPath(holderPath).build();
    Thread.sleep(650); // v1 expired in Redis and in `other`
    CountDownLatch holderLoading = new CountDownLatch(1);
    holder.getAsync("key", k -> {
      holderLoading.countDown();
      Origin.await(never);
      return "never";
    });
    assertTrue(holderLoading.await(5, TimeUnit.SECONDS));
    holderConnection.close();

    AtomicInteger loads = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Lookup<String> l;
    long slowestReadNanos = 0;
    do {
      long t0 = System.nanoTime();
      l = other.lookup("key", k -> "v2-" + loads.incrementAndGet());
      slowestReadNanos = Math.max(slowestReadNanos, System.nanoTime() - t0);
      Thread.sleep(5);
    } while (l.stale() && System.nanoTime() - deadline < 0);
    assertEquals(new Lookup<>("v2-1", false), l, "refreshed once the dead lease lapsed");
    assertEquals(1, loads.get());
    assertEquals(1, otherPath.takeovers());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(slowestReadNanos) < 100,
        "readers were served the stale value at once, slowest read "
            + TimeUnit.NANOSECONDS.toMillis(slowestReadNanos) + " ms");
  }
}
