package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeadroomCacheTest {

  private static final Duration TTL = Duration.ofSeconds(60);

  private final ManualClock clock = new ManualClock();
  private final ManualExecutor executor = new ManualExecutor();
  private ExecutorService pool;

  @AfterEach
  void shutdown() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
    }
  }

  private HeadroomCache.Builder<String, String> builder() {
    return HeadroomCache.<String, String>builder("test").ttl(TTL).clock(clock)
        .refreshExecutor(executor);
  }

  /** No early refresh, no jitter, no stale window: values live exactly the TTL. */
  private HeadroomCache.Builder<String, String> exact() {
    return builder().beta(0).earlyRefresh(0).ttlJitter(0).staleIfError(Duration.ZERO);
  }

  /** A loader that counts its calls and answers "key#n". */
  private static final class CountingLoader implements Function<String, String> {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String apply(String key) {
      return key + "#" + calls.incrementAndGet();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Builder and bad input

  @Test
  void builderRejectsBadValuesWithTheSharedMessage() {
    assertEquals("ttl must be > 0 (was PT-1S)", assertThrows(IllegalArgumentException.class,
        () -> builder0().ttl(Duration.ofSeconds(-1))).getMessage());
    assertEquals("ttl must be > 0 (was PT0S)", assertThrows(IllegalArgumentException.class,
        () -> builder0().ttl(Duration.ZERO)).getMessage());
    assertEquals("ttl must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> builder0().ttl(null)).getMessage());
    assertEquals("beta must be finite and >= 0 (was -0.5)",
        assertThrows(IllegalArgumentException.class, () -> builder0().beta(-0.5)).getMessage());
    assertEquals("beta must be finite and >= 0 (was NaN)",
        assertThrows(IllegalArgumentException.class, () -> builder0().beta(Double.NaN))
            .getMessage());
    assertEquals("maximumSize must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class, () -> builder0().maximumSize(0))
            .getMessage());
    assertEquals("maximumWeight must be > 0 (was -3)",
        assertThrows(IllegalArgumentException.class,
            () -> builder0().maximumWeight(-3, (k, v) -> 1)).getMessage());
    assertEquals("weigher must be non-null (was null)",
        assertThrows(IllegalArgumentException.class, () -> builder0().maximumWeight(3, null))
            .getMessage());
    assertEquals("staleIfError must be >= 0 (was PT-1S)",
        assertThrows(IllegalArgumentException.class,
            () -> builder0().staleIfError(Duration.ofSeconds(-1))).getMessage());
    assertEquals("negativeTtl must be >= 0 (was PT-0.001S)",
        assertThrows(IllegalArgumentException.class,
            () -> builder0().negativeTtl(Duration.ofMillis(-1))).getMessage());
    assertEquals("loaderTimeout must be >= 0 (was PT-1S)",
        assertThrows(IllegalArgumentException.class,
            () -> builder0().loaderTimeout(Duration.ofSeconds(-1))).getMessage());
    assertEquals("name must be non-blank (was \" \")",
        assertThrows(IllegalArgumentException.class, () -> HeadroomCache.builder(" "))
            .getMessage());
    assertEquals("refreshExecutor must be non-null (was null)",
        assertThrows(IllegalArgumentException.class, () -> builder0().refreshExecutor(null))
            .getMessage());
    assertEquals("ttl + staleIfError must be <= PT876000H (was PT876001H)",
        assertThrows(IllegalArgumentException.class,
            () -> builder0().ttl(Duration.ofHours(876_000)).staleIfError(Duration.ofHours(1))
                .build()).getMessage());
  }

  @Test
  void builderRejectsRepeatedAndConflictingSettings() {
    assertEquals("ttl was already set to PT1M", assertThrows(IllegalStateException.class,
        () -> builder0().ttl(TTL).ttl(TTL)).getMessage());
    assertEquals("beta was already set to 2", assertThrows(IllegalStateException.class,
        () -> builder0().beta(2).beta(3)).getMessage());
    assertEquals("maximumSize was already set to 10", assertThrows(IllegalStateException.class,
        () -> builder0().maximumSize(10).maximumWeight(100, (k, v) -> 1)).getMessage());
    assertEquals("maximumWeight was already set to 100",
        assertThrows(IllegalStateException.class,
            () -> builder0().maximumWeight(100, (k, v) -> 1).maximumSize(10)).getMessage());
    assertEquals("ttl must be set", assertThrows(IllegalStateException.class,
        () -> HeadroomCache.<String, String>builder("x").build()).getMessage());
  }

  @Test
  void configRecordChecksItsOwnFields() {
    assertEquals("maximumSize and maximumWeight are exclusive (were 1 and 2)",
        assertThrows(IllegalStateException.class, () -> new CacheConfig("c", TTL, 1, 0.5, 0.1,
            1, 2, Duration.ZERO, Duration.ZERO, Duration.ZERO)).getMessage());
    CacheConfig config = builder0().ttl(TTL).beta(0.5).maximumSize(7)
        .staleIfError(Duration.ofMinutes(5)).build().config();
    assertEquals(new CacheConfig("c", TTL, 0.5, CacheConfig.DEFAULT_EARLY_REFRESH,
        CacheConfig.DEFAULT_TTL_JITTER, 7, CacheConfig.UNBOUNDED, Duration.ofMinutes(5),
        Duration.ZERO, Duration.ZERO), config);
    assertEquals(TTL, builder0().ttl(TTL).build().config().staleIfError(),
        "the default stale window is one TTL");
  }

  private static HeadroomCache.Builder<String, String> builder0() {
    return HeadroomCache.builder("c");
  }

  @Test
  void nullKeyOrLoaderIsANamedError() {
    HeadroomCache<String, String> cache = builder().build();
    assertEquals("key must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.get(null, k -> "v")).getMessage());
    assertEquals("loader must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> cache.get("k", (Function<String, String>) null)).getMessage());
    assertEquals("key must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.getAsync(null, k -> "v")).getMessage());
    assertEquals("loader must be non-null (was null)",
        assertThrows(IllegalArgumentException.class, () -> cache.getAsync("k",
            (Function<String, String>) null)).getMessage());
    assertEquals("key must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.lookup(null, k -> "v")).getMessage());
    assertEquals("key must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.invalidate(null)).getMessage());
  }

  // ---------------------------------------------------------------------------------------
  // Hits, misses, expiry

  @Test
  void loadsOnceThenHitsUntilTheTtlEnds() {
    HeadroomCache<String, String> cache = exact().build();
    CountingLoader loader = new CountingLoader();
    assertEquals("a#1", cache.get("a", loader));
    clock.advance(TTL.minusNanos(1));
    assertEquals("a#1", cache.get("a", loader));
    assertEquals(1, cache.hits());
    assertEquals(1, cache.misses());
    clock.advance(1);
    assertEquals("a#2", cache.get("a", loader));
    assertEquals(2, cache.misses());
    assertEquals(2, cache.loadSuccesses());
    assertEquals(0, executor.pending(), "no early refresh");
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void getIfFreshNeitherLoadsNorCounts() {
    HeadroomCache<String, String> cache = builder().build();
    assertNull(cache.getIfFresh("a"));
    cache.get("a", k -> "v");
    assertEquals("v", cache.getIfFresh("a"));
    clock.advance(TTL);
    assertNull(cache.getIfFresh("a"));
    assertEquals(0, cache.hits());
    assertEquals(1, cache.misses());
  }

  @Test
  void optionalValuesCacheAbsence() {
    HeadroomCache<String, Optional<String>> cache = HeadroomCache
        .<String, Optional<String>>builder("absent").ttl(TTL).clock(clock).build();
    AtomicInteger calls = new AtomicInteger();
    for (int i = 0; i < 5; i++) {
      assertEquals(Optional.empty(), cache.get("missing", k -> {
        calls.incrementAndGet();
        return Optional.empty();
      }));
    }
    assertEquals(1, calls.get());
  }

  // ---------------------------------------------------------------------------------------
  // Failures: throw, null, timeout

  @Test
  void loaderThatThrowsGivesATypedErrorAndTheNextCallLoadsAgain() {
    HeadroomCache<String, String> cache = builder().build();
    IllegalStateException boom = new IllegalStateException("origin down");
    CacheLoadException e = assertThrows(CacheLoadException.class,
        () -> cache.get("k", k -> {
          throw boom;
        }));
    assertSame(boom, e.getCause());
    assertEquals("k", e.key());
    assertEquals("test", e.cacheName());
    assertEquals("cache 'test' could not load key k: java.lang.IllegalStateException: "
        + "origin down", e.getMessage());
    assertEquals(0, e.getStackTrace().length, "no stack trace: the cause has it");
    assertEquals(0, cache.inFlight());
    assertEquals("k#1", cache.get("k", new CountingLoader()), "errors are not cached");
    assertEquals(1, cache.loadFailures());
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void loaderThatReturnsNullIsAFailureAndNothingIsStored() {
    HeadroomCache<String, String> cache = builder().build();
    CacheLoadException e = assertThrows(CacheLoadException.class, () -> cache.get("k", k -> null));
    assertInstanceOf(NullPointerException.class, e.getCause());
    assertEquals("loader returned null for key k", e.getCause().getMessage());
    assertNull(cache.getIfFresh("k"));
    assertEquals("k#1", cache.get("k", new CountingLoader()));
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void loaderThatHangsPastTheTimeoutIsInterruptedAndTheNextCallLoadsAgain() throws Exception {
    pool = Executors.newFixedThreadPool(2);
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("hang")
        .ttl(TTL).clock(clock).refreshExecutor(pool).loaderTimeout(Duration.ofMillis(100))
        .build();
    CountDownLatch interrupted = new CountDownLatch(1);
    CacheLoadException e = assertThrows(CacheLoadException.class, () -> cache.get("k", k -> {
      try {
        Thread.sleep(60_000);
        return "never";
      } catch (InterruptedException ex) {
        interrupted.countDown();
        throw new IllegalStateException("interrupted", ex);
      }
    }));
    assertInstanceOf(TimeoutException.class, e.getCause());
    assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the hung loader was interrupted");
    assertEquals(1, cache.loadTimeouts());
    assertEquals(0, cache.inFlight());
    assertEquals("k#1", cache.get("k", new CountingLoader()));
    // The pool thread that was interrupted must be clean for its next task.
    for (int i = 0; i < 4; i++) {
      assertFalse(pool.submit(() -> Thread.currentThread().isInterrupted()).get());
    }
  }

  @Test
  void hangingReloadServesTheStaleValueInsideTheWindow() {
    pool = Executors.newFixedThreadPool(1);
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("hang")
        .ttl(TTL).clock(clock).refreshExecutor(pool).loaderTimeout(Duration.ofMillis(50))
        .staleIfError(Duration.ofMinutes(5)).beta(0).build();
    cache.get("k", k -> "v1");
    clock.advance(TTL);
    Lookup<String> stale = cache.lookup("k", k -> {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
      return "never";
    });
    assertEquals(new Lookup<>("v1", true), stale);
    assertEquals(1, cache.staleServes());
  }

  // ---------------------------------------------------------------------------------------
  // Stale-if-error and negative caching

  @Test
  void staleIfErrorServesInsideTheWindowFailsAfterItAndRecovers() {
    HeadroomCache<String, String> cache = builder().beta(0).earlyRefresh(0).ttlJitter(0)
        .staleIfError(Duration.ofMinutes(5)).build();
    Function<String, String> down = k -> {
      throw new IllegalStateException("503");
    };
    assertEquals(new Lookup<>("v1", false), cache.lookup("k", k -> "v1"));
    clock.advance(TTL);
    assertEquals(new Lookup<>("v1", true), cache.lookup("k", down), "served at once, stale");
    assertEquals(1, cache.staleRefreshes());
    assertEquals(1, executor.runAll(), "the refresh ran in the background");
    assertEquals(1, cache.loadFailures());
    assertEquals("v1", cache.get("k", down));
    assertEquals(0, executor.pending(), "no new refresh inside the back-off");
    assertEquals(2, cache.staleServes());
    clock.advance(Duration.ofMinutes(5).minusNanos(1));
    assertEquals("v1", cache.get("k", down), "last nanosecond of the window");
    assertEquals(1, executor.runAll(), "the back-off is over: another refresh, which fails");
    clock.advance(1);
    CacheLoadException e = assertThrows(CacheLoadException.class, () -> cache.get("k", down));
    assertEquals("503", e.getCause().getMessage());
    assertEquals(new Lookup<>("v2", false), cache.lookup("k", k -> "v2"), "origin recovered");
    assertEquals(3, cache.staleServes());
    assertEquals(3, cache.loadFailures());
    assertEquals(2, cache.staleRefreshes());
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void anExpiredValueInsideTheStaleWindowIsServedAtOnceWhileItRefreshes() {
    HeadroomCache<String, String> cache = builder().build(); // defaults: a stale window of a TTL
    CountingLoader loader = new CountingLoader();
    assertEquals("k#1", cache.get("k", loader));
    clock.advance(TTL.plus(TTL.dividedBy(2))); // expired, inside the default window
    assertEquals(new Lookup<>("k#1", true), cache.lookup("k", loader), "nobody waits");
    assertEquals(new Lookup<>("k#1", true), cache.lookup("k", loader));
    assertEquals(1, executor.pending(), "one refresh for both reads");
    executor.runAll();
    assertEquals(new Lookup<>("k#2", false), cache.lookup("k", loader));
    assertEquals(1, cache.misses(), "only the first read waited");
    assertEquals(1, cache.staleRefreshes());
    assertEquals(2, cache.staleServes());
    clock.advance(TTL.multipliedBy(2)); // past expiry and window: a read waits again
    assertEquals("k#3", cache.get("k", loader));
    assertEquals(2, cache.misses());
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void withoutAStaleWindowAnExpiredValueIsNeverServed() {
    HeadroomCache<String, String> cache = builder().staleIfError(Duration.ZERO).build();
    cache.get("k", k -> "v1");
    clock.advance(TTL);
    assertThrows(CacheLoadException.class, () -> cache.get("k", k -> {
      throw new IllegalStateException("503");
    }));
    assertEquals(0, cache.staleServes());
  }

  @Test
  void negativeCachingRemembersAFailureForItsOwnTtl() {
    HeadroomCache<String, String> cache = builder().negativeTtl(Duration.ofSeconds(5)).build();
    AtomicInteger calls = new AtomicInteger();
    Function<String, String> down = k -> {
      calls.incrementAndGet();
      throw new IllegalStateException("503");
    };
    assertThrows(CacheLoadException.class, () -> cache.get("k", down));
    CacheLoadException remembered = assertThrows(CacheLoadException.class,
        () -> cache.get("k", down));
    assertEquals("503", remembered.getCause().getMessage());
    assertEquals(1, calls.get(), "the remembered failure did not call the origin");
    assertEquals(1, cache.negativeHits());
    CompletableFuture<String> async = cache.getAsync("k", down);
    assertInstanceOf(CacheLoadException.class,
        assertThrows(ExecutionException.class, async::get).getCause());
    clock.advance(Duration.ofSeconds(5));
    assertEquals("k#1", cache.get("k", new CountingLoader()));
    assertEquals(1, calls.get());
  }

  @Test
  void consecutiveFailedRefreshesBackOffExponentiallyUpToAnEighthOfTheTtl() {
    HeadroomCache<String, String> cache = builder().beta(0).earlyRefresh(0).ttlJitter(0)
        .random(new SplittableRandom(9)).build();
    cache.get("k", k -> {
      clock.advance(Duration.ofSeconds(1)); // one load time: 1 s, the back-off's base
      return "v1";
    });
    clock.advance(TTL);
    AtomicInteger calls = new AtomicInteger();
    Function<String, String> down = k -> {
      calls.incrementAndGet();
      throw new IllegalStateException("503");
    };
    List<Long> gaps = new ArrayList<>();
    long last = clock.nanoTime();
    for (int ms = 0; ms < 50_000; ms++) {
      assertEquals("v1", cache.get("k", down), "stale, never an error inside the window");
      if (executor.runAll() > 0) {
        gaps.add(clock.nanoTime() - last);
        last = clock.nanoTime();
      }
      clock.advance(Duration.ofMillis(1));
    }
    // The first refresh starts at once; then waits of 1, 2, 4 s (each x [0.5, 1.5)), capped at
    // TTL / 8 = 7.5 s (x [0.5, 1.5)).
    assertTrue(gaps.size() >= 6, gaps.toString());
    long s = Duration.ofSeconds(1).toNanos();
    for (int i = 1; i < gaps.size(); i++) {
      long base = Math.min(s << (i - 1), TTL.toNanos() / 8);
      assertTrue(gaps.get(i) >= base / 2 && gaps.get(i) <= base * 3 / 2 + 1_000_000,
          "gap " + i + ": " + gaps);
    }
    assertEquals(gaps.size(), calls.get());
  }

  // ---------------------------------------------------------------------------------------
  // Early refresh

  @Test
  void earlyRefreshServesTheCurrentValueAndReplacesItInTheBackground() {
    HeadroomCache<String, String> cache = builder().ttlJitter(0).random(new SplittableRandom(1))
        .build();
    CountingLoader loader = new CountingLoader();
    cache.get("k", k -> {
      clock.advance(Duration.ofSeconds(1)); // a recompute time of 1 s
      return loader.apply(k);
    });
    clock.advance(TTL.minusMillis(1)); // 1 ms left: due, at least two load times before expiry
    assertEquals("k#1", cache.get("k", loader));
    assertEquals(1, executor.pending(), "a refresh was started");
    assertEquals(1, cache.earlyRefreshes());
    assertEquals("k#1", cache.get("k", loader), "readers keep the current value meanwhile");
    assertEquals(1, executor.pending(), "one refresh in flight, not two");
    executor.runAll();
    assertEquals("k#2", cache.get("k", loader));
    assertEquals(3, cache.hits());
    assertEquals(1, cache.misses());
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void theHitPathNeverDrawsTheRefreshMomentIsDrawnWhenAValueIsStored() {
    AtomicInteger draws = new AtomicInteger();
    RandomGenerator counting = new RandomGenerator() {
      private final SplittableRandom inner = new SplittableRandom(7);

      @Override
      public long nextLong() {
        draws.incrementAndGet();
        return inner.nextLong();
      }
    };
    HeadroomCache<String, String> cache = builder().random(counting).build();
    cache.get("k", k -> {
      clock.advance(Duration.ofMillis(100));
      return "v";
    });
    assertEquals(3, draws.get(), "lifetime, window and XFetch term: one draw each");
    for (int i = 0; i < 4_000; i++) {
      cache.get("k", k -> "x");
      clock.advance(Duration.ofMillis(25));
      if (executor.pending() > 0) {
        break;
      }
    }
    assertEquals(3, draws.get(), "reads up to the refresh drew nothing");
    assertEquals(1, cache.earlyRefreshes());
  }

  @Test
  void theRefreshIsDueInsideTheWindowAndAtLeastTwoLoadTimesBeforeExpiry() {
    for (int seed = 0; seed < 200; seed++) {
      ManualClock c = new ManualClock();
      ManualExecutor ex = new ManualExecutor();
      HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("due")
          .ttl(TTL).clock(c).refreshExecutor(ex).random(new SplittableRandom(seed)).build();
      cache.get("k", k -> {
        c.advance(Duration.ofSeconds(2)); // a 2 s load
        return "v";
      });
      long loadedAt = c.nanoTime();
      long refreshedAt = -1;
      long expiredAt = -1;
      for (int ms = 0; ms <= TTL.toMillis(); ms += 10) {
        Lookup<String> l = cache.lookup("k", k -> "w");
        if (l.stale() && expiredAt < 0) {
          expiredAt = c.nanoTime();
        }
        if (refreshedAt < 0 && ex.pending() > 0) {
          refreshedAt = c.nanoTime();
        }
        c.advance(Duration.ofMillis(10));
      }
      long age = refreshedAt - loadedAt;
      // Lifetime in [54, 60] s; due max(4 s, U x 30 s + 2 s x E) before expiry.
      assertTrue(age >= 0 && age <= TTL.toNanos() - Duration.ofMillis(3_990).toNanos(),
          "seed " + seed + ": refresh at " + age);
      assertTrue(expiredAt < 0 || expiredAt - refreshedAt >= Duration.ofSeconds(4).toNanos()
          - Duration.ofMillis(10).toNanos(), "seed " + seed);
    }
  }

  @Test
  void aFailedRefreshKeepsTheValueAndBacksOffAboutOneRecomputeTime() {
    HeadroomCache<String, String> cache = builder().ttlJitter(0).random(new SplittableRandom(3))
        .build();
    cache.get("k", k -> {
      clock.advance(Duration.ofSeconds(1));
      return "v1";
    });
    clock.advance(TTL.minusMillis(5));
    Function<String, String> down = k -> {
      throw new IllegalStateException("503");
    };
    assertEquals("v1", cache.get("k", down));
    assertEquals(1, executor.runAll());
    assertEquals(1, cache.loadFailures());
    assertEquals("v1", cache.get("k", down), "still fresh; no new refresh yet");
    assertEquals(0, executor.pending());
    clock.advance(Duration.ofMillis(4)); // 1 ms left, inside the back-off (0.5 to 1.5 s)
    assertEquals("v1", cache.get("k", down));
    assertEquals(0, executor.pending());
    assertEquals(1, cache.earlyRefreshes());
  }

  @Test
  void earlyRefreshZeroAndBetaZeroTurnEarlyRefreshOff() {
    HeadroomCache<String, String> cache = builder().beta(0).earlyRefresh(0).ttlJitter(0).build();
    cache.get("k", k -> {
      clock.advance(Duration.ofSeconds(10));
      return "v";
    });
    clock.advance(TTL.minusNanos(1));
    for (int i = 0; i < 1000; i++) {
      cache.get("k", k -> "x");
    }
    assertEquals(0, cache.earlyRefreshes());
    assertEquals(0, executor.pending());
  }

  // ---------------------------------------------------------------------------------------
  // Async, the load path seam, invalidation, metrics

  @Test
  void getAsyncRunsSyncLoadersOnTheExecutorAndSharesTheFlight() throws Exception {
    HeadroomCache<String, String> cache = builder().build();
    CountingLoader loader = new CountingLoader();
    CompletableFuture<String> first = cache.getAsync("k", loader);
    CompletableFuture<String> second = cache.getAsync("k", loader);
    assertFalse(first.isDone());
    assertEquals(1, cache.waits());
    assertEquals(1, executor.runAll());
    assertEquals("k#1", first.get());
    assertEquals("k#1", second.get());
    CompletableFuture<String> hit = cache.getAsync("k", loader);
    assertTrue(hit.isDone());
    assertSame(hit, cache.getAsync("k", loader), "hits do not allocate a future each");
    assertEquals(1, loader.calls.get());
  }

  @Test
  void getAsyncWithAnAsynchronousLoader() throws Exception {
    HeadroomCache<String, String> cache = builder().build();
    CompletableFuture<String> origin = new CompletableFuture<>();
    CompletableFuture<String> f = cache.getAsync("k", (k, ex) -> origin);
    assertFalse(f.isDone());
    origin.complete("v");
    assertEquals("v", f.get());
    CompletableFuture<String> failing = cache.getAsync("z",
        (k, ex) -> CompletableFuture.failedFuture(new IllegalStateException("429")));
    ExecutionException e = assertThrows(ExecutionException.class, failing::get);
    CacheLoadException load = assertInstanceOf(CacheLoadException.class, e.getCause());
    assertEquals("429", load.getCause().getMessage());
    assertEquals("z", load.key());
    assertEquals(0, cache.inFlight());
  }

  @Test
  void everyLoadAndRefreshGoesThroughTheLoadPath() {
    List<String> seen = new ArrayList<>();
    HeadroomCache<String, String> cache = builder().random(new SplittableRandom(5))
        .loadPath(request -> {
          seen.add(request.key() + ":" + request.reason());
          if (request.key().startsWith("shared")) {
            return CompletableFuture.completedFuture(request.loaded("from-fleet", 0L));
          }
          return request.local();
        }).build();
    assertEquals("from-fleet", cache.get("shared-1", k -> "local"));
    cache.get("k", k -> {
      clock.advance(Duration.ofSeconds(1));
      return "local";
    });
    clock.advance(TTL.minusMillis(1));
    cache.get("k", k -> "refreshed");
    executor.runAll();
    assertEquals("refreshed", cache.get("k", k -> "x"));
    assertEquals(List.of("shared-1:MISS", "k:MISS", "k:REFRESH"), seen);
  }

  @Test
  void aLoadPathThatThrowsOrReturnsNullIsAFailedLoad() {
    HeadroomCache<String, String> cache = builder().loadPath(request -> {
      if (request.key().equals("null")) {
        return null;
      }
      throw new IllegalStateException("lease lost");
    }).build();
    assertEquals("lease lost", assertThrows(CacheLoadException.class,
        () -> cache.get("k", k -> "v")).getCause().getMessage());
    assertEquals("loadPath returned null for key null", assertThrows(CacheLoadException.class,
        () -> cache.get("null", k -> "v")).getCause().getMessage());
    assertEquals(0, cache.inFlight());
  }

  @Test
  void invalidateDuringALoadAnswersTheWaiterButStoresNothing() throws Exception {
    HeadroomCache<String, String> cache = builder().build();
    CompletableFuture<String> f = cache.getAsync("k", k -> "v");
    cache.invalidate("k");
    assertEquals(0, cache.inFlight());
    executor.runAll();
    assertEquals("v", f.get());
    assertNull(cache.getIfFresh("k"));
  }

  @Test
  void invalidateAllDropsEverything() {
    HeadroomCache<String, String> cache = builder().build();
    cache.get("a", k -> "1");
    cache.get("b", k -> "2");
    cache.invalidateAll();
    assertNull(cache.getIfFresh("a"));
    assertNull(cache.getIfFresh("b"));
  }

  @Test
  void maximumWeightBoundsTheCache() {
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("w").ttl(TTL)
        .clock(clock).maximumWeight(10, (k, v) -> v.length()).refreshExecutor(Runnable::run)
        .build();
    for (int i = 0; i < 100; i++) {
      cache.get("k" + i, k -> "12345");
    }
    cache.cleanUp();
    assertTrue(cache.estimatedSize() <= 2 + 1, "size " + cache.estimatedSize());
  }

  @Test
  void regressionAWeigherThatThrowsFailsTheLoadInsteadOfStrandingItsFlight() {
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("weigh")
        .ttl(TTL).clock(clock).maximumWeight(100, (k, v) -> {
          if (v.equals("bad")) {
            throw new IllegalStateException("cannot weigh");
          }
          return 1;
        }).build();
    CacheLoadException e = assertThrows(CacheLoadException.class,
        () -> cache.get("k", k -> "bad"));
    assertEquals("cannot weigh", e.getCause().getMessage());
    assertEquals(0, cache.inFlight());
    assertEquals(1, cache.loadFailures());
    assertEquals(0, cache.loadSuccesses());
    assertEquals("good", cache.get("k", k -> "good"));
  }

  @Test
  void getAsyncServesTheStaleValueWhenTheReloadFails() throws Exception {
    HeadroomCache<String, String> cache = builder().beta(0).staleIfError(Duration.ofMinutes(1))
        .build();
    cache.get("k", k -> "v1");
    clock.advance(TTL);
    CompletableFuture<String> f = cache.getAsync("k",
        (k, ex) -> CompletableFuture.failedFuture(new IllegalStateException("503")));
    assertEquals("v1", f.get());
    assertEquals(1, cache.staleServes());
  }

  @Test
  void metricsAreDeclaredUnderHeadroomCache() {
    HeadroomCache<String, String> cache = builder().beta(0).staleIfError(Duration.ofMinutes(1))
        .build();
    cache.get("k", k -> {
      clock.advance(Duration.ofMillis(30));
      return "v";
    });
    cache.get("k", k -> "x");
    clock.advance(TTL);
    assertEquals("v", cache.get("k", k -> {
      throw new IllegalStateException();
    }), "stale, served at once");
    assertEquals(1, executor.runAll(), "its refresh failed in the background");
    RecordingMeterSink sink = new RecordingMeterSink();
    cache.describeMeters(sink);
    assertEquals(1, sink.value("headroom.cache.hits", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.misses", "name", "test"));
    assertEquals(0, sink.value("headroom.cache.waits", "name", "test"));
    assertEquals(0, sink.value("headroom.cache.early_refreshes", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.stale_refreshes", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.stale_hits", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.stale_serves", "name", "test"));
    assertEquals(0, sink.value("headroom.cache.negative_hits", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.loads", "outcome", "success"));
    assertEquals(1, sink.value("headroom.cache.loads", "outcome", "failure"));
    assertEquals(0, sink.value("headroom.cache.loads", "outcome", "timeout"));
    assertEquals(2, sink.value("headroom.cache.load.duration", "name", "test"));
    assertEquals(Duration.ofMillis(30).toNanos(), cache.loadTimeNanos());
    assertEquals(0, sink.value("headroom.cache.inflight", "name", "test"));
    assertEquals(1, sink.value("headroom.cache.size", "name", "test"));
  }

  @Test
  void regressionATimedOutLoadNeverLeavesAStuckFlight() throws Exception {
    pool = Executors.newFixedThreadPool(2);
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("stuck")
        .ttl(TTL).clock(clock).refreshExecutor(pool).loaderTimeout(Duration.ofMillis(20))
        .build();
    AtomicBoolean hang = new AtomicBoolean(true);
    CompletableFuture<String> never = new CompletableFuture<>();
    for (int i = 0; i < 3; i++) {
      assertThrows(CacheLoadException.class, () -> cache.get("k", k -> hang.get() ? null : "v"))
          .getCause();
      CompletableFuture<String> f = cache.getAsync("k", (k, ex) -> never);
      assertInstanceOf(TimeoutException.class,
          assertThrows(ExecutionException.class, f::get).getCause().getCause());
      assertEquals(0, cache.inFlight());
    }
    hang.set(false);
    assertEquals("v", cache.get("k", k -> "v"));
    assertFalse(never.isDone(), "the caller's future is not completed by the timeout");
  }
}
