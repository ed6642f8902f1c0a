/**
 * The fleet tier on Redis (Lettuce): each part optional, each failing open to the pod's local
 * behaviour with a metric, never an error to the caller.
 *
 * <ul>
 *   <li>{@link dev.headroom.redis.LeasedLoadPath}: fleet-wide single flight for a
 *       {@link dev.headroom.cache.HeadroomCache}, a short lease per key ({@code SET NX PX}), the
 *       holder's value published with its load time, picked up by the other pods.
 *   <li>{@link dev.headroom.redis.FleetRateLimit}: one rate limit for the whole fleet on
 *       Bucket4j's Redis backend, for an external dependency and a cache's loader.
 *   <li>{@link dev.headroom.redis.PodLedger}: a live ledger of the pods sharing a budget,
 *       heartbeats in a sorted set with a TTL, the exact live count, atomic allocation claims.
 *   <li>{@link dev.headroom.redis.ValueCodec}: how values become bytes.
 * </ul>
 */
package dev.headroom.redis;
