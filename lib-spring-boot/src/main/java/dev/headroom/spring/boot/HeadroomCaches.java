package dev.headroom.spring.boot;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import java.util.Map;
import java.util.Set;

/**
 * The named stampede-safe caches configured under {@code headroom.caches.<name>}, built at
 * startup (their options are read once).
 *
 * <pre>{@code
 * HeadroomCache<String, Plan> plans = caches.get("plans");
 * Plan plan = plans.get(planId, id -> planClient.fetch(id));
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HeadroomCaches implements Instrumented {

  private final LiveSet<HeadroomProperties.Cache, HeadroomCache<Object, Object>> set;

  /**
   * Builds every configured cache.
   *
   * @param caches the properties, by name
   * @throws IllegalArgumentException {@code "headroom.caches.<name>: <library message>"} for a
   *     bad value
   */
  public HeadroomCaches(Map<String, HeadroomProperties.Cache> caches) {
    this.set = new LiveSet<>("headroom.caches", caches, Configs::cache, c -> false);
  }

  /**
   * Returns the cache of this name. The key and value types are the caller's: one name should
   * always be used with the same types.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param name the configured name
   * @return the cache
   * @throws IllegalArgumentException if no cache of that name is configured
   */
  @SuppressWarnings("unchecked")
  public <K, V> HeadroomCache<K, V> get(String name) {
    return (HeadroomCache<K, V>) (HeadroomCache<?, ?>) set.get(name);
  }

  /**
   * Returns the configured names, in configuration order.
   *
   * @return the names
   */
  public Set<String> names() {
    return set.names();
  }

  @Override
  public void describeMeters(MeterSink sink) {
    set.describeMeters(sink);
  }
}
