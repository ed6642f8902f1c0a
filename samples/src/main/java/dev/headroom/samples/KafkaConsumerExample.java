package dev.headroom.samples;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.kafka.ConsumerLagMonitor;
import dev.headroom.kafka.ConsumerRunner;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The README's consumer example: the lag signal of the {@code enrollment-workers} group, and a
 * runner that dead-letters poison records and pauses while the downstream store's breaker is
 * open. Compiled with the build; running it needs a broker.
 */
public final class KafkaConsumerExample {

  private KafkaConsumerExample() {}

  /** Something the handler writes to, guarded by a breaker. */
  public interface EnrollmentStore {
    /**
     * Saves one enrollment event.
     *
     * @param memberId the member
     * @param event the event as JSON
     * @throws Exception if the store fails
     */
    void save(String memberId, String event) throws Exception;
  }

  /**
   * Starts the lag signal and binds it to a registry.
   *
   * @param admin an admin client for the cluster
   * @param registry where the gauges go
   * @return the running monitor; close it on shutdown
   */
  public static ConsumerLagMonitor lagSignal(Admin admin, MeterRegistry registry) {
    ConsumerLagMonitor lag = ConsumerLagMonitor.builder(admin, "enrollment-workers")
        .topics(List.of("enrollment-events"))      // also partitions nobody has committed yet
        .interval(Duration.ofSeconds(15))          // polled on its own thread
        .hotShare(0.5)                             // one partition holding > 50% of the lag...
        .hotMinLag(10_000)                         // ...of at least 10,000 records is hot
        .build();
    lag.refresh();                                 // first reading, so per-partition gauges exist
    lag.start();
    new HeadroomMeterBinder(lag).bindTo(registry); // headroom.kafka.lag{,.partition,.hot,...}
    return lag;
  }

  /**
   * Starts a runner for the {@code enrollment-events} topic.
   *
   * @param bootstrap the bootstrap servers
   * @param store the downstream
   * @return the running runner; close it on shutdown
   */
  public static ConsumerRunner<String, String> runner(String bootstrap, EnrollmentStore store) {
    CircuitBreaker breaker = CircuitBreaker.builder("enrollment-store").build();
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", bootstrap,
        "group.id", "enrollment-workers",
        "enable.auto.commit", "false"),             // the runner commits what is done
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    KafkaProducer<byte[], byte[]> deadLetters = new KafkaProducer<>(Map.of(
        "bootstrap.servers", bootstrap, "acks", "all"),
        new ByteArraySerializer(), new ByteArraySerializer());

    ConsumerRunner<String, String> runner = ConsumerRunner
        .builder("enrollment-workers", consumer, new StringDeserializer(),
            new StringDeserializer())
        .topics(List.of("enrollment-events"))
        .handler(record -> breaker.call(() -> {     // refused calls are retried later
          store.save(record.key(), record.value());
          return null;
        }))
        .maxAttempts(3)                            // then the record is dead-lettered
        .deadLetter(deadLetters, "enrollment-events.dlq")
        .breaker(breaker)                          // open: pause, keep polling, stay in group
        .build();
    runner.start();
    return runner;
  }
}
