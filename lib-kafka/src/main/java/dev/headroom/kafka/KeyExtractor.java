package dev.headroom.kafka;

import dev.headroom.partition.KeyHasher;
import java.util.Map;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.header.Headers;

/**
 * Reads the key fields of a record for {@link HeadroomPartitioner}. The built-in sources
 * ({@code headroom.partitioner.key.source} {@code value.json}, {@code value.map},
 * {@code header}) are extractors configured by properties alone: {@link JsonKeyExtractor},
 * {@link MapKeyExtractor}, {@link HeaderKeyExtractor}. A class of your own is named in
 * {@code headroom.partitioner.key.extractor} with {@code key.source=extractor}:
 *
 * <pre>{@code
 * public final class EnrollmentKeys implements KeyExtractor {
 *   public boolean extract(String topic, Object key, byte[] keyBytes, Object value,
 *       byte[] valueBytes, Headers headers, KeyHasher out) {
 *     Enrollment e = (Enrollment) value;
 *     out.putString(e.memberId()).putString(e.eventType());
 *     return !e.eventType().equals("SYNC"); // SYNC events need no ordering
 *   }
 * }
 * }</pre>
 *
 * <p>An implementation writes each field it finds with the hasher's typed methods (no allocation)
 * and stops at the first field the record lacks: when {@code headroom.partitioner.key.fields}
 * names the fields, the partitioner then fails the send with a {@link MissingKeyFieldException}
 * naming that field; an extractor that writes no field at all fails it too. A field present with
 * a null value is written with {@link KeyHasher#putNull()}: null is a valid key field, a missing
 * one is not. It may also throw {@link MissingKeyFieldException} itself.
 *
 * <p>Kafka loads the class as it loads its own plug-ins (see
 * {@link HeadroomPartitionerConfig#KEY_EXTRACTOR_DOC}), calls its public no-arg constructor and
 * then {@link #configure} with every producer property, so an extractor can read properties of
 * its own. Implementations must be thread-safe (one instance serves every sending thread), and
 * {@code extract} must be a pure function of the record, because
 * {@link HeadroomPartitioner#partition} may run more than once for one record.
 */
public interface KeyExtractor extends Configurable {

  /**
   * Receives every producer property once, before any record. The default does nothing.
   *
   * @param configs the producer's configs
   * @throws org.apache.kafka.common.config.ConfigException if they do not suit this extractor
   */
  @Override
  default void configure(Map<String, ?> configs) {}

  /**
   * Writes the record's key fields, in order, into {@code out}, and tells whether the record
   * must keep its key's order.
   *
   * @param topic the record's topic
   * @param key the record's key object (may be null)
   * @param keyBytes the serialized key (may be null)
   * @param value the record's value object (may be null)
   * @param valueBytes the serialized value (may be null)
   * @param headers the record's headers when {@link KeyHeadersInterceptor} is installed, else
   *     null
   * @param out a reset hasher to write the fields into
   * @return true if the record must stay on its key's one partition, in order; false if it may
   *     be spread while its key is hot
   * @throws MissingKeyFieldException if a field is missing or unusable (or stop writing at it)
   */
  boolean extract(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes,
      Headers headers, KeyHasher out);
}
