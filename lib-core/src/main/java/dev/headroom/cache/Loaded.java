package dev.headroom.cache;

import dev.headroom.core.Checks;

/**
 * What a {@link LoadPath} hands back to its {@link HeadroomCache}: a value, how long the origin
 * took to produce it, and how much longer it is fresh.
 *
 * <p>A value loaded here, by {@link LoadRequest#local()}, is fresh for the cache's own TTL
 * (with its jitter). A value fetched from a fleet-wide tier was loaded by another instance some
 * time ago: it carries that instance's load time, so this cache's early-refresh window still
 * reflects the origin's latency, and only the freshness it has left, so that every instance
 * lets one load expire at the same moment. The cache never keeps a value fresh for longer than
 * its configured TTL, whatever {@link #freshForNanos()} says.
 *
 * <p>Thread-safety: immutable.
 *
 * @param <V> the value type
 * @param value the value, never null
 * @param loadNanos how long the origin took to produce it, in nanoseconds, {@code >= 0}
 * @param freshForNanos how much longer it is fresh, from the moment the cache receives it, in
 *     nanoseconds, {@code > 0}
 */
public record Loaded<V>(V value, long loadNanos, long freshForNanos) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if {@code value} is null, {@code loadNanos} is negative or
   *     {@code freshForNanos} is not positive
   */
  public Loaded {
    Checks.requireNonNull("value", value);
    Checks.requireNonNegative("loadNanos", loadNanos);
    Checks.requirePositive("freshForNanos", freshForNanos);
  }
}
