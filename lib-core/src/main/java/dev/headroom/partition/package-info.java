/**
 * Hashed composite partition keys, hot-key detection and hot-key spreading.
 *
 * <p>{@link dev.headroom.partition.KeyHasher} hashes a tuple of fields (strings, numbers, byte
 * arrays, UUIDs, booleans, null) to a partition without allocating, in a Kafka-compatible mode
 * (murmur2 of the {@link dev.headroom.partition.CompositeKey} canonical bytes, Kafka's own
 * partition; a one-field text or byte key is exactly Kafka's partition of that key) or a faster
 * mode for new topics ({@link dev.headroom.partition.HashMode}).
 * {@link dev.headroom.partition.KeyPartitioner} counts sends per partition (with max/mean and
 * Gini skew gauges), finds hot keys over a decaying window and spreads the hot keys that declare
 * no ordering over the least loaded partitions, in proportion to their share. The
 * Kafka {@code Partitioner} in {@code dev.headroom.kafka} is a thin adapter over these types.
 */
package dev.headroom.partition;
