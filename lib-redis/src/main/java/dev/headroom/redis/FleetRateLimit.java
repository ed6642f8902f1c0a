package dev.headroom.redis;

import dev.headroom.core.Checks;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * One rate limit for a whole fleet, for an external dependency that counts every pod's calls
 * together (an API that allows 500 requests per second, however many pods call it). Built on
 * Bucket4j's Redis backend (its Lettuce compare-and-swap proxy manager): one token bucket in
 * Redis, shared by every pod that builds a limit with the same name.
 *
 * <pre>{@code
 * FleetRateLimit taxApi = FleetRateLimit.builder("tax-credit-api", redis)
 *     .limit(500, Duration.ofSeconds(1))
 *     .build();
 * HeadroomCache<String, Credit> credits = HeadroomCache.<String, Credit>builder("tax-credit")
 *     .ttl(Duration.ofSeconds(60))
 *     .build();
 * Function<String, Credit> loader = taxApi.guard(api::fetch, Duration.ofMillis(200));
 * Credit credit = credits.get(memberId, loader);
 * }</pre>
 *
 * <h2>Permits</h2>
 * <ul>
 *   <li>{@link #tryAcquire()} takes a permit if one is free now.
 *   <li>{@link #acquire(Duration)} reserves the next free permit if it comes within
 *       {@code maxWait} and sleeps until then (Bucket4j's reservation: the waiting callers of
 *       every pod queue in one order in Redis, and none over-draws the rate).
 *   <li>{@link #guard(Function, Duration)} wraps a loader (a cache's, an HTTP call's): it takes
 *       a permit first, and a refusal is a {@link RateLimitedException}, which a
 *       {@link dev.headroom.cache.HeadroomCache} treats as a failed load (the stale value is
 *       served inside its window).
 * </ul>
 *
 * <p>The bucket holds at most {@code burst} permits (default a twentieth of the limit, at least
 * 1) and refills greedily at the limit's rate, so any window of length {@code T} grants at most
 * {@code burst + rate x T}: 5,025 in 10 s for 500 per second.
 *
 * <h2>Failing open</h2>
 *
 * <p>Each call to Redis is bounded by a timeout (default 100 ms) and a circuit breaker (three
 * failures in a row open it for a second). While Redis fails, the limit is enforced per pod
 * instead, by a local Bucket4j bucket holding this pod's share (the rate divided by the pod
 * count, from {@link Builder#podCount(IntSupplier)}, default 1), and each such permit counts a
 * fallback. No Redis error ever reaches a caller.
 *
 * <p>Meters ({@code headroom.redis.ratelimit.*}, tag {@code name}): {@code permits} by
 * {@code outcome} (immediate, waited, refused), {@code wait} (timer of the time waited for
 * permits), {@code fallbacks} by {@code reason} (unavailable, timeout, error).
 *
 * <p>Thread-safety: safe for concurrent use by any number of threads.
 */
public final class FleetRateLimit implements Instrumented {

  private final String name;
  private final long permits;
  private final Duration period;
  private final long burst;
  private final IntSupplier podCount;
  private final BucketProxy bucket;
  private final RedisGuard guard;

  private volatile LocalShare local;

  private final LongAdder immediate = new LongAdder();
  private final LongAdder waited = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder waitNanos = new LongAdder();

  /** This pod's share of the limit while Redis is unavailable, for one pod count. */
  private record LocalShare(int pods, Bucket bucket) {}

  /** Records the wait Bucket4j asks for, instead of sleeping inside the Redis call. */
  private static final class Reservation implements BlockingStrategy {
    long nanos;

    @Override
    public void park(long nanosToPark) {
      nanos += nanosToPark;
    }
  }

  private FleetRateLimit(Builder b) {
    this.name = b.name;
    this.permits = b.permits;
    this.period = b.period;
    this.burst = b.burst > 0 ? b.burst : Math.max(1L, b.permits / 20);
    this.podCount = b.podCount;
    this.guard = new RedisGuard("ratelimit:" + b.name, b.redisTimeout);
    BucketConfiguration config = BucketConfiguration.builder()
        .addLimit(limit -> limit.capacity(burst).refillGreedy(permits, period))
        .build();
    this.bucket = Bucket4jLettuce.casBasedBuilder(b.connection)
        .requestTimeout(b.redisTimeout)
        .expirationAfterWrite(ExpirationAfterWriteStrategy
            .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
        .build()
        .builder()
        // Concurrent requests of this pod's threads go to Redis as one compare-and-swap.
        .withOptimization(Optimizations.batching())
        .build("headroom:ratelimit:" + b.name, () -> config);
  }

  /**
   * Starts a builder.
   *
   * @param name the limit's name: every pod that uses the same name shares one limit
   * @param connection a Lettuce connection with String keys and byte[] values; the caller keeps
   *     owning it
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is null or blank or {@code connection} null
   */
  public static Builder builder(String name, StatefulRedisConnection<String, byte[]> connection) {
    return new Builder(Checks.requireNonBlank("name", name),
        Checks.requireNonNull("connection", connection));
  }

  /**
   * Takes a permit if one is free now.
   *
   * @return true if the caller may call the dependency
   */
  public boolean tryAcquire() {
    boolean ok;
    try {
      ok = guard.callSync(() -> bucket.tryConsume(1));
    } catch (RedisGuard.Failure f) {
      guard.fellBack(f);
      ok = localShare().tryConsume(1);
    }
    (ok ? immediate : refused).increment();
    return ok;
  }

  /**
   * Takes a permit, waiting for it up to {@code maxWait}: if the next free permit comes later,
   * nothing is taken and the call returns false at once. An interrupted wait keeps its permit
   * (it was reserved) and returns true with the interrupt flag set.
   *
   * @param maxWait how long the caller may wait, {@code >= 0}
   * @return true if the caller may call the dependency
   * @throws IllegalArgumentException if {@code maxWait} is null or negative
   */
  public boolean acquire(Duration maxWait) {
    Checks.requireNonNegative("maxWait", maxWait);
    long max = maxWait.toNanos();
    if (max == 0L) {
      return tryAcquire();
    }
    Reservation reservation = new Reservation();
    boolean ok;
    try {
      ok = guard.callSync(() -> reserve(bucket, max, reservation));
    } catch (RedisGuard.Failure f) {
      guard.fellBack(f);
      reservation.nanos = 0;
      ok = reserve(localShare(), max, reservation);
    }
    if (!ok) {
      refused.increment();
      return false;
    }
    if (reservation.nanos <= 0) {
      immediate.increment();
      return true;
    }
    waited.increment();
    waitNanos.add(reservation.nanos);
    sleep(reservation.nanos);
    return true;
  }

  /**
   * Like {@link #acquire(Duration)}, but a refusal is a {@link RateLimitedException}.
   *
   * @param maxWait how long the caller may wait, {@code >= 0}
   * @throws RateLimitedException if no permit comes within {@code maxWait}
   * @throws IllegalArgumentException if {@code maxWait} is null or negative
   */
  public void acquireOrThrow(Duration maxWait) {
    if (!acquire(maxWait)) {
      throw new RateLimitedException(name, permits, period, maxWait);
    }
  }

  /**
   * Wraps a loader so that each call takes a permit first, waiting up to {@code maxWait}.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param loader the call to the dependency
   * @param maxWait how long a call may wait for its permit, {@code >= 0}
   * @return the guarded loader; it throws {@link RateLimitedException} when refused
   * @throws IllegalArgumentException if either argument is null or {@code maxWait} negative
   */
  public <K, V> Function<K, V> guard(Function<? super K, ? extends V> loader, Duration maxWait) {
    Checks.requireNonNull("loader", loader);
    Checks.requireNonNegative("maxWait", maxWait);
    return key -> {
      acquireOrThrow(maxWait);
      return loader.apply(key);
    };
  }

  private static boolean reserve(Bucket bucket, long maxWaitNanos, Reservation reservation) {
    try {
      return bucket.asBlocking().tryConsume(1, maxWaitNanos, reservation);
    } catch (InterruptedException e) {
      // Our strategy never sleeps, so this cannot happen; keep the flag if it does.
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long nanos) {
    long deadline = System.nanoTime() + nanos;
    long left = nanos;
    while (left > 0 && !Thread.currentThread().isInterrupted()) {
      LockSupport.parkNanos(left);
      left = deadline - System.nanoTime();
    }
  }

  private Bucket localShare() {
    int pods = Math.max(1, podCount.getAsInt());
    LocalShare share = local;
    if (share == null || share.pods() != pods) {
      long rate = Math.max(1L, permits / pods);
      long capacity = Math.max(1L, burst / pods);
      share = new LocalShare(pods, Bucket.builder()
          .addLimit(limit -> limit.capacity(capacity).refillGreedy(rate, period)).build());
      local = share; // benign race: two threads may each build one; either enforces the share
    }
    return share.bucket();
  }

  // ---------------------------------------------------------------------------------------
  // State

  /**
   * Returns the limit's name.
   *
   * @return the name shared by the fleet
   */
  public String name() {
    return name;
  }

  /**
   * Returns the permits granted without waiting.
   *
   * @return the count since creation
   */
  public long immediatePermits() {
    return immediate.sum();
  }

  /**
   * Returns the permits granted after a wait.
   *
   * @return the count since creation
   */
  public long waitedPermits() {
    return waited.sum();
  }

  /**
   * Returns the refusals: no permit free now, or none within the caller's wait.
   *
   * @return the count since creation
   */
  public long refusals() {
    return refused.sum();
  }

  /**
   * Returns the calls decided by this pod's local share because Redis was unavailable.
   *
   * @return the count since creation
   */
  public long fallbacks() {
    return guard.fallbacks();
  }

  /**
   * Declares {@code headroom.redis.ratelimit.*}: {@code permits} (tag {@code outcome}:
   * immediate, waited, refused), the timer {@code wait}, {@code fallbacks} (tag
   * {@code reason}: unavailable, timeout, error), all tagged {@code name}, plus the breaker
   * guarding Redis.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.counter(id("permits", "Permits by outcome").tag("outcome", "immediate"),
        immediate::sum);
    sink.counter(id("permits", "Permits by outcome").tag("outcome", "waited"), waited::sum);
    sink.counter(id("permits", "Permits by outcome").tag("outcome", "refused"), refused::sum);
    sink.timer(id("wait", "Time waited for permits").baseUnit("seconds"), waited::sum,
        waitNanos::sum);
    for (RedisGuard.Reason r : RedisGuard.Reason.values()) {
      sink.counter(id("fallbacks", "Calls decided by the local share").tag("reason", r.tag),
          () -> guard.fallbacks(r));
    }
    guard.breaker.describeMeters(sink);
  }

  private MeterId id(String what, String description) {
    return MeterId.of("headroom.redis.ratelimit." + what).description(description)
        .tag("name", name);
  }

  @Override
  public String toString() {
    return "FleetRateLimit[" + name + ", " + permits + " per " + period + ", burst " + burst
        + "]";
  }

  /**
   * A call refused by a {@link FleetRateLimit}: no permit within the caller's wait.
   *
   * <p>Thread-safety: immutable.
   */
  public static final class RateLimitedException extends RejectedException {
    private static final long serialVersionUID = 1L;

    RateLimitedException(String name, long permits, Duration period, Duration maxWait) {
      super("ratelimit", name, "fleet rate limit '" + name + "' (" + permits + " per " + period
          + ") had no permit within " + maxWait, period.toNanos() / Math.max(1L, permits),
          false);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Builder

  /**
   * Builds a {@link FleetRateLimit}. Each setter validates its argument at once and may be
   * called only once; {@link #limit} is required.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final String name;
    private final StatefulRedisConnection<String, byte[]> connection;
    private long permits;
    private Duration period;
    private long burst;
    private IntSupplier podCount;
    private Duration redisTimeout;

    private Builder(String name, StatefulRedisConnection<String, byte[]> connection) {
      this.name = name;
      this.connection = connection;
    }

    /**
     * Sets the fleet-wide limit: {@code permits} per {@code period}.
     *
     * @param permits {@code > 0}
     * @param period {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if either is not positive
     * @throws IllegalStateException if already set
     */
    public Builder limit(long permits, Duration period) {
      Checks.requirePositive("permits", permits);
      Checks.requirePositive("period", period);
      Checks.requireNotSet(this.period == null, "limit", this.permits + " per " + this.period);
      this.permits = permits;
      this.period = period;
      return this;
    }

    /**
     * Sets how many permits may be taken at once after a quiet spell (default a twentieth of
     * the limit, at least 1).
     *
     * @param burst {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder burst(long burst) {
      Checks.requirePositive("burst", burst);
      Checks.requireNotSet(this.burst == 0, "burst", this.burst);
      this.burst = burst;
      return this;
    }

    /**
     * Sets where the pod count comes from while Redis is unavailable, when each pod enforces
     * its share of the limit (default: 1 pod, the whole limit per pod). A {@link PodLedger}'s
     * live count is the natural source: {@code () -> ledger.liveCount().orElse(maxPods)}.
     *
     * @param pods the current pod count; values below 1 count as 1
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder podCount(IntSupplier pods) {
      Checks.requireNonNull("podCount", pods);
      Checks.requireNotSet(this.podCount == null, "podCount", this.podCount);
      this.podCount = pods;
      return this;
    }

    /**
     * Sets how long one Redis call may take before the pod falls back to its local share
     * (default 100 ms).
     *
     * @param timeout {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder redisTimeout(Duration timeout) {
      Checks.requirePositive("redisTimeout", timeout);
      Checks.requireNotSet(this.redisTimeout == null, "redisTimeout", this.redisTimeout);
      this.redisTimeout = timeout;
      return this;
    }

    /**
     * Builds the limit.
     *
     * @return a new limit
     * @throws IllegalStateException if no limit was set
     */
    public FleetRateLimit build() {
      Checks.requireState(period != null, "limit must be set");
      if (podCount == null) {
        podCount = () -> 1;
      }
      if (redisTimeout == null) {
        redisTimeout = Duration.ofMillis(100);
      }
      return new FleetRateLimit(this);
    }
  }
}
