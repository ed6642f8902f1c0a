package dev.headroom.cache;

import dev.headroom.core.Checks;
import java.time.Duration;

/**
 * The settings of one {@link HeadroomCache}, as built by {@link HeadroomCache#builder(String)}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the cache's name, used in meter tags and error messages
 * @param ttl how long a loaded value is fresh at most: the hard expiry, measured from the end of
 *     its load; each value's own lifetime is drawn in {@code [ttl x (1 - ttlJitter), ttl]}
 * @param beta the XFetch factor: a refresh is due at least {@code beta x load time x E} before
 *     expiry, {@code E} an exponential draw of mean 1; {@code 0} turns that term off
 * @param earlyRefresh the TTL-proportional refresh window, as a fraction of the TTL: each value's
 *     refresh is due a uniform draw of up to {@code earlyRefresh x ttl} before its expiry (on top
 *     of the XFetch term), except a value that replaces one refreshed on time, which keeps the
 *     phase and is due two of the key's read gaps early; {@code 0} turns that term off
 * @param ttlJitter how much of the TTL each value's lifetime may lose at random, in {@code [0, 1)}
 * @param maximumSize the most entries kept, or {@link #UNBOUNDED}
 * @param maximumWeight the most total weight kept, or {@link #UNBOUNDED}
 * @param staleIfError how long past its expiry a value may still be served: while a background
 *     refresh replaces it, and when that refresh fails; {@link Duration#ZERO} makes the expiry
 *     hard (a read of an expired value waits for its load)
 * @param negativeTtl how long a failed load is remembered (and its error or stale value served
 *     without calling the loader); {@link Duration#ZERO}, the default, caches no errors
 * @param loaderTimeout how long a load may take before it is abandoned with a
 *     {@link java.util.concurrent.TimeoutException}; {@link Duration#ZERO} means no timeout
 */
public record CacheConfig(String name, Duration ttl, double beta, double earlyRefresh,
    double ttlJitter, long maximumSize, long maximumWeight, Duration staleIfError,
    Duration negativeTtl, Duration loaderTimeout) {

  /** The value of {@link #maximumSize} or {@link #maximumWeight} when that bound is not set. */
  public static final long UNBOUNDED = -1L;

  /** The default XFetch factor, the one the paper shows optimal for a single cache. */
  public static final double DEFAULT_BETA = 1.0;

  /**
   * The default refresh window, a fraction of the TTL. Wide enough that a fleet loaded at one
   * moment spreads its refreshes over {@value} of a TTL: see {@code FleetSimulationTest}.
   */
  public static final double DEFAULT_EARLY_REFRESH = 0.5;

  /** The default TTL jitter: each value's lifetime is drawn in {@code [0.9 ttl, ttl]}. */
  public static final double DEFAULT_TTL_JITTER = 0.1;

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
    Checks.requireInRange("earlyRefresh", earlyRefresh, 0.0, true, 1.0, true);
    Checks.requireInRange("ttlJitter", ttlJitter, 0.0, true, 1.0, false);
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
