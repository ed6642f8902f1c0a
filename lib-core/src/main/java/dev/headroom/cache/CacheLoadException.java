package dev.headroom.cache;

/**
 * A load failed and no value could be served instead: the loader threw, returned null, or took
 * longer than the loader timeout, and there was no previous value still inside its
 * stale-if-error window.
 *
 * <p>Carries the key and the cause ({@link #getCause()}): the loader's exception, a
 * {@link java.util.concurrent.TimeoutException} for a timed-out load, or a
 * {@link NullPointerException} for a null result. Several callers that shared one load each get
 * their own instance with the same cause. No stack trace is captured (the cause has the one that
 * matters), so an outage that fails thousands of calls does not pay for thousands of traces.
 *
 * <p>Thread-safety: immutable.
 */
public final class CacheLoadException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Object key;
  private final String cacheName;

  /**
   * Creates the exception.
   *
   * @param cacheName the name of the cache
   * @param key the key whose load failed
   * @param cause why
   */
  CacheLoadException(String cacheName, Object key, Throwable cause) {
    super("cache '" + cacheName + "' could not load key " + key + ": " + cause, cause, false,
        false);
    this.cacheName = cacheName;
    this.key = key;
  }

  /**
   * Returns the key whose load failed.
   *
   * @return the key (null only after deserialization: keys are not serialized)
   */
  public Object key() {
    return key;
  }

  /**
   * Returns the name of the cache.
   *
   * @return the configured name
   */
  public String cacheName() {
    return cacheName;
  }
}
