package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Single flight under real concurrency: one load per key, however many callers. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SingleFlightTest {

  private static final int CALLERS = 1_000;

  @Test
  void thousandConcurrentCallersOnAColdKeyMakeExactlyOneLoaderCall() throws Exception {
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("cold")
        .ttl(Duration.ofMinutes(1)).build();
    AtomicInteger loaderCalls = new AtomicInteger();
    Function<String, String> loader = key -> {
      loaderCalls.incrementAndGet();
      // Hold the load until every other caller has joined it (bounded, in case one never
      // arrives: then the count assertions below fail rather than the test hanging).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (cache.waits() < CALLERS - 1 && System.nanoTime() - deadline < 0) {
        sleepMillis(1);
      }
      return "value";
    };
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> results = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      Thread t = new Thread(null, () -> {
        try {
          start.await();
          results.add(cache.get("cold-key", loader));
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "caller-" + i, 256 * 1024);
      threads.add(t);
      t.start();
    }
    start.countDown();
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertEquals(List.of(), List.copyOf(errors));
    assertEquals(1, loaderCalls.get(), "exactly one loader call");
    assertEquals(CALLERS, results.size());
    assertTrue(results.stream().allMatch("value"::equals));
    assertEquals(CALLERS, cache.misses());
    assertEquals(CALLERS - 1, cache.waits());
    assertEquals(1, cache.loadSuccesses());
    CacheInvariants.checkQuiescent(cache);
  }

  @Test
  void thousandConcurrentAsyncCallersShareOneLoad() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("cold-async")
          .ttl(Duration.ofMinutes(1)).refreshExecutor(pool).build();
      AtomicInteger loaderCalls = new AtomicInteger();
      CompletableFuture<String> origin = new CompletableFuture<>();
      List<CompletableFuture<String>> futures = new ArrayList<>();
      ExecutorService callers = Executors.newFixedThreadPool(8);
      List<java.util.concurrent.Future<CompletableFuture<String>>> submitted = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        submitted.add(callers.submit(() -> cache.getAsync("k", (k, ex) -> {
          loaderCalls.incrementAndGet();
          return origin;
        })));
      }
      for (var s : submitted) {
        futures.add(s.get(10, TimeUnit.SECONDS));
      }
      callers.shutdown();
      origin.complete("v");
      for (CompletableFuture<String> f : futures) {
        assertEquals("v", f.get(10, TimeUnit.SECONDS));
      }
      assertEquals(1, loaderCalls.get());
      assertEquals(CALLERS - 1, cache.waits());
      CacheInvariants.checkQuiescent(cache);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Many threads, many keys, time moving underneath: no two loads of one key ever overlap, and
   * every read gets a value some load produced for that key.
   */
  @Test
  void hammerNeverOverlapsTwoLoadsOfOneKey() throws Exception {
    ManualClock clock = new ManualClock();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    int keys = 16;
    int threads = 6;
    int readsPerThread = 40_000;
    AtomicIntegerArray running = new AtomicIntegerArray(keys);
    AtomicIntegerArray overlaps = new AtomicIntegerArray(keys);
    AtomicLong loaderCalls = new AtomicLong();
    try {
      HeadroomCache<Integer, Long> cache = HeadroomCache.<Integer, Long>builder("hammer")
          .ttl(Duration.ofMillis(50)).clock(clock).refreshExecutor(pool)
          .staleIfError(Duration.ofMillis(20)).build();
      Function<Integer, Long> loader = key -> {
        if (running.incrementAndGet(key) > 1) {
          overlaps.incrementAndGet(key);
        }
        try {
          loaderCalls.incrementAndGet();
          if (ThreadLocalRandom.current().nextInt(10) == 0) {
            throw new IllegalStateException("flaky origin");
          }
          return (long) key;
        } finally {
          running.decrementAndGet(key);
        }
      };
      CountDownLatch done = new CountDownLatch(threads);
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      AtomicLong failures = new AtomicLong();
      for (int t = 0; t < threads; t++) {
        new Thread(() -> {
          try {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 0; i < readsPerThread; i++) {
              int key = r.nextInt(keys);
              try {
                long v = cache.get(key, loader);
                if (v != key) {
                  errors.add(new AssertionError("key " + key + " got " + v));
                }
              } catch (CacheLoadException e) {
                failures.incrementAndGet();
              }
              if (i % 64 == 0) {
                clock.advance(Duration.ofMillis(1));
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            done.countDown();
          }
        }).start();
      }
      assertTrue(done.await(60, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cache.inFlight() > 0 && System.nanoTime() - deadline < 0) {
        sleepMillis(1);
      }
      assertEquals(List.of(), List.copyOf(errors));
      for (int k = 0; k < keys; k++) {
        assertEquals(0, overlaps.get(k), "overlapping loads of key " + k);
      }
      assertEquals(loaderCalls.get(), cache.loadSuccesses() + cache.loadFailures());
      assertEquals((long) threads * readsPerThread, cache.hits() + cache.staleHits()
          + cache.misses() + cache.negativeHits());
      assertTrue(cache.earlyRefreshes() > 0, "time moved: some refreshes were early");
      CacheInvariants.checkQuiescent(cache);
    } finally {
      pool.shutdownNow();
    }
  }

  static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
