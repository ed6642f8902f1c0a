package dev.headroom.cache;

/**
 * The answer of {@link HeadroomCache#lookup}: a value and whether it is stale, that is past its
 * expiry and served only because its reload failed inside the stale-if-error window.
 *
 * <p>Thread-safety: immutable.
 *
 * @param <V> the value type
 * @param value the value, never null
 * @param stale true if the value is past its expiry
 */
public record Lookup<V>(V value, boolean stale) {}
