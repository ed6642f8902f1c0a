package dev.headroom.redis;

import dev.headroom.cache.LoadPath;
import dev.headroom.cache.LoadRequest;
import dev.headroom.cache.Loaded;
import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Fleet-wide single flight for a {@link dev.headroom.cache.HeadroomCache}: of all the pods that
 * want to load or refresh one key at about the same time, one loads it from the origin and
 * publishes it in Redis, and the others take it from there.
 *
 * <pre>{@code
 * StatefulRedisConnection<String, byte[]> redis =
 *     client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
 * HeadroomCache<String, String> credits = HeadroomCache.<String, String>builder("tax-credit")
 *     .ttl(Duration.ofSeconds(60))
 *     .loadPath(LeasedLoadPath.builder(redis, ValueCodec.string()).build())
 *     .build();
 * }</pre>
 *
 * <h2>What one load or refresh does</h2>
 * <ol>
 *   <li>One script reads the key's shared value (with the freshness it has left, from Redis's
 *       own expiry) and its lease. A shared value fresher than the one this pod holds is taken
 *       as it is: this pod's cache keeps it fresh exactly as long as Redis does, so the pods
 *       that take one load let it expire together and the next refresh is again one load.
 *   <li>Otherwise, if no pod holds the lease, this pod takes it ({@code SET NX PX}): it loads
 *       from the origin (its own loader, on the cache's refresh executor), hands the value to
 *       its cache at once, and publishes it with its load time and freshness, releasing the
 *       lease in the same script.
 *   <li>If another pod holds the lease, this pod waits for its value, reading again every poll
 *       interval (a quarter of the key's last load time, 5 to 100 ms). Meanwhile every reader of
 *       a refreshing key is served the current value by the cache: nobody waits for a refresh.
 *       A miss's callers wait.
 *   <li>A lease lapses after its lease time (at least twice the key's last load time) whether
 *       or not its holder finished: a holder that dies holds nobody up for longer. A waiting pod
 *       that finds the lease gone without a fresher value takes it over. A miss waits at most
 *       one lease time (a refresh two) for another pod's value; past that it loads on its own.
 * </ol>
 *
 * <h2>Failing open</h2>
 *
 * <p>Every Redis call is bounded by a timeout (default 100 ms) on the cache's scheduler and goes
 * through a circuit breaker (three failures in a row open it for a second). When Redis fails,
 * times out, or the breaker is open, the pod loads on its own, exactly as without the fleet
 * tier, and counts a fallback; no Redis error ever reaches a caller. A value that cannot be
 * published is still served by the pod that loaded it.
 *
 * <p>Meters ({@code headroom.redis.lease.*}, tag {@code name}): {@code leases} by {@code outcome}
 * (won, lost, takeover), {@code fetched} (values taken from Redis), {@code published},
 * {@code publish_failures}, {@code fallbacks} by {@code reason} (unavailable, timeout, error,
 * wait).
 *
 * <p>Thread-safety: safe for concurrent use by any number of caches and threads. One instance
 * may serve several caches: keys are prefixed with the cache's name unless a namespace is set.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class LeasedLoadPath<K, V> implements LoadPath<K, V>, Instrumented {

  // Redis layout, per key: "<ns>:v:<key>" holds the value's payload with a PX expiry equal to
  // the freshness it had when published; "<ns>:l:<key>" holds the lease token with a PX expiry.
  // The payload is a magic byte, a version byte, the load time (8 bytes, big-endian nanos),
  // then the codec's bytes.
  //
  // Races: two pods reading an absent value both try SET NX; Redis admits one. A pod that lost
  // re-reads value and lease together (one script), so it either finds the value, sees the
  // lease still held, or sees it gone and tries SET NX again. The holder publishes the value
  // and deletes its own lease in one script (compare-and-delete on the token), so no reader can
  // see the lease gone before the value is there. A holder whose lease lapsed mid-load still
  // publishes (a fresher value is never wrong) but deletes nothing that is not its own.

  private static final byte[][] NO_ARGS = new byte[0][];
  private static final byte MAGIC = 'H';
  private static final byte VERSION = 1;
  private static final int HEADER = 10;

  static final long MIN_POLL_NANOS = 5_000_000L;
  static final long MAX_POLL_NANOS = 100_000_000L;
  static final long DEFAULT_POLL_NANOS = 10_000_000L;
  /** A shared value counts as fresher than the local one only by more than this. */
  static final long FRESHER_BY_NANOS = 1_000_000L;

  private static final String PEEK =
      "local v = redis.call('GET', KEYS[1]) "
          + "if not v then return {false, -2, redis.call('PTTL', KEYS[2])} end "
          + "return {v, redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2])}";
  private static final String PUBLISH =
      "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
          + "if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end "
          + "return 1";
  private static final String RELEASE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
          + "return 0";

  private final String namespace;
  private final RedisAsyncCommands<String, byte[]> redis;
  private final ValueCodec<V> codec;
  private final Function<? super K, String> keyEncoder;
  private final long leaseNanos;
  private final String owner;
  private final RedisGuard guard;
  private final AtomicLong tokens = new AtomicLong();

  private final LongAdder won = new LongAdder();
  private final LongAdder lost = new LongAdder();
  private final LongAdder takeovers = new LongAdder();
  private final LongAdder fetched = new LongAdder();
  private final LongAdder published = new LongAdder();
  private final LongAdder publishFailures = new LongAdder();
  private final LongAdder waitFallbacks = new LongAdder();

  private LeasedLoadPath(Builder<K, V> b) {
    this.namespace = b.namespace;
    this.redis = b.connection.async();
    this.codec = b.codec;
    this.keyEncoder = b.keyEncoder;
    this.leaseNanos = b.leaseTime.toNanos();
    this.owner = b.owner;
    this.guard = new RedisGuard("lease:" + (b.namespace == null ? "" : b.namespace),
        b.redisTimeout);
  }

  /**
   * Starts a builder.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param connection a Lettuce connection with String keys and byte[] values (for example
   *     {@code client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))}); the
   *     caller keeps owning it
   * @param codec turns values into bytes and back
   * @return a new builder
   * @throws IllegalArgumentException if either is null
   */
  public static <K, V> Builder<K, V> builder(StatefulRedisConnection<String, byte[]> connection,
      ValueCodec<V> codec) {
    return new Builder<>(Checks.requireNonNull("connection", connection),
        Checks.requireNonNull("codec", codec));
  }

  @Override
  public CompletableFuture<Loaded<V>> load(LoadRequest<K, V> request) {
    CompletableFuture<Loaded<V>> result = new CompletableFuture<>();
    String key;
    try {
      key = keyEncoder.apply(request.key());
    } catch (RuntimeException e) {
      return request.local();
    }
    new Attempt(request, key, result).peek();
    return result;
  }

  /** One load's way through the fleet tier. Its steps run one after another, never at once. */
  private final class Attempt {
    final LoadRequest<K, V> request;
    final String valueKey;
    final String leaseKey;
    final long leaseMillis;
    final long pollNanos;
    final long waitUntil;
    final CompletableFuture<Loaded<V>> result;
    boolean triedLease;

    Attempt(LoadRequest<K, V> request, String key, CompletableFuture<Loaded<V>> result) {
      this.request = request;
      String ns = namespace == null ? request.cacheName() : namespace;
      this.valueKey = ns + ":v:" + key;
      this.leaseKey = ns + ":l:" + key;
      long last = request.lastLoadNanos();
      long lease = Math.max(leaseNanos, 2 * last);
      this.leaseMillis = Math.max(1L, (lease + 999_999L) / 1_000_000L);
      this.pollNanos = last <= 0 ? Math.min(DEFAULT_POLL_NANOS, lease / 4)
          : Math.max(MIN_POLL_NANOS, Math.min(Math.min(MAX_POLL_NANOS, last / 4), lease / 4));
      long patience = request.reason() == Reason.MISS ? lease : 2 * lease;
      this.waitUntil = request.clock().nanoTime() + patience;
      this.result = result;
    }

    /** Reads the shared value and the lease together, then decides. */
    void peek() {
      guard.<List<Object>>call(() -> redis.eval(PEEK, ScriptOutputType.MULTI,
          new String[] {valueKey, leaseKey}, NO_ARGS), request.scheduler())
          .whenComplete((reply, error) -> {
            if (error != null) {
              fallBack(error);
              return;
            }
            Loaded<V> shared = fresher(reply);
            if (shared != null) {
              fetched.increment();
              result.complete(shared);
              return;
            }
            long leaseLeft = ((Number) reply.get(2)).longValue();
            if (leaseLeft > 0 || leaseLeft == -1) { // held (-1: held without expiry)
              if (!triedLease) {
                triedLease = true;
                lost.increment();
              }
              waitForValue();
            } else {
              takeLease();
            }
          });
    }

    void takeLease() {
      boolean again = triedLease;
      triedLease = true;
      String token = owner + ":" + tokens.incrementAndGet();
      guard.call(() -> redis.set(leaseKey, ascii(token), SetArgs.Builder.nx().px(leaseMillis)),
          request.scheduler()).whenComplete((ok, error) -> {
            if (error != null) {
              fallBack(error);
            } else if ("OK".equals(ok)) {
              (again ? takeovers : won).increment();
              loadAndPublish(token);
            } else {
              if (!again) {
                lost.increment();
              }
              waitForValue();
            }
          });
    }

    void waitForValue() {
      if (request.clock().nanoTime() - waitUntil >= 0) {
        waitFallbacks.increment();
        loadLocally();
        return;
      }
      request.scheduler().schedule(pollNanos, this::peek);
    }

    void loadAndPublish(String token) {
      startLocal().whenComplete((loaded, error) -> {
        if (error != null) {
          guard.call(() -> redis.eval(RELEASE, ScriptOutputType.INTEGER,
              new String[] {leaseKey}, ascii(token)), request.scheduler());
          result.completeExceptionally(error);
          return;
        }
        result.complete(loaded);
        publish(loaded, token);
      });
    }

    void publish(Loaded<V> loaded, String token) {
      byte[] payload;
      try {
        byte[] bytes = codec.encode(loaded.value());
        payload = ByteBuffer.allocate(HEADER + bytes.length).put(MAGIC).put(VERSION)
            .putLong(loaded.loadNanos()).put(bytes).array();
      } catch (RuntimeException e) {
        publishFailures.increment();
        return;
      }
      long px = Math.max(1L, loaded.freshForNanos() / 1_000_000L);
      guard.call(() -> redis.eval(PUBLISH, ScriptOutputType.INTEGER,
              new String[] {valueKey, leaseKey}, payload, ascii(Long.toString(px)),
              ascii(token)), request.scheduler())
          .whenComplete((ok, error) -> {
            if (error == null) {
              published.increment();
            } else {
              publishFailures.increment();
            }
          });
    }

    void fallBack(Throwable error) {
      guard.fellBack(error);
      loadLocally();
    }

    void loadLocally() {
      startLocal().whenComplete((loaded, error) -> {
        if (error != null) {
          result.completeExceptionally(error);
        } else {
          result.complete(loaded);
        }
      });
    }

    /**
     * Starts this pod's loader on the cache's executor: the step that gets here may be running
     * on Redis's I/O thread, where a blocking loader must never run.
     */
    CompletableFuture<Loaded<V>> startLocal() {
      return CompletableFuture.supplyAsync(request::local, request.executor())
          .thenCompose(Function.identity());
    }

    /** The shared value if it is fresher than the local one, else null. */
    Loaded<V> fresher(List<Object> reply) {
      Object raw = reply.get(0);
      long pttl = ((Number) reply.get(1)).longValue();
      if (!(raw instanceof byte[] payload) || pttl <= 0) {
        return null;
      }
      long freshFor = pttl * 1_000_000L;
      if (request.currentValue() != null
          && freshFor - request.currentFreshForNanos() <= FRESHER_BY_NANOS) {
        return null;
      }
      if (payload.length < HEADER || payload[0] != MAGIC || payload[1] != VERSION) {
        return null;
      }
      try {
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        long loadNanos = buffer.getLong(2);
        byte[] bytes = new byte[payload.length - HEADER];
        buffer.position(HEADER);
        buffer.get(bytes);
        V value = codec.decode(bytes);
        return value == null ? null : new Loaded<>(value, Math.max(0L, loadNanos), freshFor);
      } catch (RuntimeException e) {
        return null;
      }
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  // ---------------------------------------------------------------------------------------
  // State

  /**
   * Returns the leases this pod took on a key no pod held: it loaded for the fleet.
   *
   * @return the count since creation
   */
  public long leasesWon() {
    return won.sum();
  }

  /**
   * Returns the loads that found another pod holding the key's lease and waited for its value.
   *
   * @return the count since creation
   */
  public long leasesLost() {
    return lost.sum();
  }

  /**
   * Returns the leases taken over after the previous holder's lease lapsed without a value (a
   * holder that died or outlived its lease).
   *
   * @return the count since creation
   */
  public long takeovers() {
    return takeovers.sum();
  }

  /**
   * Returns the values taken from Redis instead of loaded.
   *
   * @return the count since creation
   */
  public long fetched() {
    return fetched.sum();
  }

  /**
   * Returns the values this pod published after loading them.
   *
   * @return the count since creation
   */
  public long published() {
    return published.sum();
  }

  /**
   * Returns the values this pod loaded but could not publish (Redis or the codec failed); the
   * pod still served them.
   *
   * @return the count since creation
   */
  public long publishFailures() {
    return publishFailures.sum();
  }

  /**
   * Returns the loads that fell back to this pod's own loader: Redis unavailable, timed out or
   * failed, or another pod's value did not come within the wait.
   *
   * @return the count since creation
   */
  public long fallbacks() {
    return guard.fallbacks() + waitFallbacks.sum();
  }

  /**
   * Declares {@code headroom.redis.lease.*}: {@code leases} (tag {@code outcome}: won, lost,
   * takeover), {@code fetched}, {@code published}, {@code publish_failures} and
   * {@code fallbacks} (tag {@code reason}: unavailable, timeout, error, wait), all tagged
   * {@code name}, plus the breaker guarding Redis ({@code headroom.breaker.*}, name
   * {@code redis:lease:<namespace>}).
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.counter(id("leases", "Leases by outcome").tag("outcome", "won"), won::sum);
    sink.counter(id("leases", "Leases by outcome").tag("outcome", "lost"), lost::sum);
    sink.counter(id("leases", "Leases by outcome").tag("outcome", "takeover"), takeovers::sum);
    sink.counter(id("fetched", "Values taken from Redis instead of loaded"), fetched::sum);
    sink.counter(id("published", "Values loaded and published"), published::sum);
    sink.counter(id("publish_failures", "Values loaded but not published"),
        publishFailures::sum);
    for (RedisGuard.Reason r : RedisGuard.Reason.values()) {
      sink.counter(id("fallbacks", "Loads that fell back to the local loader")
          .tag("reason", r.tag), () -> guard.fallbacks(r));
    }
    sink.counter(id("fallbacks", "Loads that fell back to the local loader")
        .tag("reason", "wait"), waitFallbacks::sum);
    guard.breaker.describeMeters(sink);
  }

  private MeterId id(String what, String description) {
    return MeterId.of("headroom.redis.lease." + what).description(description)
        .tag("name", namespace == null ? "per-cache" : namespace);
  }

  @Override
  public String toString() {
    return "LeasedLoadPath[" + (namespace == null ? "per-cache" : namespace) + ", owner="
        + owner + "]";
  }

  // ---------------------------------------------------------------------------------------
  // Builder

  /**
   * Builds a {@link LeasedLoadPath}. Each setter validates its argument at once and may be
   * called only once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   *
   * @param <K> the key type
   * @param <V> the value type
   */
  public static final class Builder<K, V> {
    private final StatefulRedisConnection<String, byte[]> connection;
    private final ValueCodec<V> codec;
    private String namespace;
    private Function<? super K, String> keyEncoder;
    private Duration leaseTime;
    private Duration redisTimeout;
    private String owner;

    private Builder(StatefulRedisConnection<String, byte[]> connection, ValueCodec<V> codec) {
      this.connection = connection;
      this.codec = codec;
    }

    /**
     * Sets the prefix of every Redis key (default: the name of the cache that loads). Pods
     * share values only under the same namespace.
     *
     * @param namespace non-blank
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> namespace(String namespace) {
      Checks.requireNonBlank("namespace", namespace);
      Checks.requireNotSet(this.namespace == null, "namespace", this.namespace);
      this.namespace = namespace;
      return this;
    }

    /**
     * Sets how a key becomes part of a Redis key (default {@code String.valueOf}). It must give
     * the same string for equal keys on every pod.
     *
     * @param encoder the encoder
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> keyEncoder(Function<? super K, String> encoder) {
      Checks.requireNonNull("keyEncoder", encoder);
      Checks.requireNotSet(this.keyEncoder == null, "keyEncoder", this.keyEncoder);
      this.keyEncoder = encoder;
      return this;
    }

    /**
     * Sets the shortest lease (default 1 s); a key's lease lasts at least twice its last load
     * time. The lease bounds how long a dead holder can hold the fleet up.
     *
     * @param leaseTime {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> leaseTime(Duration leaseTime) {
      Checks.requirePositive("leaseTime", leaseTime);
      Checks.requireNotSet(this.leaseTime == null, "leaseTime", this.leaseTime);
      this.leaseTime = leaseTime;
      return this;
    }

    /**
     * Sets how long one Redis call may take before the pod falls back to its own loader
     * (default 100 ms).
     *
     * @param timeout {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> redisTimeout(Duration timeout) {
      Checks.requirePositive("redisTimeout", timeout);
      Checks.requireNotSet(this.redisTimeout == null, "redisTimeout", this.redisTimeout);
      this.redisTimeout = timeout;
      return this;
    }

    /**
     * Sets this pod's name in lease tokens, for debugging (default: a random UUID).
     *
     * @param owner non-blank
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> owner(String owner) {
      Checks.requireNonBlank("owner", owner);
      Checks.requireNotSet(this.owner == null, "owner", this.owner);
      this.owner = owner;
      return this;
    }

    /**
     * Builds the path.
     *
     * @return a new path
     */
    public LeasedLoadPath<K, V> build() {
      if (keyEncoder == null) {
        keyEncoder = String::valueOf;
      }
      if (leaseTime == null) {
        leaseTime = Duration.ofSeconds(1);
      }
      if (redisTimeout == null) {
        redisTimeout = Duration.ofMillis(100);
      }
      if (owner == null) {
        owner = UUID.randomUUID().toString();
      }
      return new LeasedLoadPath<>(this);
    }
  }
}
