package dev.headroom.breaker;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Named circuit breakers (one per dependency, per host, per partition...) sharing one default
 * {@link BreakerConfig}, with a bounded size and eviction of idle entries.
 *
 * <pre>{@code
 * BreakerRegistry breakers = BreakerRegistry.builder()
 *     .defaults(BreakerConfig.builder().failureRateThreshold(0.5).build())
 *     .maximumSize(1_000)
 *     .expireAfterIdle(Duration.ofMinutes(10))
 *     .onCreate(b -> new HeadroomMeterBinder(b).bindTo(meterRegistry))
 *     .build();
 * CircuitBreaker b = breakers.breaker("payments-api:" + host);
 * }</pre>
 *
 * <p>The registry is a Caffeine cache: a lookup of an existing breaker is lock-free, and a
 * breaker is created at most once per name while present. A breaker is idle when nobody has
 * fetched it for {@code expireAfterIdle}; callers that keep using a breaker (including while it
 * is open) keep fetching it, so an evicted breaker is one nobody used, and a later fetch creates
 * a fresh, closed one. When the registry is full, the least valuable entry (Caffeine's
 * TinyLFU policy) is evicted. Hold on to a fetched breaker only briefly (per call or per
 * request); a reference kept forever keeps working but is no longer the registry's.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class BreakerRegistry implements Instrumented {

  /** Default {@code maximumSize}: 10,000 breakers. */
  public static final int DEFAULT_MAXIMUM_SIZE = 10_000;
  /** Default {@code expireAfterIdle}: 1 hour. */
  public static final Duration DEFAULT_EXPIRE_AFTER_IDLE = Duration.ofHours(1);

  private final BreakerConfig defaults;
  private final Cache<String, CircuitBreaker> breakers;
  private final Consumer<CircuitBreaker> onCreate;
  private final LongAdder created = new LongAdder();
  private final LongAdder evicted = new LongAdder();

  private BreakerRegistry(Builder b) {
    this.defaults = b.defaults == null ? BreakerConfig.defaults() : b.defaults;
    this.onCreate = b.onCreate;
    NanoClock clock = defaults.clock();
    Caffeine<Object, Object> caffeine = Caffeine.newBuilder()
        .maximumSize(b.maximumSize)
        .expireAfterAccess(b.expireAfterIdle)
        .ticker(clock::nanoTime);
    if (b.executor != null) {
      caffeine.executor(b.executor);
    }
    this.breakers = caffeine.<String, CircuitBreaker>evictionListener((name, breaker, cause) -> {
      if (cause != RemovalCause.EXPLICIT && cause != RemovalCause.REPLACED) {
        evicted.increment();
      }
    }).build();
  }

  /**
   * Starts a builder: default configuration {@link BreakerConfig#defaults()}, at most 10,000
   * breakers, idle ones evicted after an hour.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the breaker with this name, creating it with the registry's defaults if absent.
   *
   * @param name the breaker's name
   * @return the breaker
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  public CircuitBreaker breaker(String name) {
    return breaker(name, defaults);
  }

  /**
   * Returns the breaker with this name, creating it with {@code config} if absent (an existing
   * breaker keeps its configuration).
   *
   * @param name the breaker's name
   * @param config the configuration for a new breaker
   * @return the breaker
   * @throws IllegalArgumentException if {@code name} is null or blank, or {@code config} null
   */
  public CircuitBreaker breaker(String name, BreakerConfig config) {
    Checks.requireNonBlank("name", name);
    Checks.requireNonNull("config", config);
    CircuitBreaker existing = breakers.getIfPresent(name);
    if (existing != null) {
      return existing;
    }
    boolean[] made = new boolean[1];
    CircuitBreaker breaker = breakers.get(name, n -> {
      made[0] = true;
      return CircuitBreaker.of(n, config);
    });
    if (made[0]) {
      // Outside the cache's compute: the callback may bind meters or register listeners.
      created.increment();
      if (onCreate != null) {
        onCreate.accept(breaker);
      }
    }
    return breaker;
  }

  /**
   * Returns the breaker with this name if present, without creating it or touching its idle
   * time.
   *
   * @param name the name
   * @return the breaker, or empty
   * @throws IllegalArgumentException if {@code name} is null
   */
  public Optional<CircuitBreaker> find(String name) {
    Checks.requireNonNull("name", name);
    return Optional.ofNullable(breakers.policy().getIfPresentQuietly(name));
  }

  /**
   * Removes a breaker; a later fetch creates a fresh one.
   *
   * @param name the name
   * @return whether a breaker was removed
   * @throws IllegalArgumentException if {@code name} is null
   */
  public boolean remove(String name) {
    Checks.requireNonNull("name", name);
    return breakers.asMap().remove(name) != null;
  }

  /**
   * Returns the names of the breakers present, sorted.
   *
   * @return a snapshot of the names
   */
  public Set<String> names() {
    return new TreeSet<>(breakers.asMap().keySet());
  }

  /**
   * Returns the approximate number of breakers present.
   *
   * @return the size
   */
  public long size() {
    return breakers.estimatedSize();
  }

  /**
   * Returns the number of breakers evicted for size or idleness so far.
   *
   * @return the count
   */
  public long evictedCount() {
    return evicted.sum();
  }

  /**
   * Returns the number of breakers created so far.
   *
   * @return the count
   */
  public long createdCount() {
    return created.sum();
  }

  /**
   * Runs pending maintenance (expiry, eviction) now instead of on the next access.
   */
  public void cleanUp() {
    breakers.cleanUp();
  }

  /**
   * Returns the default configuration.
   *
   * @return the defaults
   */
  public BreakerConfig defaults() {
    return defaults;
  }

  /**
   * Declares the registry's own meters: {@code headroom.breaker.registry.size},
   * {@code headroom.breaker.registry.created} and {@code headroom.breaker.registry.evicted}.
   * Breakers come and go, so their meters are bound one by one, typically from
   * {@link Builder#onCreate(Consumer)}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(MeterId.of("headroom.breaker.registry.size")
        .description("Breakers in the registry"), () -> (double) size());
    sink.counter(MeterId.of("headroom.breaker.registry.created")
        .description("Breakers created"), this::createdCount);
    sink.counter(MeterId.of("headroom.breaker.registry.evicted")
        .description("Breakers evicted for size or idleness"), this::evictedCount);
  }

  /**
   * Builds a {@link BreakerRegistry}.
   *
   * <p>Thread-safety: not thread-safe; confine a builder to one thread.
   */
  public static final class Builder {
    private BreakerConfig defaults;
    private int maximumSize = DEFAULT_MAXIMUM_SIZE;
    private boolean maximumSizeSet;
    private Duration expireAfterIdle = DEFAULT_EXPIRE_AFTER_IDLE;
    private boolean expireAfterIdleSet;
    private Consumer<CircuitBreaker> onCreate;
    private Executor executor;

    Builder() {}

    /**
     * Sets the configuration of new breakers (its clock also times idleness).
     *
     * @param config the defaults
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder defaults(BreakerConfig config) {
      Checks.requireNonNull("defaults", config);
      Checks.requireNotSet(defaults == null, "defaults", defaults);
      defaults = config;
      return this;
    }

    /**
     * Bounds the number of breakers.
     *
     * @param size {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder maximumSize(int size) {
      Checks.requirePositive("maximumSize", size);
      Checks.requireNotSet(!maximumSizeSet, "maximumSize", maximumSize);
      maximumSize = size;
      maximumSizeSet = true;
      return this;
    }

    /**
     * Evicts a breaker nobody fetched for this long.
     *
     * @param idle {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder expireAfterIdle(Duration idle) {
      Checks.requirePositive("expireAfterIdle", idle);
      Checks.requireNotSet(!expireAfterIdleSet, "expireAfterIdle", expireAfterIdle);
      expireAfterIdle = idle;
      expireAfterIdleSet = true;
      return this;
    }

    /**
     * Calls {@code callback} once for every breaker the registry creates, on the creating
     * thread, e.g. to bind its meters or add a listener.
     *
     * @param callback the callback
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder onCreate(Consumer<CircuitBreaker> callback) {
      Checks.requireNonNull("onCreate", callback);
      Checks.requireNotSet(onCreate == null, "onCreate", onCreate);
      onCreate = callback;
      return this;
    }

    /**
     * Sets the executor of the cache's maintenance (default: Caffeine's, the common pool);
     * {@code Runnable::run} makes eviction happen on the calling thread, as tests want.
     *
     * @param maintenance the executor
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder executor(Executor maintenance) {
      Checks.requireNonNull("executor", maintenance);
      Checks.requireNotSet(executor == null, "executor", executor);
      executor = maintenance;
      return this;
    }

    /**
     * Builds the registry.
     *
     * @return a new, empty registry
     */
    public BreakerRegistry build() {
      return new BreakerRegistry(this);
    }
  }
}
