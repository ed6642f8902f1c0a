package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Model-based properties: random sequences of reads (whose loads succeed, throw or return
 * null), invalidations and clock moves, run against a {@link HeadroomCache} and a small
 * reference model of its contract (TTL, stale-while-revalidate, stale-if-error with its
 * back-off, negative caching, no error caching by default). With early refresh and jitter off,
 * and the refresh executor running refreshes on the reading thread, the cache is deterministic
 * (the model draws its back-offs from the same seeded source), so every answer must match.
 */
class HeadroomCacheProperties {

  static final long TTL = 100;
  static final long STALE = 50;

  enum Outcome { OK, THROW, NULL }

  sealed interface Op permits Read, Invalidate, Advance {}

  record Read(int key, Outcome outcome) implements Op {}

  record Invalidate(int key) implements Op {}

  record Advance(long millis) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> read = Combinators.combine(Arbitraries.integers().between(0, 3),
        Arbitraries.of(Outcome.class)).as(Read::new);
    Arbitrary<Op> invalidate = Arbitraries.integers().between(0, 3).map(Invalidate::new);
    Arbitrary<Op> advance = Arbitraries.longs().between(0, 80).map(Advance::new);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, read), net.jqwik.api.Tuple.of(1, invalidate),
        net.jqwik.api.Tuple.of(3, advance)).list().ofMaxSize(60);
  }

  /** The contract, as simply as it can be said. */
  static final class Model {
    /** Times in nanoseconds of the model's clock. */
    record Good(String value, long expiresAt, long staleUntil, long retryAt, int failures) {}

    record Failure(String error, Good lastGood, long until) {}

    static final long MS = 1_000_000L;

    final Map<Integer, Object> entries = new HashMap<>();
    final long negativeTtl;
    final SplittableRandom random = new SplittableRandom(1);
    long now;
    int loads;
    long hits;
    long misses;
    long staleServes;

    Model(long negativeTtl) {
      this.negativeTtl = negativeTtl;
    }

    /** Returns the value, or "error:<message>". */
    String read(int key, Outcome outcome) {
      Object e = entries.get(key);
      if (e instanceof Good g && now < g.expiresAt) {
        hits++;
        return g.value;
      }
      if (e instanceof Good g && now < g.staleUntil) {
        // Served at once; a refresh runs (here, on the reading thread) unless backing off.
        if (now >= g.retryAt) {
          loads++;
          if (outcome == Outcome.OK) {
            entries.put(key, fresh(key + "#" + loads));
          } else {
            entries.put(key, new Good(g.value, g.expiresAt, g.staleUntil,
                now + backoff(g.failures), g.failures + 1));
          }
        }
        staleServes++;
        return g.value;
      }
      if (e instanceof Failure f && now < f.until) {
        return serveStale(f.lastGood, f.error);
      }
      misses++;
      loads++;
      Good previous = e instanceof Good g ? g : e instanceof Failure f ? f.lastGood : null;
      if (outcome == Outcome.OK) {
        Good g = fresh(key + "#" + loads);
        entries.put(key, g);
        return g.value;
      }
      String error = outcome == Outcome.THROW ? "boom " + loads
          : "loader returned null for key " + key;
      if (negativeTtl > 0) {
        entries.put(key, new Failure(error, previous, now + negativeTtl * MS));
      }
      return serveStale(previous, error);
    }

    private Good fresh(String value) {
      return new Good(value, now + TTL * MS, now + (TTL + STALE) * MS, now + TTL * MS, 0);
    }

    /** The cache's back-off: 1 ms (the load-time floor) doubled per failure, cap TTL / 8. */
    private long backoff(int failures) {
      long base = MS;
      long cap = Math.max(base, TTL * MS / 8);
      int doublings = Math.min(failures, 30);
      long wait = base > (cap >> doublings) ? cap : base << doublings;
      return (long) ((double) wait * (0.5 + random.nextDouble()));
    }

    private String serveStale(Good good, String error) {
      if (good != null && now < good.staleUntil) {
        staleServes++;
        return good.value;
      }
      return "error:" + error;
    }
  }

  @Property(tries = 300)
  void cacheAgreesWithTheModel(@ForAll("ops") List<Op> ops,
      @ForAll boolean negativeCaching) {
    ManualClock clock = new ManualClock();
    long negativeTtl = negativeCaching ? 20 : 0;
    HeadroomCache<Integer, String> cache = HeadroomCache.<Integer, String>builder("model")
        .ttl(Duration.ofMillis(TTL)).staleIfError(Duration.ofMillis(STALE))
        .negativeTtl(Duration.ofMillis(negativeTtl)).beta(0).earlyRefresh(0).ttlJitter(0)
        .clock(clock)
        .refreshExecutor(Runnable::run).random(new SplittableRandom(1)).build();
    Model model = new Model(negativeTtl);
    int[] loads = new int[1];
    for (Op op : ops) {
      if (op instanceof Read r) {
        String expected = model.read(r.key(), r.outcome());
        String actual;
        try {
          actual = cache.get(r.key(), k -> {
            loads[0]++;
            switch (r.outcome()) {
              case OK:
                return k + "#" + loads[0];
              case THROW:
                throw new IllegalStateException("boom " + loads[0]);
              default:
                return null;
            }
          });
        } catch (CacheLoadException e) {
          assertEquals(r.key(), e.key());
          actual = "error:" + e.getCause().getMessage();
        }
        assertEquals(expected, actual, "read " + r + " at " + model.now + " ns");
      } else if (op instanceof Invalidate i) {
        cache.invalidate(i.key());
        model.entries.remove(i.key());
      } else if (op instanceof Advance a) {
        clock.advance(Duration.ofMillis(a.millis()));
        model.now += a.millis() * Model.MS;
      }
      CacheInvariants.check(cache);
    }
    assertEquals(model.loads, loads[0], "origin calls");
    assertEquals(model.hits, cache.hits());
    assertEquals(model.misses, cache.misses());
    assertEquals(model.staleServes, cache.staleServes());
    CacheInvariants.checkSequential(cache);
  }

  /**
   * With early refresh on (the defaults, and beta 40) and an origin that always answers, a
   * reader that reads at least once per load time never gets a stale value and never waits
   * after the first load, whatever the read pattern and the seed: a refresh is due at least two
   * load times (here the 1 ms floor: loads take no virtual time) before expiry, so a read every
   * millisecond always starts it in time.
   */
  @Property(tries = 100)
  void earlyRefreshNeverServesAnExpiredValue(@ForAll("gaps") List<Integer> gaps,
      @ForAll long seed) {
    ManualClock clock = new ManualClock();
    HeadroomCache<String, Long> cache = HeadroomCache.<String, Long>builder("xfetch")
        .ttl(Duration.ofMillis(TTL)).beta(40).clock(clock).refreshExecutor(Runnable::run)
        .random(new SplittableRandom(seed)).build();
    long[] loads = new long[1];
    java.util.function.Function<String, Long> loader = k -> clock.nanoTime();
    cache.get("k", loader);
    for (int gap : gaps) {
      for (int i = 0; i < gap; i++) {
        clock.advance(Duration.ofMillis(1));
        Lookup<Long> l = cache.lookup("k", loader);
        assertTrue(!l.stale(), "stale value served");
        assertTrue(clock.nanoTime() - l.value() < Duration.ofMillis(TTL).toNanos(),
            "value older than the TTL");
      }
    }
    loads[0] = cache.loadSuccesses();
    assertEquals(1, cache.misses(), "only the first read missed");
    assertEquals(loads[0] - 1, cache.earlyRefreshes());
    CacheInvariants.checkSequential(cache);
  }

  @Provide
  Arbitrary<List<Integer>> gaps() {
    return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(30);
  }
}
