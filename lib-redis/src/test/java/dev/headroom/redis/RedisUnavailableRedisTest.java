package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.cache.HeadroomCache;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis goes away while pods read, against the real Redis: its port closes (a forwarder in
 * front of it is cut), or the server is paused ({@code CLIENT PAUSE}). Pods keep serving from
 * their own caches and loading on their own, nothing is thrown, fallbacks are counted, and the
 * fleet tier is used again once Redis is back.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisUnavailableRedisTest {

  static final int PODS = 8;
  static final Duration TTL = Duration.ofMillis(800);

  private final RedisFixture redis = new RedisFixture();
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private LoopbackProxy proxy;
  private ClientResources resources;
  private RedisClient proxied;

  record Pod(HeadroomCache<String, String> cache, LeasedLoadPath<String, String> path) {}

  @BeforeEach
  void setUp() throws Exception {
    proxy = new LoopbackProxy(RedisFixture.PORT);
    // Reconnect every 100 ms instead of Lettuce's default back-off of up to 30 s, so that the
    // test sees the recovery quickly; the fleet tier itself needs nothing special.
    resources = ClientResources.builder()
        .reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
    proxied = RedisClient.create(resources, RedisURI.builder().withHost(RedisFixture.HOST)
        .withPort(proxy.port()).withTimeout(Duration.ofSeconds(5)).build());
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    executor.shutdownNow();
    assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    proxied.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown();
    proxy.close();
    redis.close();
  }

  private List<Pod> pods(RedisClient client) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      StatefulRedisConnection<String, byte[]> c =
          client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
      LeasedLoadPath<String, String> path = LeasedLoadPath
          .<String, String>builder(c, ValueCodec.string()).namespace(redis.namespace)
          .owner("pod-" + i).build();
      pods.add(new Pod(HeadroomCache.<String, String>builder("pod-" + i).ttl(TTL)
          .refreshExecutor(executor).loadPath(path).build(), path));
    }
    return pods;
  }

  /** Reads every pod's keys from 3 threads until told to stop; collects anything thrown. */
  private static final class Readers {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong reads = new AtomicLong();
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new ArrayList<>();

    Readers(List<Pod> pods, Origin origin) {
      for (int r = 0; r < 3; r++) {
        Thread t = new Thread(() -> {
          try {
            while (!stop.get()) {
              for (Pod pod : pods) {
                for (int k = 0; k < 4; k++) {
                  String v = pod.cache().get("key-" + k, origin);
                  if (!v.startsWith("key-" + k + "#")) {
                    errors.add(new AssertionError("key-" + k + " got " + v));
                  }
                  reads.incrementAndGet();
                }
              }
              Thread.sleep(2);
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        t.start();
        threads.add(t);
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }
  }

  private static long sum(List<Pod> pods, ToLongFunction<Pod> f) {
    return pods.stream().mapToLong(f).sum();
  }

  /** Waits until the pods use Redis again: a whole second of reads without a new fallback. */
  private static void awaitRecovery(List<Pod> pods) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    long before = sum(pods, p -> p.path().fallbacks());
    while (System.nanoTime() - deadline < 0) {
      Thread.sleep(1_000);
      long now = sum(pods, p -> p.path().fallbacks());
      if (now == before) {
        return;
      }
      before = now;
    }
    throw new AssertionError("the pods kept falling back 20 s after Redis came back");
  }

  private void outage(Runnable goAway, Runnable comeBack, String what) throws Exception {
    List<Pod> pods = pods(proxied);
    Origin origin = new Origin(5);
    Readers readers = new Readers(pods, origin);
    Thread.sleep(1_500); // healthy: a few fleet-wide refreshes
    long leasesBefore = sum(pods, p -> p.path().leasesWon() + p.path().fetched());
    assertTrue(leasesBefore > 0, "the fleet tier was in use before the outage");

    goAway.run();
    long readsAtStart = readers.reads.get();
    Thread.sleep(2_000);
    long outageFallbacks = sum(pods, p -> p.path().fallbacks());
    long outageReads = readers.reads.get() - readsAtStart;
    comeBack.run();

    awaitRecovery(pods);
    long usedAfter = sum(pods, p -> p.path().leasesWon() + p.path().fetched());
    Thread.sleep(1_500);
    long usedLater = sum(pods, p -> p.path().leasesWon() + p.path().fetched());
    readers.stop();

    System.out.printf("%s: %d reads during 2 s without Redis, %d fallbacks, %d errors; "
            + "fleet-tier uses after recovery %d -> %d%n", what, outageReads, outageFallbacks,
        readers.errors.size(), usedAfter, usedLater);
    assertEquals(List.of(), List.copyOf(readers.errors), "nothing was thrown to a reader");
    assertTrue(outageReads > 1_000, "pods kept serving during the outage: " + outageReads);
    assertTrue(outageFallbacks > 0, "the outage was counted as fallbacks");
    assertTrue(usedLater > usedAfter, "the fleet tier is used again after recovery");
  }

  @Test
  void aClosedPortLeavesPodsServingLocallyAndTheyRecover() throws Exception {
    outage(proxy::cut, () -> {
      try {
        proxy.restore();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }, "closed port");
  }

  @Test
  void aPausedServerLeavesPodsServingLocallyAndTheyRecover() throws Exception {
    // CLIENT PAUSE holds every client's commands for 1.5 s: Redis is up but does not answer.
    outage(() -> redis.admin().sync().clientPause(1_500), () -> { }, "CLIENT PAUSE 1500");
  }
}
