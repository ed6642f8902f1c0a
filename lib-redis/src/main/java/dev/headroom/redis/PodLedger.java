package dev.headroom.redis;

import dev.headroom.cache.Scheduler;
import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * A live ledger of the pods that share one budget (a database's connections, say): each pod
 * heartbeats its identity and its pool allocation into a Redis sorted set scored by Redis's own
 * clock, a pod that stops heartbeating drops out after the TTL, and every pod reads the exact
 * live count from it.
 *
 * <pre>{@code
 * PodLedger ledger = PodLedger.builder(redis).namespace("orders-db").build();
 * ledger.addListener(pods -> System.out.println("live pods: " + pods));
 * int mine = ledger.claim(budget / pods, budget, safeSize); // atomic against the others
 * }</pre>
 *
 * <h2>The control loop</h2>
 *
 * <p>Signal: heartbeats, one per pod every {@code heartbeatInterval} (default 1 s), each an
 * atomic script that stamps the pod with Redis's {@code TIME}, records its allocation, drops
 * every member whose last heartbeat is older than the {@code ttl} (default three intervals) and
 * returns the live count and the sum of live allocations. Reaction: a joining pod is counted by
 * every pod within one interval of its first heartbeat; a pod that stops (crash, partition) is
 * dropped within the TTL plus one interval; one that closes leaves at once. Listeners hear each
 * change of the count, meant to drive the pool budget's pod-count source through its push API.
 * Why it cannot get stuck: membership is only ever a recent heartbeat, so a dead pod cannot stay
 * counted, and the whole set expires if every pod goes away.
 *
 * <h2>The budget invariant</h2>
 *
 * <p>{@link #claim(int, int, int)} grants a pod at most what the budget leaves after every other
 * live pod's allocation, in one atomic script, so the allocations in the ledger never sum above
 * the budget at any moment. The pod must shrink before it claims less and claim before it grows,
 * so that what it holds never exceeds what the ledger shows. {@link #snapshot()} reads the live
 * allocations to check the invariant from outside.
 *
 * <h2>Failing open</h2>
 *
 * <p>Redis calls are bounded by a timeout (default 100 ms) and a circuit breaker. A failed
 * heartbeat is counted; once no heartbeat has succeeded for a TTL the live count is unknown
 * ({@link #liveCount()} is empty, and the pod may already have been dropped by the others), and
 * a claim that cannot reach Redis returns the caller's fallback (a size that is safe without the
 * ledger, such as the budget's per-pod size at the declared maximum of pods). No Redis error
 * reaches a caller.
 *
 * <p>Meters ({@code headroom.redis.ledger.*}, tag {@code name}): gauges {@code size} (live pods,
 * -1 while unknown) and {@code allocations} (their sum at the last heartbeat), counters
 * {@code heartbeats} by {@code outcome} (success, failure) and {@code fallbacks} (claims
 * answered with the fallback).
 *
 * <p>Thread-safety: safe for concurrent use; listeners are called one at a time.
 */
public final class PodLedger implements Instrumented, AutoCloseable {

  // Redis layout: "headroom:ledger:{<ns>}:pods", a sorted set of pod ids scored by the
  // millisecond of their last heartbeat on Redis's clock, and "headroom:ledger:{<ns>}:alloc", a
  // hash of pod id to allocation. Both expire two TTLs after the last heartbeat of any pod. The
  // braces keep both keys in one cluster slot, so the scripts may touch both.

  private static final String PRUNE =
      "local t = redis.call('TIME') "
          + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
          + "local cutoff = now - tonumber(ARGV[1]) "
          + "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff) "
          + "for _, m in ipairs(dead) do redis.call('HDEL', KEYS[2], m) end "
          + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff) ";
  private static final String SUM =
      "local function sum(except) local s = 0 "
          + "for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
          + "if m ~= except then s = s + tonumber(redis.call('HGET', KEYS[2], m) or '0') end "
          + "end return s end ";
  private static final String STAMP =
      "redis.call('ZADD', KEYS[1], now, ARGV[2]) "
          + "redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1])) "
          + "redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[1])) ";
  /** ARGV: ttl ms, pod, allocation. Returns {live count, sum of allocations}. */
  private static final String HEARTBEAT = PRUNE + SUM
      + "redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) " + STAMP
      + "return {redis.call('ZCARD', KEYS[1]), sum(nil)}";
  /**
   * ARGV: ttl ms, pod, wanted, budget. Grants min(wanted, budget - the others' allocations),
   * at least 0. Returns {granted, live count, sum of allocations}.
   */
  private static final String CLAIM = PRUNE + SUM
      + "local others = sum(ARGV[2]) "
      + "local granted = math.max(0, math.min(tonumber(ARGV[3]), tonumber(ARGV[4]) - others)) "
      + "redis.call('HSET', KEYS[2], ARGV[2], granted) " + STAMP
      + "return {granted, redis.call('ZCARD', KEYS[1]), others + granted}";
  /** ARGV: ttl ms. Returns pod, allocation, pod, allocation... of the live pods. */
  private static final String SNAPSHOT =
      "local t = redis.call('TIME') "
          + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
          + "local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf') "
          + "local out = {} for _, m in ipairs(live) do out[#out + 1] = m "
          + "out[#out + 1] = redis.call('HGET', KEYS[2], m) or '0' end return out";
  private static final String LEAVE =
      "redis.call('ZREM', KEYS[1], ARGV[1]) redis.call('HDEL', KEYS[2], ARGV[1]) return 1";

  private final String name;
  private final String podId;
  private final RedisAsyncCommands<String, byte[]> redis;
  private final String[] keys;
  private final long intervalNanos;
  private final long ttlMillis;
  private final long ttlNanos;
  private final Scheduler scheduler;
  private final RedisGuard guard;
  private final List<IntConsumer> listeners = new CopyOnWriteArrayList<>();
  private final Object notifyLock = new Object();

  private volatile int allocation;
  private volatile int liveCount = -1;
  private volatile long allocationSum = -1;
  private volatile long lastSuccess;
  private volatile boolean closed;
  private volatile Scheduler.Scheduled next;
  private int notified = -1;

  private final LongAdder heartbeats = new LongAdder();
  private final LongAdder heartbeatFailures = new LongAdder();
  private final LongAdder claimFallbacks = new LongAdder();

  private PodLedger(Builder b) {
    this.name = b.namespace;
    this.podId = b.podId;
    this.redis = b.connection.async();
    this.keys = new String[] {"headroom:ledger:{" + b.namespace + "}:pods",
        "headroom:ledger:{" + b.namespace + "}:alloc"};
    this.intervalNanos = b.heartbeatInterval.toNanos();
    this.ttlNanos = b.ttl.toNanos();
    this.ttlMillis = Math.max(1L, b.ttl.toMillis());
    this.scheduler = b.scheduler;
    this.guard = new RedisGuard("ledger:" + b.namespace, b.redisTimeout);
    this.allocation = b.initialAllocation;
    this.lastSuccess = System.nanoTime() - ttlNanos;
  }

  /**
   * Starts a builder.
   *
   * @param connection a Lettuce connection with String keys and byte[] values; the caller keeps
   *     owning it
   * @return a new builder
   * @throws IllegalArgumentException if {@code connection} is null
   */
  public static Builder builder(StatefulRedisConnection<String, byte[]> connection) {
    return new Builder(Checks.requireNonNull("connection", connection));
  }

  private void start() {
    beat();
  }

  private void beat() {
    if (closed) {
      return;
    }
    guard.<List<Object>>call(() -> redis.eval(HEARTBEAT, ScriptOutputType.MULTI, keys,
        ascii(Long.toString(ttlMillis)), ascii(podId), ascii(Integer.toString(allocation))),
        scheduler).whenComplete((reply, error) -> {
          if (error == null) {
            heartbeats.increment();
            record(((Number) reply.get(0)).intValue(), ((Number) reply.get(1)).longValue());
          } else {
            heartbeatFailures.increment();
            if (System.nanoTime() - lastSuccess > ttlNanos) {
              liveCount = -1;
            }
          }
          if (!closed) {
            next = scheduler.schedule(intervalNanos, this::beat);
          }
        });
  }

  private void record(int count, long sum) {
    lastSuccess = System.nanoTime();
    allocationSum = sum;
    liveCount = count;
    scheduler.schedule(0L, this::notifyListeners);
  }

  private void notifyListeners() {
    synchronized (notifyLock) {
      int count = liveCount().orElse(-1);
      if (count < 0 || count == notified) {
        return;
      }
      notified = count;
      for (IntConsumer listener : listeners) {
        try {
          listener.accept(count);
        } catch (RuntimeException e) {
          // A listener that throws must not stop the others or the heartbeats.
        }
      }
    }
  }

  /**
   * Adds a listener that hears the live count each time it changes (and the current count at
   * the next heartbeat). It is meant to drive the pool budget's pod-count source through its
   * push API ({@code ledger.addListener(source::update)}). Called on the ledger's timer thread,
   * one call at a time; it must return quickly. Nothing is called while the count is unknown.
   *
   * @param listener the listener
   * @throws IllegalArgumentException if null
   */
  public void addListener(IntConsumer listener) {
    listeners.add(Checks.requireNonNull("listener", listener));
    synchronized (notifyLock) {
      notified = -1; // the new listener hears the current count at the next heartbeat
    }
  }

  /**
   * Returns the live pod count seen at the last heartbeat, this pod included.
   *
   * @return the count, or empty if no heartbeat has succeeded for a TTL
   */
  public OptionalInt liveCount() {
    int count = liveCount;
    if (count < 0 || System.nanoTime() - lastSuccess > ttlNanos) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(count);
  }

  /**
   * Sets this pod's allocation, written by the next heartbeat (for a pod sized elsewhere, by a
   * pool sizer). Record a lower allocation after shrinking, a higher one before growing.
   *
   * @param allocation {@code >= 0}
   * @throws IllegalArgumentException if negative
   */
  public void allocation(int allocation) {
    Checks.requireNonNegative("allocation", allocation);
    this.allocation = allocation;
  }

  /**
   * Returns the allocation this pod last recorded or was granted.
   *
   * @return the allocation
   */
  public int allocation() {
    return allocation;
  }

  /**
   * Claims an allocation, atomically against every other live pod: grants
   * {@code min(wanted, budget - the others' allocations)}, at least 0, and records it. Blocks
   * for one Redis round trip (at most the Redis timeout). If Redis cannot be reached, returns
   * {@code fallback} (and records it, for the next heartbeat).
   *
   * @param wanted the allocation the pod would like, {@code >= 0}
   * @param budget the total the fleet's allocations must stay within, {@code >= 0}
   * @param fallback what to hold without the ledger, {@code >= 0}
   * @return the granted allocation
   * @throws IllegalArgumentException if an argument is negative
   */
  public int claim(int wanted, int budget, int fallback) {
    Checks.requireNonNegative("wanted", wanted);
    Checks.requireNonNegative("budget", budget);
    Checks.requireNonNegative("fallback", fallback);
    try {
      List<Object> reply = guard.<List<Object>>call(() -> redis.eval(CLAIM,
          ScriptOutputType.MULTI, keys, ascii(Long.toString(ttlMillis)), ascii(podId),
          ascii(Integer.toString(wanted)), ascii(Integer.toString(budget))), scheduler).join();
      int granted = ((Number) reply.get(0)).intValue();
      allocation = granted;
      record(((Number) reply.get(1)).intValue(), ((Number) reply.get(2)).longValue());
      return granted;
    } catch (RuntimeException e) {
      guard.fellBack(RedisGuard.unwrap(e));
      claimFallbacks.increment();
      allocation = fallback;
      return fallback;
    }
  }

  /**
   * Reads the live pods and their allocations now (one Redis round trip, at most the Redis
   * timeout).
   *
   * @return the snapshot, or empty if Redis could not be reached
   */
  public Optional<Snapshot> snapshot() {
    try {
      List<Object> reply = guard.<List<Object>>call(() -> redis.eval(SNAPSHOT,
          ScriptOutputType.MULTI, keys, ascii(Long.toString(ttlMillis))), scheduler).join();
      Map<String, Integer> pods = new LinkedHashMap<>();
      for (int i = 0; i + 1 < reply.size(); i += 2) {
        pods.put(new String((byte[]) reply.get(i), StandardCharsets.UTF_8),
            Integer.parseInt(new String((byte[]) reply.get(i + 1), StandardCharsets.US_ASCII)));
      }
      return Optional.of(new Snapshot(Collections.unmodifiableMap(pods)));
    } catch (RuntimeException e) {
      guard.fellBack(RedisGuard.unwrap(e));
      return Optional.empty();
    }
  }

  /**
   * The live pods and their allocations at one moment.
   *
   * <p>Thread-safety: immutable.
   *
   * @param allocations each live pod's allocation, by pod id
   */
  public record Snapshot(Map<String, Integer> allocations) {

    /**
     * Returns the number of live pods.
     *
     * @return the count
     */
    public int liveCount() {
      return allocations.size();
    }

    /**
     * Returns the sum of the live pods' allocations.
     *
     * @return the sum
     */
    public long sum() {
      long sum = 0;
      for (int a : allocations.values()) {
        sum += a;
      }
      return sum;
    }

    /**
     * Checks the budget invariant: the live allocations sum to at most {@code budget}.
     *
     * @param budget the budget
     * @return true if the invariant holds
     */
    public boolean fits(long budget) {
      return sum() <= budget;
    }
  }

  /** Stops heartbeating without leaving, as a crashed pod would; for tests. */
  void halt() {
    closed = true;
    Scheduler.Scheduled n = next;
    if (n != null) {
      n.cancel();
    }
  }

  /**
   * Stops heartbeating and leaves the ledger at once (the others count one pod less at their
   * next heartbeat). Waits at most the Redis timeout; never throws. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    halt();
    try {
      guard.call(() -> redis.eval(LEAVE, ScriptOutputType.INTEGER, keys, ascii(podId)),
          scheduler).join();
    } catch (RuntimeException e) {
      guard.fellBack(RedisGuard.unwrap(e)); // the others drop this pod after the TTL
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------
  // State

  /**
   * Returns this pod's id in the ledger.
   *
   * @return the id
   */
  public String podId() {
    return podId;
  }

  /**
   * Returns the heartbeats that reached Redis.
   *
   * @return the count since creation
   */
  public long heartbeats() {
    return heartbeats.sum();
  }

  /**
   * Returns the heartbeats that failed (Redis unavailable, slow or failing).
   *
   * @return the count since creation
   */
  public long heartbeatFailures() {
    return heartbeatFailures.sum();
  }

  /**
   * Returns the claims answered with the caller's fallback.
   *
   * @return the count since creation
   */
  public long claimFallbacks() {
    return claimFallbacks.sum();
  }

  /**
   * Declares {@code headroom.redis.ledger.*}: gauges {@code size} and {@code allocations},
   * counters {@code heartbeats} (tag {@code outcome}: success, failure) and {@code fallbacks},
   * all tagged {@code name}, plus the breaker guarding Redis.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(id("size", "Live pods in the ledger, -1 while unknown"),
        () -> liveCount().orElse(-1));
    sink.gauge(id("allocations", "Sum of the live pods' allocations at the last heartbeat"),
        () -> (double) allocationSum);
    sink.counter(id("heartbeats", "Heartbeats by outcome").tag("outcome", "success"),
        heartbeats::sum);
    sink.counter(id("heartbeats", "Heartbeats by outcome").tag("outcome", "failure"),
        heartbeatFailures::sum);
    sink.counter(id("fallbacks", "Claims answered with the fallback"), claimFallbacks::sum);
    guard.breaker.describeMeters(sink);
  }

  private MeterId id(String what, String description) {
    return MeterId.of("headroom.redis.ledger." + what).description(description)
        .tag("name", name);
  }

  @Override
  public String toString() {
    return "PodLedger[" + name + ", pod " + podId + ", live " + liveCount + "]";
  }

  // ---------------------------------------------------------------------------------------
  // Builder

  /**
   * Builds a {@link PodLedger}; {@link #build()} also starts its heartbeats. Each setter
   * validates its argument at once and may be called only once; {@link #namespace} is required.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final StatefulRedisConnection<String, byte[]> connection;
    private String namespace;
    private String podId;
    private Duration heartbeatInterval;
    private Duration ttl;
    private Duration redisTimeout;
    private Scheduler scheduler;
    private int initialAllocation;

    private Builder(StatefulRedisConnection<String, byte[]> connection) {
      this.connection = connection;
    }

    /**
     * Names the ledger: one per budget (for example the database's name).
     *
     * @param namespace non-blank
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder namespace(String namespace) {
      Checks.requireNonBlank("namespace", namespace);
      Checks.requireNotSet(this.namespace == null, "namespace", this.namespace);
      this.namespace = namespace;
      return this;
    }

    /**
     * Sets this pod's id (default: the {@code HOSTNAME} environment variable, the pod's name on
     * Kubernetes, plus a random suffix, so a restarted pod is a new member).
     *
     * @param podId non-blank
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder podId(String podId) {
      Checks.requireNonBlank("podId", podId);
      Checks.requireNotSet(this.podId == null, "podId", this.podId);
      this.podId = podId;
      return this;
    }

    /**
     * Sets how often the pod heartbeats (default 1 s).
     *
     * @param interval {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder heartbeatInterval(Duration interval) {
      Checks.requirePositive("heartbeatInterval", interval);
      Checks.requireNotSet(this.heartbeatInterval == null, "heartbeatInterval",
          this.heartbeatInterval);
      this.heartbeatInterval = interval;
      return this;
    }

    /**
     * Sets how long after its last heartbeat a pod drops out (default three heartbeat
     * intervals).
     *
     * @param ttl {@code > 0}, longer than the heartbeat interval
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder ttl(Duration ttl) {
      Checks.requirePositive("ttl", ttl);
      Checks.requireNotSet(this.ttl == null, "ttl", this.ttl);
      this.ttl = ttl;
      return this;
    }

    /**
     * Sets how long one Redis call may take (default 100 ms).
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
     * Sets the scheduler of heartbeats and timeouts (default {@link Scheduler#system()}).
     *
     * @param scheduler the scheduler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder scheduler(Scheduler scheduler) {
      Checks.requireNonNull("scheduler", scheduler);
      Checks.requireNotSet(this.scheduler == null, "scheduler", this.scheduler);
      this.scheduler = scheduler;
      return this;
    }

    /**
     * Sets the allocation the first heartbeats record (default 0).
     *
     * @param allocation {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder initialAllocation(int allocation) {
      this.initialAllocation = Checks.requireNonNegative("initialAllocation", allocation);
      return this;
    }

    /**
     * Builds the ledger and sends its first heartbeat.
     *
     * @return a started ledger
     * @throws IllegalStateException if no namespace was set, or the TTL is not longer than the
     *     heartbeat interval
     */
    public PodLedger build() {
      Checks.requireState(namespace != null, "namespace must be set");
      if (heartbeatInterval == null) {
        heartbeatInterval = Duration.ofSeconds(1);
      }
      if (ttl == null) {
        ttl = heartbeatInterval.multipliedBy(3);
      }
      Checks.requireState(ttl.compareTo(heartbeatInterval) > 0, "ttl must be > heartbeatInterval"
          + " (was " + ttl + " and " + heartbeatInterval + ")");
      if (redisTimeout == null) {
        redisTimeout = Duration.ofMillis(100);
      }
      if (scheduler == null) {
        scheduler = Scheduler.system();
      }
      if (podId == null) {
        String host = System.getenv("HOSTNAME");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        podId = host == null || host.isBlank() ? suffix : host + "-" + suffix;
      }
      PodLedger ledger = new PodLedger(this);
      ledger.start();
      return ledger;
    }
  }
}
