package dev.headroom.kafka;

import dev.headroom.partition.CompositeKey;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes a {@link CompositeKey} to its canonical bytes ({@link CompositeKey#encode()}), so
 * that with {@code headroom.partitioner.hash.mode=kafka-compatible} a record's partition is the
 * one Kafka's built-in partitioner computes for the same key bytes. Set it as
 * {@code key.serializer}.
 *
 * <p>Thread-safety: stateless.
 */
public final class CompositeKeySerializer implements Serializer<CompositeKey> {

  /** Creates the serializer (Kafka instantiates it from {@code key.serializer}). */
  public CompositeKeySerializer() {}

  /**
   * Returns the key's canonical bytes.
   *
   * @param topic ignored
   * @param key the key
   * @return its encoding, or null for a null key
   */
  @Override
  public byte[] serialize(String topic, CompositeKey key) {
    return key == null ? null : key.encode();
  }
}
