package dev.headroom.cache;

import dev.headroom.core.NanoClock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One load or refresh that a {@link HeadroomCache} hands to its {@link LoadPath}: the key, why
 * it is loaded, the value held now, and the means to load it here ({@link #local()}) or to wait
 * for it elsewhere (the cache's clock and scheduler).
 *
 * <p>The cache has already applied single flight: for one key and one cache at most one request
 * is in flight.
 *
 * <p>Thread-safety: safe to use from any thread; {@link #local()} starts the loader at most
 * once, whichever thread calls it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class LoadRequest<K, V> {

  private final HeadroomCache<K, V> cache;
  private final K key;
  private final LoadPath.Reason reason;
  private final Entry<V> current;
  private final Supplier<CompletableFuture<V>> loader;
  private final AtomicBoolean localStarted = new AtomicBoolean();

  LoadRequest(HeadroomCache<K, V> cache, K key, LoadPath.Reason reason, Entry<V> current,
      Supplier<CompletableFuture<V>> loader) {
    this.cache = cache;
    this.key = key;
    this.reason = reason;
    this.current = current == null ? null : current.good();
    this.loader = loader;
  }

  /**
   * Returns the key to load.
   *
   * @return the key, never null
   */
  public K key() {
    return key;
  }

  /**
   * Returns why the load was started: {@link LoadPath.Reason#MISS} when a caller waits for it,
   * {@link LoadPath.Reason#REFRESH} when every reader is served the current value meanwhile.
   *
   * @return the reason
   */
  public LoadPath.Reason reason() {
    return reason;
  }

  /**
   * Returns the name of the cache that asks.
   *
   * @return the cache's name
   */
  public String cacheName() {
    return cache.name();
  }

  /**
   * Returns the value the cache holds for the key now: the one being refreshed (fresh, or
   * expired and served inside its stale window), or the expired one a miss replaces.
   *
   * @return the current value, or null if the cache holds none
   */
  public V currentValue() {
    return current == null ? null : current.value;
  }

  /**
   * Returns how much longer the current value is fresh: positive while fresh, zero or negative
   * once expired. A fleet tier compares it with a shared value's freshness to tell whether that
   * value is newer than the one held here.
   *
   * @return nanoseconds of freshness left, or {@link Long#MIN_VALUE} if there is no current value
   */
  public long currentFreshForNanos() {
    return current == null ? Long.MIN_VALUE : current.expiresAt - cache.clock().nanoTime();
  }

  /**
   * Returns how long the origin took to produce the current value.
   *
   * @return nanoseconds, or 0 if there is no current value
   */
  public long lastLoadNanos() {
    return current == null ? 0L : current.deltaNanos;
  }

  /**
   * Returns the cache's configured TTL, the longest any value stays fresh.
   *
   * @return the TTL in nanoseconds
   */
  public long ttlNanos() {
    return cache.ttlNanos();
  }

  /**
   * Returns the cache's clock, the one every nanosecond figure of this request is read on.
   *
   * @return the clock
   */
  public NanoClock clock() {
    return cache.clock();
  }

  /**
   * Returns the cache's scheduler, for waits and timeouts that must follow the cache's clock.
   *
   * @return the scheduler
   */
  public Scheduler scheduler() {
    return cache.scheduler();
  }

  /**
   * Returns the cache's refresh executor, where blocking work belongs.
   *
   * @return the executor
   */
  public Executor executor() {
    return cache.executor();
  }

  /**
   * Starts this instance's own loader (on the calling thread, on the refresh executor, or as the
   * caller's asynchronous function, depending on how the cache was called) and returns its
   * result: the value, the load time measured on the cache's clock, and the cache's own TTL
   * (drawn with its jitter) as its freshness. A loader that throws or returns null gives a
   * failed future.
   *
   * @return the loaded value's future
   * @throws IllegalStateException if called a second time
   */
  public CompletableFuture<Loaded<V>> local() {
    if (!localStarted.compareAndSet(false, true)) {
      throw new IllegalStateException("local() may be called once per request (key " + key
          + ")");
    }
    long start = cache.clock().nanoTime();
    CompletableFuture<V> source;
    try {
      source = loader.get();
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
    if (source == null) {
      return CompletableFuture.failedFuture(
          new NullPointerException("loader returned a null future for key " + key));
    }
    return source.thenApply(value -> {
      if (value == null) {
        throw new NullPointerException("loader returned null for key " + key);
      }
      return loaded(value, Math.max(0L, cache.clock().nanoTime() - start));
    });
  }

  /**
   * Wraps a value this instance obtained itself as a fresh load: fresh for the cache's own TTL,
   * drawn with its jitter.
   *
   * @param value the value
   * @param loadNanos how long it took, {@code >= 0}
   * @return the loaded value
   * @throws IllegalArgumentException if {@code value} is null or {@code loadNanos} negative
   */
  public Loaded<V> loaded(V value, long loadNanos) {
    return new Loaded<>(value, loadNanos, cache.drawTtl());
  }

  @Override
  public String toString() {
    return "LoadRequest[" + cache.name() + ", " + key + ", " + reason + "]";
  }
}
