package dev.headroom.partition;

/**
 * How a composite key is hashed to a partition. Both modes are stable: the same fields give the
 * same partition in every JVM, on every platform and in every Headroom version that documents
 * the same mode (a change would be a new mode, never a silent change of an existing one).
 *
 * <p>Thread-safety: immutable.
 */
public enum HashMode {

  /**
   * Kafka's own hash of the key's canonical bytes: {@code toPositive(murmur2(bytes)) % n},
   * exactly as Kafka's built-in partitioner computes it for a record whose serialized key is
   * {@code bytes}. The bytes are those of {@link CompositeKey#encode()} (documented there): for
   * a key of one string field, the UTF-8 bytes Kafka's {@code StringSerializer} writes; for a key
   * of one byte-array field, the array; for any other key, the tagged encoding. So a plain
   * {@code String} or {@code byte[]} key lands exactly where Kafka's default partitioner puts
   * it, and a record keyed by a serialized {@link CompositeKey} lands on the same partition
   * whether it is sent through Headroom's partitioner or through Kafka's default one, from Java
   * or from any client that writes the same bytes. The hash is computed incrementally over the
   * fields without building the byte array. Use it for topics that already exist or are shared
   * with other producers.
   */
  KAFKA_COMPATIBLE,

  /**
   * A 64-bit multiply-rotate hash over the fields' 64-bit words (strings as UTF-16 code units),
   * finished with murmur3's {@code fmix64} and mapped to a partition by
   * {@code ((h >>> 32) * n) >>> 32}. It reads each field once and needs no UTF-8 length pass
   * (15-20% cheaper than {@link #KAFKA_COMPATIBLE} for a two-string key in
   * {@code PartitionerBenchmark}; more for non-ASCII text), but its partitions differ from
   * Kafka's: use it for new topics whose producers all use Headroom. The exact algorithm is
   * documented in {@link KeyHasher}.
   */
  FAST
}
