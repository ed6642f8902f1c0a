package dev.headroom.cache;

import java.util.concurrent.CompletableFuture;

/**
 * The seam every load and refresh of a {@link HeadroomCache} goes through, where a fleet-wide
 * tier plugs in: a shared store that many instances read before calling the origin, or a lease
 * that lets one instance of a hundred refresh a key for all of them (see
 * {@code dev.headroom.redis.LeasedLoadPath} in {@code headroom-redis}).
 *
 * <p>The cache has already applied single flight when it calls the path: for one key and one
 * cache there is at most one call in flight. The path decides where the value comes from; to
 * get it from this instance's loader it calls {@link LoadRequest#local()}. The default path,
 * {@link #local()}, does exactly that and nothing else.
 *
 * <p>Whatever the path returns is held to the cache's rules: a failed future is a failed load
 * (stale-if-error applies), a null future is a failed load, and the loader timeout applies to
 * the returned future, measured on the cache's clock and scheduler.
 *
 * <p>Thread-safety: implementations are called concurrently for different keys and must be
 * thread-safe. They must not block: a refresh may start on a reading thread, and a miss's
 * callers wait on the returned future, not on the call.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface LoadPath<K, V> {

  /** Why a load was started. Thread-safety: immutable. */
  enum Reason {
    /** No servable value was present: at least one caller waits for this load. */
    MISS,
    /**
     * A refresh, early (before expiry) or of an expired value inside its stale window: every
     * reader is served the current value meanwhile, nobody waits.
     */
    REFRESH
  }

  /**
   * Produces the value for the request's key.
   *
   * @param request the key, the reason, the current value and the local loader
   * @return the value's future, never null
   */
  CompletableFuture<Loaded<V>> load(LoadRequest<K, V> request);

  /**
   * Returns the default path, which always uses this instance's loader.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @return the local path
   */
  @SuppressWarnings("unchecked")
  static <K, V> LoadPath<K, V> local() {
    return (LoadPath<K, V>) LocalPath.INSTANCE;
  }
}

/** {@link LoadPath#local()}. Stateless. */
final class LocalPath implements LoadPath<Object, Object> {
  static final LocalPath INSTANCE = new LocalPath();

  private LocalPath() {}

  @Override
  public CompletableFuture<Loaded<Object>> load(LoadRequest<Object, Object> request) {
    return request.local();
  }

  @Override
  public String toString() {
    return "LoadPath.local()";
  }
}
