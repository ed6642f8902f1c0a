package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GetAllTest {

  private static final Duration TTL = Duration.ofSeconds(60);

  private final ManualClock clock = new ManualClock();
  private final ManualExecutor executor = new ManualExecutor();

  private HeadroomCache<String, String> cache() {
    return HeadroomCache.<String, String>builder("bulk").ttl(TTL).clock(clock)
        .refreshExecutor(executor).beta(0).staleIfError(Duration.ofMinutes(1)).build();
  }

  private static Map<String, String> upper(Set<String> keys) {
    Map<String, String> m = new HashMap<>();
    keys.forEach(k -> m.put(k, k.toUpperCase()));
    return m;
  }

  @Test
  void loadsOnlyTheMissingKeysInOneBatchAndKeepsTheOrder() {
    HeadroomCache<String, String> cache = cache();
    cache.get("b", k -> "B");
    cache.get("d", k -> "D");
    List<Set<String>> batches = new ArrayList<>();
    Map<String, String> all = cache.getAll(List.of("a", "b", "c", "d", "e", "a"), keys -> {
      batches.add(Set.copyOf(keys));
      return upper(keys);
    });
    assertEquals(List.of(Set.of("a", "c", "e")), batches);
    assertEquals(List.of("a", "b", "c", "d", "e"), new ArrayList<>(all.keySet()));
    assertEquals(List.of("A", "B", "C", "D", "E"), new ArrayList<>(all.values()));
    assertEquals("C", cache.getIfFresh("c"));
    assertEquals(2, cache.hits());
    assertEquals(2 + 3, cache.misses(), "the two fills, then the three missing keys");
    CacheInvariants.checkSequential(cache);
  }

  @Test
  void aKeyLeftOutOfTheBatchFailsAloneAndTheOthersAreStored() {
    HeadroomCache<String, String> cache = cache();
    CacheLoadException e = assertThrows(CacheLoadException.class,
        () -> cache.getAll(List.of("a", "b", "c"), keys -> Map.of("a", "A", "c", "C")));
    assertEquals("b", e.key());
    assertEquals("loader returned null for key b", e.getCause().getMessage());
    assertEquals("A", cache.getIfFresh("a"));
    assertNull(cache.getIfFresh("b"));
    assertEquals("C", cache.getIfFresh("c"));
    assertEquals(0, cache.inFlight());
  }

  @Test
  void aFailingBatchServesStaleValuesAndReportsTheFirstKeyWithout() {
    HeadroomCache<String, String> cache = cache();
    cache.get("b", k -> "old-b");
    clock.advance(TTL);
    CacheLoadException e = assertThrows(CacheLoadException.class,
        () -> cache.getAll(List.of("a", "b"), keys -> {
          throw new IllegalStateException("503");
        }));
    assertEquals("a", e.key());
    assertEquals(1, cache.staleServes(), "b was served stale");
    Map<String, String> stale = cache.getAll(List.of("b"), keys -> {
      throw new IllegalStateException("503");
    });
    assertEquals(Map.of("b", "old-b"), stale);
    assertEquals(1, executor.runAll(), "b's refresh ran in the background, once");
    assertEquals(0, cache.inFlight());
  }

  @Test
  void keysAlreadyInFlightAreAwaitedNotLoadedAgain() throws Exception {
    HeadroomCache<String, String> cache = cache();
    CompletableFuture<String> other = cache.getAsync("b", k -> "B-from-other");
    List<Set<String>> batches = new CopyOnWriteArrayList<>();
    CompletableFuture<Map<String, String>> all = CompletableFuture.supplyAsync(() ->
        cache.getAll(List.of("a", "b"), keys -> {
          batches.add(Set.copyOf(keys));
          return upper(keys);
        }));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cache.waits() == 0 && System.nanoTime() - deadline < 0) {
      Thread.sleep(1);
    }
    assertEquals(1, executor.runAll());
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("a", "A");
    expected.put("b", "B-from-other");
    assertEquals(expected, all.get(10, TimeUnit.SECONDS));
    assertEquals("B-from-other", other.get());
    assertEquals(List.of(Set.of("a")), batches);
  }

  @Test
  void theLoadPathSeesOneCallPerKeyAndCanServeSomeItself() {
    List<String> seen = new CopyOnWriteArrayList<>();
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("bulk-path")
        .ttl(TTL).clock(clock).loadPath(request -> {
          seen.add(request.key());
          return request.key().equals("x")
              ? CompletableFuture.completedFuture(request.loaded("fleet-x", 0L))
              : request.local();
        }).build();
    List<Set<String>> batches = new ArrayList<>();
    Map<String, String> all = cache.getAll(List.of("x", "y", "z"), keys -> {
      batches.add(Set.copyOf(keys));
      return upper(keys);
    });
    assertEquals(Map.of("x", "fleet-x", "y", "Y", "z", "Z"), all);
    assertEquals(List.of("x", "y", "z"), seen);
    assertEquals(List.of(Set.of("y", "z")), batches);
  }

  @Test
  void regressionARememberedFailureDoesNotStrandTheOtherKeysFlights() {
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("bulk-negative")
        .ttl(TTL).clock(clock).negativeTtl(Duration.ofSeconds(5)).build();
    assertThrows(CacheLoadException.class, () -> cache.get("bad", k -> {
      throw new IllegalStateException("404");
    }));
    CacheLoadException e = assertThrows(CacheLoadException.class,
        () -> cache.getAll(List.of("a", "bad", "c"), GetAllTest::upper));
    assertEquals("bad", e.key());
    assertEquals(0, cache.inFlight(), "a and c were loaded, not left in flight");
    assertEquals("A", cache.getIfFresh("a"));
    assertEquals("C", cache.getIfFresh("c"));
  }

  @Test
  void regressionANullKeyLateInTheListStrandsNoFlight() {
    HeadroomCache<String, String> cache = cache();
    List<String> keys = new ArrayList<>(List.of("a", "b"));
    keys.add(null);
    assertThrows(IllegalArgumentException.class, () -> cache.getAll(keys, GetAllTest::upper));
    assertEquals(0, cache.inFlight());
    assertEquals(0, cache.misses());
  }

  @Test
  void badArgumentsAreNamed() {
    HeadroomCache<String, String> cache = cache();
    assertEquals("keys must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.getAll(null, GetAllTest::upper)).getMessage());
    assertEquals("batchLoader must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> cache.getAll(List.of("a"), null)).getMessage());
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertEquals("key must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> cache.getAll(withNull, GetAllTest::upper)).getMessage());
    assertTrue(cache.getAll(List.of(), GetAllTest::upper).isEmpty());
  }
}
