package dev.headroom.bench.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.headroom.cache.HeadroomCache;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cache hit path: {@link HeadroomCache#get} against raw Caffeine's {@code get(key, fn)} and
 * {@code getIfPresent} on the same data (4,096 keys, all cached, read in a per-thread sequence
 * from a random start), every implementation bounded to the same maximum size. Nothing expires
 * during a run, so every read is a hit.
 *
 * <ul>
 *   <li>{@code headroom-get}: {@link HeadroomCache#get} with a one-hour TTL and its default
 *       coarse clock (inside, a Caffeine cache with {@code expireAfterWrite}).
 *   <li>{@code caffeine-get}, {@code caffeine-getIfPresent}: raw Caffeine with a maximum size
 *       and no expiry, the fastest Caffeine configuration: the target the issue sets (within
 *       1.15x of {@code caffeine-get}).
 *   <li>{@code caffeine-get-expiring}: Caffeine with the same one-hour {@code expireAfterWrite}
 *       and its default system ticker, the configuration a user who needs a TTL would run.
 *   <li>{@code caffeine-get-stats}: raw Caffeine with {@code recordStats()}, which counts hits
 *       with a {@code LongAdder} as Headroom does for its {@code headroom.cache.hits} meter.
 * </ul>
 *
 * <p>Headroom's hit is Caffeine's quiet read ({@code Policy.getIfPresentQuietly}: the map
 * lookup and Caffeine's expiry check, no read-buffer offer) plus one dereference (the entry
 * holding the value and its refresh time), one coarse-clock read, one compare and one
 * {@code LongAdder} increment; one hit in 16 also reads through {@code getIfPresent} so that
 * Caffeine's eviction policy sees it.
 *
 * <p>Run at 1 and 2 threads: {@code java -jar benchmarks/target/benchmarks.jar CacheBenchmark -t 2}.
 * Allocation: add {@code -prof gc}; {@code gc.alloc.rate.norm} should be 0 for every row.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheBenchmark {

  static final int SIZE = 1 << 12;
  static final int MASK = SIZE - 1;
  static final Duration TTL = Duration.ofHours(1);
  static final Function<Integer, Integer> LOADER = key -> key;

  /** Which implementation to read. */
  @Param({"headroom-get", "caffeine-get", "caffeine-getIfPresent", "caffeine-get-expiring",
      "caffeine-get-stats"})
  public String cache;

  Integer[] keys;
  Reader reader;

  /** One implementation's hit path, chosen once per trial, so the call site is monomorphic. */
  abstract static class Reader {
    abstract Integer read(Integer key);
  }

  static final class HeadroomGet extends Reader {
    final HeadroomCache<Integer, Integer> cache = HeadroomCache.<Integer, Integer>builder("bench")
        .ttl(TTL).maximumSize(2L * SIZE).build();

    @Override
    Integer read(Integer key) {
      return cache.get(key, LOADER);
    }
  }

  static final class CaffeineGet extends Reader {
    final Cache<Integer, Integer> cache;

    CaffeineGet(boolean expiring, boolean stats) {
      Caffeine<Object, Object> builder = Caffeine.newBuilder().maximumSize(2L * SIZE);
      if (expiring) {
        builder.expireAfterWrite(TTL);
      }
      if (stats) {
        builder.recordStats();
      }
      cache = builder.build();
    }

    @Override
    Integer read(Integer key) {
      return cache.get(key, LOADER);
    }
  }

  static final class CaffeineGetIfPresent extends Reader {
    final Cache<Integer, Integer> cache = Caffeine.newBuilder().maximumSize(2L * SIZE).build();

    @Override
    Integer read(Integer key) {
      Integer value = cache.getIfPresent(key);
      return value != null ? value : cache.get(key, LOADER);
    }
  }

  /** Builds the chosen cache and fills it with every key. */
  @Setup(Level.Trial)
  public void setUp() {
    keys = new Integer[SIZE];
    for (int i = 0; i < SIZE; i++) {
      keys[i] = i;
    }
    switch (cache) {
      case "headroom-get" -> reader = new HeadroomGet();
      case "caffeine-get" -> reader = new CaffeineGet(false, false);
      case "caffeine-get-expiring" -> reader = new CaffeineGet(true, false);
      case "caffeine-get-stats" -> reader = new CaffeineGet(false, true);
      case "caffeine-getIfPresent" -> reader = new CaffeineGetIfPresent();
      default -> throw new IllegalArgumentException("cache must be one of the @Param values "
          + "(was " + cache + ")");
    }
    for (Integer key : keys) {
      reader.read(key);
    }
    for (Integer key : keys) {
      if (!key.equals(reader.read(key))) {
        throw new IllegalStateException("not filled: " + key);
      }
    }
  }

  /** Each thread walks the keys from its own random start. */
  @State(Scope.Thread)
  public static class Cursor {
    int index = ThreadLocalRandom.current().nextInt(SIZE);
  }

  /** One hit. */
  @Benchmark
  public Integer hit(Cursor cursor) {
    return reader.read(keys[cursor.index++ & MASK]);
  }
}
