/**
 * A stampede-safe cache on Caffeine: {@link dev.headroom.cache.HeadroomCache} with single-flight
 * loads, an early refresh drawn once per value over a window that scales with the TTL and the
 * load time (XFetch's term, Vattani, Chierichetti and Lowenstein, VLDB 2015, plus a
 * TTL-proportional window), TTL jitter, stale-while-revalidate and stale-if-error with a typed
 * {@link dev.headroom.cache.CacheLoadException}, optional negative caching, a loader timeout on
 * an injected {@link dev.headroom.cache.Scheduler}, and {@code headroom.cache.*} metrics. Every
 * load goes through a {@link dev.headroom.cache.LoadPath}, the seam for a fleet-wide tier.
 */
package dev.headroom.cache;
