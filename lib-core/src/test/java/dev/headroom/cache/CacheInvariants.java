package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariants of a {@link HeadroomCache}'s counters, shared by the unit tests, the hammer tests
 * and the jqwik properties so that the checks cannot drift apart.
 */
final class CacheInvariants {

  private CacheInvariants() {}

  /** Checks what must hold at any moment, even with loads in flight. */
  static void check(HeadroomCache<?, ?> cache) {
    long misses = cache.misses();
    long waits = cache.waits();
    assertTrue(waits <= misses, "waits " + waits + " <= misses " + misses);
    long loads = cache.loadSuccesses() + cache.loadFailures() + cache.loadTimeouts();
    // Every load was started by a miss that owned it or by a refresh (early or stale).
    long refreshes = cache.earlyRefreshes() + cache.staleRefreshes();
    assertTrue(loads <= misses + refreshes,
        "loads " + loads + " <= misses " + misses + " + refreshes " + refreshes);
    assertTrue(cache.staleServes() >= 0 && cache.hits() >= 0 && cache.negativeHits() >= 0);
    assertTrue(cache.staleHits() <= cache.staleServes(),
        "stale hits " + cache.staleHits() + " <= stale serves " + cache.staleServes());
    assertTrue(cache.loadTimeNanos() >= 0);
  }

  /** Checks what must hold once no load is in flight. */
  static void checkQuiescent(HeadroomCache<?, ?> cache) {
    check(cache);
    assertEquals(0, cache.inFlight(), "no flight left behind");
  }

  /**
   * Checks the exact accounting of a cache used from one thread at a time, where no read can
   * join another's load: every miss owns exactly one load, every refresh is one load.
   */
  static void checkSequential(HeadroomCache<?, ?> cache) {
    checkQuiescent(cache);
    assertEquals(0, cache.waits(), "nobody joins in a sequential run");
    long loads = cache.loadSuccesses() + cache.loadFailures() + cache.loadTimeouts();
    assertEquals(cache.misses() + cache.earlyRefreshes() + cache.staleRefreshes(), loads,
        "loads == misses + refreshes");
  }
}
