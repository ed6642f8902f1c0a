package dev.headroom.kafka;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;

/**
 * Hands each record's headers to {@link HeadroomPartitioner}, which Kafka's {@code Partitioner}
 * interface does not pass them to: needed for {@code headroom.partitioner.key.source=header}
 * (and by extractors that read headers). Add it, last, to the producer's
 * {@code interceptor.classes}:
 *
 * <pre>{@code
 * interceptor.classes=dev.headroom.kafka.KeyHeadersInterceptor
 * }</pre>
 *
 * <p>{@code KafkaProducer.send()} runs the interceptors, serializes and partitions the record on
 * the calling thread; {@link #onSend} remembers the record on that thread and the partitioner
 * takes its headers when it sees the same key and value objects. An interceptor that runs after
 * this one and replaces the record would hide its headers: put this one last.
 *
 * <p>Thread-safety: thread-safe (state is per sending thread); allocates nothing per record.
 */
public final class KeyHeadersInterceptor implements ProducerInterceptor<Object, Object> {

  private static final ThreadLocal<Captured> CAPTURED = ThreadLocal.withInitial(Captured::new);

  /** Creates the interceptor (Kafka instantiates it from {@code interceptor.classes}). */
  public KeyHeadersInterceptor() {}

  /**
   * Remembers the record's headers for the partitioner on this thread.
   *
   * @return {@code record}, unchanged
   */
  @Override
  public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
    Captured c = CAPTURED.get();
    c.key = record.key();
    c.value = record.value();
    c.headers = record.headers();
    return record;
  }

  /** The headers of the record this thread is sending, if its key and value are these. */
  static Headers headersOf(Object key, Object value) {
    Captured c = CAPTURED.get();
    Headers h = c.headers;
    return h != null && c.key == key && c.value == value ? h : null;
  }

  /** Forgets the current thread's record, so that it is not kept alive. */
  static void forget() {
    Captured c = CAPTURED.get();
    c.key = null;
    c.value = null;
    c.headers = null;
  }

  @Override
  public void onAcknowledgement(RecordMetadata metadata, Exception exception) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}

  private static final class Captured {
    Object key;
    Object value;
    Headers headers;
  }
}
