package dev.headroom.samples;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.guard.Guard;
import dev.headroom.kafka.ConsumerLagMonitor;
import dev.headroom.kafka.ConsumerRunner;
import dev.headroom.kafka.FailureClassifier;
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
 * runner that calls the store through its guard, dead-letters poison records (never outage
 * victims) and pauses while the store's breaker is open. Compiled with the build; running it
 * needs a broker.
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
    // tag::lag[]
    ConsumerLagMonitor lag = ConsumerLagMonitor.builder(admin, "enrollment-workers")
        .topics(List.of("enrollment-events"))      // also partitions nobody has committed yet
        .interval(Duration.ofSeconds(15))          // polled on its own thread
        .hotShare(0.5)                             // one partition holding > 50% of the lag...
        .hotMinLag(10_000)                         // ...of at least 10,000 records is hot
        .build();
    lag.refresh();                                 // first reading, so per-partition gauges exist
    lag.start();
    new HeadroomMeterBinder(lag).bindTo(registry); // headroom.kafka.lag{,.partition,.hot,...}
    // end::lag[]
    return lag;
  }

  /** A record the store rejects as invalid: poison, never retried, never a breaker failure. */
  public static final class InvalidEnrollmentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the enrollment
     */
    public InvalidEnrollmentException(String message) {
      super(message);
    }
  }

  /**
   * Starts a runner for the {@code enrollment-events} topic.
   *
   * @param bootstrap the bootstrap servers
   * @param enrollments the downstream
   * @return the running runner; close it on shutdown
   */
  public static ConsumerRunner<String, String> runner(String bootstrap,
      EnrollmentStore enrollments) {
    KafkaProducer<byte[], byte[]> deadLetters = new KafkaProducer<>(Map.of(
        "bootstrap.servers", bootstrap, "acks", "all"),
        new ByteArraySerializer(), new ByteArraySerializer());

    // tag::runner[]
    Guard store = Guard.builder("enrollment-store")
        .breaker(BreakerConfig.defaults())
        .build();
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", bootstrap,
        "group.id", "enrollment-workers",
        "enable.auto.commit", "false",       // the runner commits what is done, nothing else
        "auto.offset.reset", "earliest",     // a new group reads what was produced before it
        "session.timeout.ms", "45000",       // how long a crashed member keeps its partitions
        "heartbeat.interval.ms", "3000",     // at most a third of the session timeout
        "max.poll.interval.ms", "300000",    // the runner polls within half of it
        "max.poll.records", "500"),          // bounds a poll's work and the redelivery window
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    ConsumerRunner<String, String> runner = ConsumerRunner
        .builder("enrollment-workers", consumer, new StringDeserializer(),
            new StringDeserializer())
        .topics(List.of("enrollment-events"))
        .guard(store)                               // a permit per record; no breaker.call inside
        .handler(record -> enrollments.save(record.key(), record.value()))
        .classifier(FailureClassifier.poisonOn(InvalidEnrollmentException.class))
        .deadLetter(deadLetters, "enrollment-events.dlq")
        .maxPollInterval(Duration.ofMinutes(5))     // the consumer's max.poll.interval.ms
        .build();
    runner.start();
    // end::runner[]
    return runner;
  }
}
