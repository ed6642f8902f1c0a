package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.partition.EnrollmentWorkload;
import dev.headroom.partition.KeyPartitioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The enrollment-events incident replayed through a real producer and a consumer group on the
 * in-process broker: 200,000 events with JSON values and the String key {@code plan_id}, three
 * large employers on one plan, 12 partitions ({@link EnrollmentWorkload}). The same records go
 * through Kafka's own partitioner and through Headroom configured by properties only, (a) keyed
 * by {@code (member_id, event_type)} read from the JSON value, HR-sync events declared unordered,
 * and (b) keyed by {@code plan_id} itself, declared unordered, with spreading at its defaults.
 * A consumer group of two reads every topic back: every record exactly once (count and
 * checksum), and every ordered key on one partition, in send order.
 */
class EnrollmentReplayTest {

  static final int PARTITIONS = 12;
  static final int EVENTS = 200_000;

  static KafkaBroker broker;
  static Admin admin;
  static List<EnrollmentWorkload.Event> events;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start();
    admin = Admin.create(broker.clientConfig());
    events = EnrollmentWorkload.events(EVENTS, 2026);
  }

  @AfterAll
  static void stop() throws Exception {
    admin.close();
    broker.close();
  }

  private static Map<String, Object> producerConfig() {
    Map<String, Object> p = TestTopics.producerConfig(broker);
    p.put("linger.ms", "20");
    p.put("batch.size", Integer.toString(256 * 1024));
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    return p;
  }

  /** What a consumer group saw of one topic. */
  record Consumed(long[] perPartition, long count, long checksum, List<String> orderViolations) {}

  /** Sends every event keyed by plan_id with the JSON value; returns the consumed view. */
  private static Consumed replay(String topic, Map<String, Object> config) throws Exception {
    TestTopics.create(admin, PARTITIONS, topic);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (EnrollmentWorkload.Event e : events) {
        producer.send(new ProducerRecord<>(topic, e.plan(), e.json()), (m, ex) -> {
          if (ex != null) {
            throw new AssertionError("send failed", ex);
          }
        });
      }
      producer.flush();
    }
    return consume(topic);
  }

  private static Consumed consume(String topic) throws Exception {
    long[] perPartition = new long[PARTITIONS];
    AtomicLong count = new AtomicLong();
    AtomicLong checksum = new AtomicLong();
    // (member/type) -> partition and last seq seen, for ordered events.
    Map<String, long[]> last = new ConcurrentHashMap<>();
    List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", topic + "-group");
    c.put("auto.offset.reset", "earliest");
    c.put("max.poll.records", "5000");
    c.put("key.deserializer", StringDeserializer.class.getName());
    c.put("value.deserializer", StringDeserializer.class.getName());
    List<Thread> members = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int m = 0; m < 2; m++) {
      Thread t = new Thread(() -> {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
          consumer.subscribe(List.of(topic));
          long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
          while (count.get() < EVENTS && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
              synchronized (perPartition) {
                perPartition[r.partition()]++;
              }
              String v = r.value();
              long id = number(v, "\"event_id\":");
              checksum.addAndGet(id * 0x9e3779b97f4a7c15L ^ (id >>> 7));
              count.incrementAndGet();
              if (!v.contains("\"event_type\":\"SYNC\"")) {
                String key = text(v, "\"member_id\":\"") + "/" + text(v, "\"event_type\":\"");
                long seq = number(v, "\"seq\":");
                long[] seen = last.computeIfAbsent(key, k -> new long[] {r.partition(), -1});
                synchronized (seen) {
                  if (seen[0] != r.partition()) {
                    violations.add(key + " on partitions " + seen[0] + " and " + r.partition());
                  } else if (seq != seen[1] + 1) {
                    violations.add(key + " seq " + seq + " after " + seen[1]);
                  }
                  seen[1] = seq;
                }
              }
            }
            consumer.commitSync();
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      t.start();
      members.add(t);
    }
    for (Thread t : members) {
      t.join(Duration.ofSeconds(150).toMillis());
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(failures.get(0));
    }
    return new Consumed(perPartition, count.get(), checksum.get(), violations);
  }

  private static long number(String json, String field) {
    int at = json.indexOf(field) + field.length();
    int end = at;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Long.parseLong(json.substring(at, end));
  }

  private static String text(String json, String field) {
    int at = json.indexOf(field) + field.length();
    return json.substring(at, json.indexOf('"', at));
  }

  private static long expectedChecksum() {
    long sum = 0;
    for (EnrollmentWorkload.Event e : events) {
      long id = e.id();
      sum += id * 0x9e3779b97f4a7c15L ^ (id >>> 7);
    }
    return sum;
  }

  private static void assertExactlyOnceAndInOrder(String what, Consumed c, boolean ordered) {
    assertEquals(EVENTS, c.count(), what + ": records consumed");
    assertEquals(EVENTS, Arrays.stream(c.perPartition()).sum(), what);
    assertEquals(expectedChecksum(), c.checksum(), what + ": checksum of the event ids");
    if (!ordered) {
      return; // every record of this producer declared no ordering
    }
    assertEquals(List.of(), c.orderViolations().subList(0,
        Math.min(5, c.orderViolations().size())), what + ": per-key order of ordered keys");
  }

  @Test
  @Timeout(600)
  void headroomByPropertiesAloneEvensOutTheHotPartitionThatKafkaPartitionerKeepsOnPlanId()
      throws Exception {
    Consumed kafka = replay("enroll-kafka", producerConfig());

    Map<String, Object> composite = producerConfig();
    composite.put("partitioner.class", HeadroomPartitioner.class.getName());
    composite.put("headroom.partitioner.name", "replay-composite");
    composite.put("headroom.partitioner.key.source", "value.json");
    composite.put("headroom.partitioner.key.fields", "member_id,event_type");
    composite.put("headroom.partitioner.unordered.field", "event_type");
    composite.put("headroom.partitioner.unordered.values", "SYNC");
    composite.put("headroom.partitioner.spread.enabled", "true");
    Consumed a = replay("enroll-composite", composite);
    KeyPartitioner aState = HeadroomPartitioner.find("replay-composite").map(p -> p.topic(
        "enroll-composite").orElseThrow()).orElse(null);

    Map<String, Object> plan = producerConfig();
    plan.put("partitioner.class", HeadroomPartitioner.class.getName());
    plan.put("headroom.partitioner.name", "replay-plan");
    plan.put("headroom.partitioner.key.ordered", "false");
    plan.put("headroom.partitioner.spread.enabled", "true");
    Consumed b = replay("enroll-plan", plan);

    double kafkaSkew = EnrollmentWorkload.maxOverMean(kafka.perPartition());
    double aSkew = EnrollmentWorkload.maxOverMean(a.perPartition());
    double bSkew = EnrollmentWorkload.maxOverMean(b.perPartition());
    System.out.printf("max/mean partition share, %d partitions, %d events, consumed by a group:%n"
        + "  Kafka's partitioner, key plan_id:                     %.3f  %s%n"
        + "  Headroom (a) JSON (member_id, event_type), SYNC unordered: %.3f  %s%n"
        + "  Headroom (b) plan_id unordered, spreading defaults:   %.3f  %s%n",
        PARTITIONS, EVENTS, kafkaSkew, Arrays.toString(kafka.perPartition()), aSkew,
        Arrays.toString(a.perPartition()), bSkew, Arrays.toString(b.perPartition()));
    if (aState != null) {
      System.out.printf("  (a) hot keys: %d, gini %.4f%n", aState.hotKeyCount(), aState.gini());
    }

    assertExactlyOnceAndInOrder("Kafka's partitioner", kafka, true);
    assertExactlyOnceAndInOrder("(a)", a, true);
    assertExactlyOnceAndInOrder("(b)", b, false);
    assertTrue(kafkaSkew > 5.0, "the replay must reproduce the hot partition: " + kafkaSkew);
    assertTrue(aSkew <= 1.05, "(a) max/mean " + aSkew);
    assertTrue(bSkew <= 1.05, "(b) max/mean " + bSkew);
  }
}
