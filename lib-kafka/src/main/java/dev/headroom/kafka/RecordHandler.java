package dev.headroom.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Handles one deserialized record for a {@link ConsumerRunner}.
 *
 * <p>A normal return means the record is done and its offset may be committed. An exception
 * means it failed: the runner retries it up to its attempt limit, then sends it to the
 * dead-letter topic. A {@link dev.headroom.core.RejectedException} (for example a circuit
 * breaker's rejection), thrown directly or as a cause, means the downstream refused the call:
 * the record is neither counted as failed nor dead-lettered, but handled again after a backoff.
 *
 * <p>Records can be delivered more than once (after a rebalance, a crash, or a refused call), so
 * handlers should be idempotent.
 *
 * <p>Thread-safety: called from the runner's single polling thread only.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface RecordHandler<K, V> {

  /**
   * Handles one record.
   *
   * @param record the record, with its original topic, partition, offset and headers
   * @throws Exception if handling failed
   */
  void handle(ConsumerRecord<K, V> record) throws Exception;
}
