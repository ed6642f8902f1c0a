package dev.headroom.kafka;

import java.util.List;
import org.apache.kafka.common.KafkaException;

/**
 * A record lacks a field of its composite key, so it has no partition. Thrown by
 * {@link HeadroomPartitioner#partition} and therefore by {@code KafkaProducer.send()} itself
 * (it is not an {@code ApiException}, so the producer does not turn it into a failed future
 * that a fire-and-forget caller would never look at): the record is not sent, never sent to a
 * default partition.
 *
 * <p>Thread-safety: immutable.
 */
public class MissingKeyFieldException extends KafkaException {

  private static final long serialVersionUID = 1L;

  private final String topic;
  private final String field;

  /**
   * Creates the exception.
   *
   * @param topic the record's topic
   * @param field the missing field's name
   * @param fields every key field, in order
   */
  public MissingKeyFieldException(String topic, String field, List<String> fields) {
    super("headroom partitioner: the record for topic '" + topic + "' has no key field '" + field
        + "' (key fields " + fields + "); it was not sent");
    this.topic = topic;
    this.field = field;
  }

  /**
   * Creates the exception with a message of the caller's, for a record whose key is unusable as
   * a whole (for example not a {@code CompositeKey}).
   *
   * @param topic the record's topic
   * @param message the full message
   */
  public MissingKeyFieldException(String topic, String message) {
    super(message);
    this.topic = topic;
    this.field = null;
  }

  /**
   * Returns the record's topic.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * Returns the missing field's name.
   *
   * @return the field, or null when the whole key was unusable
   */
  public String field() {
    return field;
  }
}
