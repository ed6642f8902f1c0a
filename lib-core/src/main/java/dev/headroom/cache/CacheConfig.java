package dev.headroom.cache;

import dev.headroom.core.Checks;
import java.time.Duration;

/**
 * The settings of one {@link HeadroomCache}, as built by {@link HeadroomCache#builder(String)}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the cache's name, used in meter tags and error messages
 * @param ttl how long a loaded value is fresh: the hard expiry, measured from the end of its load
 * @param beta the XFetch factor; {@code 0} turns early refresh off, larger values refresh earlier
 * @param maximumSize the most entries kept, or {@link #UNBOUNDED}
 * @param maximumWeight the most total weight kept, or {@link #UNBOUNDED}
 * @param staleIfError how long past its expiry a value may still be served when its reload
 *     fails; {@link Duration#ZERO} turns stale-if-error off
 * @param negativeTtl how long a failed load is remembered (and its error or stale value served
 *     without calling the loader); {@link Duration#ZERO}, the default, caches no errors
 * @param loaderTimeout how long a load may take before it is abandoned with a
 *     {@link java.util.concurrent.TimeoutException}; {@link Duration#ZERO} means no timeout
 */
public record CacheConfig(String name, Duration ttl, double beta, long maximumSize,
    long maximumWeight, Duration staleIfError, Duration negativeTtl, Duration loaderTimeout) {

  /** The value of {@link #maximumSize} or {@link #maximumWeight} when that bound is not set. */
  public static final long UNBOUNDED = -1L;

  /** The default XFetch factor, the one the paper shows optimal for a single cache. */
  public static final double DEFAULT_BETA = 1.0;

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException naming the first invalid setting
   * @throws IllegalStateException if both a maximum size and a maximum weight are set
   */
  public CacheConfig {
    Checks.requireNonBlank("name", name);
    Checks.requirePositive("ttl", ttl);
    Checks.requireNonNegative("beta", beta);
    Checks.requireArgument(maximumSize == UNBOUNDED || maximumSize > 0, "maximumSize", "> 0",
        maximumSize);
    Checks.requireArgument(maximumWeight == UNBOUNDED || maximumWeight > 0, "maximumWeight",
        "> 0", maximumWeight);
    Checks.requireState(maximumSize == UNBOUNDED || maximumWeight == UNBOUNDED,
        "maximumSize and maximumWeight are exclusive (were " + maximumSize + " and "
            + maximumWeight + ")");
    Checks.requireNonNegative("staleIfError", staleIfError);
    Checks.requireNonNegative("negativeTtl", negativeTtl);
    Checks.requireNonNegative("loaderTimeout", loaderTimeout);
    Checks.requireArgument(ttl.plus(staleIfError).compareTo(MAX_LIFETIME) <= 0,
        "ttl + staleIfError", "<= " + MAX_LIFETIME, ttl.plus(staleIfError));
  }

  /** Lifetimes are held in nanoseconds; a century is far enough from overflow. */
  static final Duration MAX_LIFETIME = Duration.ofDays(36_500);
}
