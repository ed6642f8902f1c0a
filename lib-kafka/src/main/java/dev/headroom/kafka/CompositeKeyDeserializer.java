package dev.headroom.kafka;

import dev.headroom.partition.CompositeKey;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a {@link CompositeKey} back from its canonical bytes (the ordering flag is not on the
 * wire: keys come back as requiring ordering). Set it as the consumer's {@code key.deserializer}.
 * Every byte array is some key ({@link CompositeKey#decode(byte[])} says which): a topic keyed
 * by one text field, whose keys are plain UTF-8, reads back as one-field string keys.
 *
 * <p>Thread-safety: stateless.
 */
public final class CompositeKeyDeserializer implements Deserializer<CompositeKey> {

  /** Creates the deserializer (Kafka instantiates it from {@code key.deserializer}). */
  public CompositeKeyDeserializer() {}

  /**
   * Decodes the key.
   *
   * @param topic the topic, named in the error
   * @param data the bytes
   * @return the key, or null for null bytes
   * @throws SerializationException never for non-null bytes (kept for decoders to come)
   */
  @Override
  public CompositeKey deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return CompositeKey.decode(data);
    } catch (IllegalArgumentException e) {
      throw new SerializationException("topic '" + topic + "': " + e.getMessage(), e);
    }
  }
}
