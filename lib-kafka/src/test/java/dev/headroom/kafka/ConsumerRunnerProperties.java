package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.RejectedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The runner against a reference model, on a real broker: a random script says what happens to
 * each record (handled, failing once, always failing, undeserializable, refused once) and where
 * the breaker opens; the model says which records end handled, which dead-lettered with which
 * headers, and where the offsets end. Few tries, no shrinking: each try is a consumer group on
 * a broker (about a second).
 */
class ConsumerRunnerProperties {

  enum Fate { HANDLED, FAILS_ONCE, ALWAYS_FAILS, UNDESERIALIZABLE, REFUSED_ONCE }

  static final int PARTITIONS = 2;
  static final int MAX_ATTEMPTS = 3;
  static final Deserializer<Integer> INTS = (topic, data) ->
      Integer.parseInt(new String(data, StandardCharsets.UTF_8));

  static KafkaBroker broker;
  static Admin admin;
  static KafkaProducer<String, String> producer;
  static KafkaProducer<byte[], byte[]> dlqProducer;
  static final AtomicInteger runs = new AtomicInteger();

  @BeforeContainer
  static void start() throws Exception {
    broker = KafkaBroker.start();
    admin = Admin.create(broker.clientConfig());
    producer = new KafkaProducer<>(TestTopics.producerConfig(broker), new StringSerializer(),
        new StringSerializer());
    dlqProducer = new KafkaProducer<>(TestTopics.producerConfig(broker),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterContainer
  static void stop() throws Exception {
    dlqProducer.close();
    producer.close();
    admin.close();
    broker.close();
  }

  static final class Refused extends RejectedException {
    private static final long serialVersionUID = 1L;

    Refused() {
      super("test", "downstream", "refused", 0, false);
    }
  }

  @Property(tries = 5, shrinking = ShrinkingMode.OFF)
  void everyRecordEndsHandledOrDeadLetteredAsTheModelSays(
      @ForAll @Size(min = 1, max = 24) List<Fate> script,
      @ForAll @IntRange(min = -1, max = 23) int breakerOpensAfter) throws Exception {
    String topic = "script-" + runs.incrementAndGet();
    String dlq = topic + ".dlq";
    TestTopics.create(admin, PARTITIONS, topic);
    TestTopics.create(admin, 1, dlq);
    for (int i = 0; i < script.size(); i++) {
      String value = script.get(i) == Fate.UNDESERIALIZABLE ? "x" + i : Integer.toString(i);
      producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, value)).get();
    }

    // The model: what must be handled, what must be dead-lettered and how.
    Set<Integer> mustBeHandled = new HashSet<>();
    Map<Integer, Fate> mustBeDead = new HashMap<>();
    for (int i = 0; i < script.size(); i++) {
      switch (script.get(i)) {
        case ALWAYS_FAILS:
        case UNDESERIALIZABLE:
          mustBeDead.put(i, script.get(i));
          break;
        default:
          mustBeHandled.add(i);
      }
    }

    CircuitBreaker breaker = CircuitBreaker.builder(topic).build();
    RunnerInvariants.Deliveries deliveries = new RunnerInvariants.Deliveries();
    Map<Integer, AtomicInteger> tries = new ConcurrentHashMap<>();
    java.util.concurrent.ScheduledExecutorService resetter =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", topic + "-g");
    c.put("enable.auto.commit", "false");
    c.put("auto.offset.reset", "earliest");
    c.put("max.poll.records", 5);
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    try (ConsumerRunner<String, Integer> runner = ConsumerRunner
        .builder(topic, consumer, new StringDeserializer(), INTS)
        .topics(List.of(topic))
        .deadLetter(dlqProducer, dlq)
        .maxAttempts(MAX_ATTEMPTS)
        .retryBackoff(Duration.ZERO)
        .rejectionBackoff(Duration.ofMillis(20))
        .pollTimeout(Duration.ofMillis(50))
        .breaker(breaker)
        .handler(r -> {
          int i = r.value();
          int attempt = tries.computeIfAbsent(i, k -> new AtomicInteger()).incrementAndGet();
          switch (script.get(i)) {
            case FAILS_ONCE:
              if (attempt == 1) {
                throw new IllegalStateException("first try of " + i);
              }
              break;
            case ALWAYS_FAILS:
              throw new IllegalStateException("record " + i + " is broken");
            case REFUSED_ONCE:
              if (attempt == 1) {
                throw new Refused();
              }
              break;
            default:
              break;
          }
          deliveries.record(r);
          if (i == breakerOpensAfter) {
            breaker.forceOpen();
            resetter.schedule(breaker::reset, 150, java.util.concurrent.TimeUnit.MILLISECONDS);
          }
        })
        .build()) {
      runner.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while ((deliveries.values().size() < mustBeHandled.size()
          || runner.deadLetteredCount() < mustBeDead.size())
          && System.nanoTime() - deadline < 0) {
        Thread.sleep(10);
      }
    } finally {
      resetter.shutdownNow();
    }

    assertEquals(mustBeHandled, deliveries.values(), "handled: " + script);
    assertEquals(0, deliveries.duplicates(), "a rewind goes back to the first record not done");
    RunnerInvariants.assertInOffsetOrder(deliveries.order);
    for (Map.Entry<Integer, Fate> dead : mustBeDead.entrySet()) {
      if (dead.getValue() == Fate.ALWAYS_FAILS) {
        assertEquals(MAX_ATTEMPTS, tries.get(dead.getKey()).get(), "tries of " + dead.getKey());
      }
    }

    List<ConsumerRecord<byte[], byte[]>> letters = readAll(dlq, mustBeDead.size());
    assertEquals(mustBeDead.size(), letters.size(), "each dead letter exactly once: " + script);
    for (ConsumerRecord<byte[], byte[]> letter : letters) {
      int i = Integer.parseInt(new String(letter.key(), StandardCharsets.UTF_8).substring(1));
      boolean undeserializable = mustBeDead.get(i) == Fate.UNDESERIALIZABLE;
      RunnerInvariants.assertDeadLetter(letter, topic, i % PARTITIONS, i / PARTITIONS,
          undeserializable ? NumberFormatException.class : IllegalStateException.class,
          undeserializable ? "deserialization" : "handler", undeserializable ? 0 : MAX_ATTEMPTS);
    }

    Map<TopicPartition, Long> expected = new TreeMap<>(ConsumerLag.ORDER);
    for (int p = 0; p < PARTITIONS; p++) {
      long records = (script.size() - p + PARTITIONS - 1) / PARTITIONS;
      if (records > 0) {
        expected.put(new TopicPartition(topic, p), records);
      }
    }
    Map<TopicPartition, Long> committed = new TreeMap<>(ConsumerLag.ORDER);
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin
        .listConsumerGroupOffsets(topic + "-g").partitionsToOffsetAndMetadata().get()
        .entrySet()) {
      committed.put(e.getKey(), e.getValue().offset());
    }
    assertEquals(expected, committed, "every record done, every offset committed");
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", "reader-" + topic);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> reader =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      reader.assign(List.of(new TopicPartition(topic, 0)));
      reader.seekToBeginning(reader.assignment());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (out.size() < expected && System.nanoTime() - deadline < 0) {
        ConsumerRecords<byte[], byte[]> records = reader.poll(Duration.ofMillis(100));
        records.forEach(out::add);
      }
      reader.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }
}
