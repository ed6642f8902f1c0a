package dev.headroom.kafka;

import dev.headroom.partition.KeyHasher;
import java.util.List;

/**
 * Reads the key fields of a record for {@link HeadroomPartitioner} when
 * {@code headroom.partitioner.key.source=extractor}: the fields named by
 * {@code headroom.partitioner.key.fields}, in that order, usually from the record's value.
 *
 * <pre>{@code
 * public final class EnrollmentKeys implements KeyExtractor {
 *   public void extract(Object key, Object value, KeyHasher out) {
 *     Enrollment e = (Enrollment) value;
 *     out.putString(e.memberId()).putString(e.eventType());
 *   }
 * }
 * }</pre>
 *
 * <p>An implementation writes each field it finds with the hasher's typed methods (no allocation)
 * and stops at the first field the record lacks: the partitioner then fails the send with a
 * {@link MissingKeyFieldException} naming that field. A field that is present with a null value
 * is written with {@link KeyHasher#putNull()}: null is a valid key field, a missing one is not.
 * It may also throw {@link MissingKeyFieldException} itself.
 *
 * <p>Implementations need a public no-arg constructor and must be thread-safe (one instance serves
 * every sending thread); {@code extract} must be a pure function of the record, because
 * {@link HeadroomPartitioner#partition} may run more than once for one record.
 */
public interface KeyExtractor {

  /**
   * Receives the configured field names once, before any record.
   *
   * @param fields the value of {@code headroom.partitioner.key.fields}, non-empty
   * @throws org.apache.kafka.common.config.ConfigException if the fields cannot be read by this
   *     extractor
   */
  default void configure(List<String> fields) {}

  /**
   * Writes the record's key fields, in the configured order, into {@code out}.
   *
   * @param key the record's key object (may be null)
   * @param value the record's value object (may be null)
   * @param out a reset hasher to write the fields into
   * @throws MissingKeyFieldException if a field is missing (or stop writing at it)
   */
  void extract(Object key, Object value, KeyHasher out);

  /**
   * Returns whether the record's key needs its records kept in order (never spread). The default
   * is true: spreading applies only to records an extractor explicitly declares unordered.
   *
   * @param key the record's key object
   * @param value the record's value object
   * @return true unless the record may be consumed out of order relative to its key's others
   */
  default boolean orderingRequired(Object key, Object value) {
    return true;
  }
}
