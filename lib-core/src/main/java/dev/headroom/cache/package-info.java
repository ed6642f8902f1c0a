/**
 * A stampede-safe cache on Caffeine: {@link dev.headroom.cache.HeadroomCache} with single-flight
 * loads, XFetch probabilistic early refresh (Vattani, Chierichetti and Lowenstein, VLDB 2015),
 * stale-if-error with a typed {@link dev.headroom.cache.CacheLoadException}, optional negative
 * caching, a loader timeout, and {@code headroom.cache.*} metrics. Every load goes through a
 * {@link dev.headroom.cache.LoadPath}, the seam for a fleet-wide tier.
 */
package dev.headroom.cache;
