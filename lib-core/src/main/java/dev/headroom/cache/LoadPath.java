package dev.headroom.cache;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The seam every load and refresh of a {@link HeadroomCache} goes through, where a fleet-wide
 * tier can plug in: for example a shared store that many instances read before calling the
 * origin, or a lease that lets one instance of a hundred refresh a key for all of them.
 *
 * <p>The cache has already applied single flight when it calls the path: for one key and one
 * cache there is at most one call in flight. The path decides where the value comes from; to get
 * it from this instance's loader it calls {@code local.get()}, which starts the caller's loader
 * (on the calling thread, on the refresh executor, or as the caller's asynchronous function,
 * depending on how the cache was called) and returns its future. The default path,
 * {@link #local()}, does exactly that and nothing else.
 *
 * <p>Whatever the path returns is held to the cache's rules: a null value or a failed future is
 * a failed load, and the loader timeout applies to the returned future.
 *
 * <p>Thread-safety: implementations are called concurrently for different keys and must be
 * thread-safe. They must not block when {@code reason} is {@link Reason#REFRESH} and they do not
 * call {@code local}, since refreshes may start on a reading thread.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface LoadPath<K, V> {

  /** Why a load was started. Thread-safety: immutable. */
  enum Reason {
    /** No fresh value was present: at least one caller waits for this load. */
    MISS,
    /** An XFetch early refresh: every reader is served the current value meanwhile. */
    REFRESH
  }

  /**
   * Produces the value for {@code key}.
   *
   * @param key the key
   * @param reason why the load was started
   * @param local starts this instance's own loader and returns its future; call it at most once
   * @return the value's future, never null
   */
  CompletableFuture<V> load(K key, Reason reason, Supplier<CompletableFuture<V>> local);

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
  public CompletableFuture<Object> load(Object key, Reason reason,
      Supplier<CompletableFuture<Object>> local) {
    return local.get();
  }

  @Override
  public String toString() {
    return "LoadPath.local()";
  }
}
