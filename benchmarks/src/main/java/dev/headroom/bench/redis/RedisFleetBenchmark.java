package dev.headroom.bench.redis;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.cache.LoadPath;
import dev.headroom.redis.FleetRateLimit;
import dev.headroom.redis.LeasedLoadPath;
import dev.headroom.redis.ValueCodec;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the fleet tier adds, against the real Redis on 127.0.0.1:6379 (it must be running).
 *
 * <p>{@link #load}: one load of a key no pod holds (a refresh costs the same: the path does the
 * same steps whatever the reason), by {@code path}:
 * <ul>
 *   <li>{@code local}: {@link LoadPath#local()}, the loader on the calling thread: the floor.
 *   <li>{@code leased}: {@link LeasedLoadPath}, this pod wins the lease: one script reads the
 *       shared value and the lease, {@code SET NX PX}, the loader on the refresh executor, then
 *       the value is handed back (its publication runs after, in the background).
 *   <li>{@code leased-fetch}: {@link LeasedLoadPath} where another pod already published the
 *       value: one script, no load.
 * </ul>
 *
 * <p>{@link #permit}: one permit of a fleet-wide rate limit (500,000 per second, never
 * exhausted), by {@code limiter}: {@code bucket4j} (a bare {@code tryConsume(1)} on Bucket4j's
 * Lettuce proxy, as a user would write it) and {@code headroom} ({@link FleetRateLimit}: the
 * same bucket behind a circuit breaker and batching).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RedisFleetBenchmark}. Figures are
 * microseconds per operation; the ratios to {@code local} and {@code bucket4j} are what count.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RedisFleetBenchmark {

  static final Function<Long, String> LOADER = key -> "value-" + key;
  static final int KEYS = 200_000;

  static StatefulRedisConnection<String, byte[]> connect(RedisClient client) {
    return client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
  }

  static void deleteKeys(RedisClient client, String pattern) {
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      var keys = c.sync().keys(pattern);
      if (!keys.isEmpty()) {
        c.sync().del(keys.toArray(new String[0]));
      }
    }
  }

  /** A cache with the chosen load path. */
  @State(Scope.Benchmark)
  public static class Loads {
    /** The load path. */
    @Param({"local", "leased", "leased-fetch"})
    public String path;

    final String namespace = "headroom-bench-" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient client;
    ExecutorService executor;
    HeadroomCache<Long, String> cache;
    long next;

    /** Connects, builds the cache, and publishes every key for leased-fetch. */
    @Setup(Level.Trial)
    public void setUp() {
      client = RedisClient.create("redis://127.0.0.1:6379");
      executor = Executors.newFixedThreadPool(2);
      LoadPath<Long, String> loadPath = switch (path) {
        case "local" -> LoadPath.local();
        case "leased", "leased-fetch" -> LeasedLoadPath.<Long, String>builder(connect(client),
            ValueCodec.string()).namespace(namespace).build();
        default -> throw new IllegalArgumentException("path must be one of the @Param values "
            + "(was " + path + ")");
      };
      cache = HeadroomCache.<Long, String>builder("bench").ttl(Duration.ofMinutes(10))
          .refreshExecutor(executor).loadPath(loadPath).build();
      if (path.equals("leased-fetch")) {
        // Another pod published every key with its freshness; this pod only takes them.
        HeadroomCache<Long, String> publisher = HeadroomCache.<Long, String>builder("publisher")
            .ttl(Duration.ofMinutes(10)).refreshExecutor(executor)
            .loadPath(LeasedLoadPath.<Long, String>builder(connect(client), ValueCodec.string())
                .namespace(namespace).build()).build();
        for (long k = 0; k < KEYS; k++) {
          publisher.get(k, LOADER);
        }
      }
    }

    /** Deletes the benchmark's keys and closes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
      deleteKeys(client, namespace + "*");
      executor.shutdownNow();
      client.shutdown();
    }
  }

  /** A fleet-wide limit of 500,000 per second, never exhausted, bare or through Headroom. */
  @State(Scope.Benchmark)
  public static class Permits {
    /** The limiter. */
    @Param({"bucket4j", "headroom"})
    public String limiter;

    final String name = "headroom-bench-" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient client;
    BucketProxy bare;
    FleetRateLimit fleet;

    /** Connects and builds both limiters. */
    @Setup(Level.Trial)
    public void setUp() {
      client = RedisClient.create("redis://127.0.0.1:6379");
      BucketConfiguration config = BucketConfiguration.builder()
          .addLimit(l -> l.capacity(500_000).refillGreedy(500_000, Duration.ofSeconds(1)))
          .build();
      bare = Bucket4jLettuce.casBasedBuilder(connect(client)).build().builder()
          .build(name + ":bare", () -> config);
      fleet = FleetRateLimit.builder(name, connect(client))
          .limit(500_000, Duration.ofSeconds(1)).burst(500_000).build();
    }

    /** Deletes the buckets and closes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
      deleteKeys(client, name + "*");
      deleteKeys(client, "headroom:ratelimit:" + name + "*");
      client.shutdown();
    }
  }

  /** One load of a key this cache does not hold. */
  @Benchmark
  public String load(Loads s) {
    long key = s.next++ % KEYS;
    s.cache.invalidate(key);
    return s.cache.get(key, LOADER);
  }

  /** One permit. */
  @Benchmark
  public boolean permit(Permits s) {
    return s.limiter.equals("bucket4j") ? s.bare.tryConsume(1) : s.fleet.tryAcquire();
  }
}
