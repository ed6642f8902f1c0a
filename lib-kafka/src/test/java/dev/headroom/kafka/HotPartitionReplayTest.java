package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.partition.CompositeKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The enrollment-events incident replayed against a real broker: 100k events, three large
 * employers on one plan plus Zipf-distributed tenants, to a 12-partition topic.
 */
class HotPartitionReplayTest {

  static final int PARTITIONS = 12;
  static final int EVENTS = 100_000;

  static KafkaBroker broker;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start();
    admin = Admin.create(broker.clientConfig());
  }

  @AfterAll
  static void stop() throws Exception {
    admin.close();
    broker.close();
  }

  /** One enrollment event. */
  record Event(String employer, String plan, String member, String type, boolean ordered) {
    String json() {
      return "{\"employer\":\"" + employer + "\",\"plan_id\":\"" + plan + "\",\"member_id\":\""
          + member + "\",\"event_type\":\"" + type + "\"}";
    }

    CompositeKey key() {
      return ordered ? CompositeKey.of(member, type) : CompositeKey.unordered(member, type);
    }
  }

  /**
   * The skewed workload: 60% of events from three large employers that all chose plan
   * PPO-GOLD (8,000 members each), 40% from 400 smaller tenants with Zipf(1.1) sizes on 25 other
   * plans; 70% of a tenant's events come from its HR system's sync account (one member id,
   * event type SYNC, declared unordered), the rest from its members.
   */
  static List<Event> workload(long seed) {
    Random random = new Random(seed);
    int tenants = 400;
    double[] cdf = new double[tenants];
    double sum = 0;
    for (int i = 0; i < tenants; i++) {
      sum += 1.0 / Math.pow(i + 1, 1.1);
      cdf[i] = sum;
    }
    String[] types = {"ENROLL", "DEPENDENT_ADD", "PLAN_ELECT", "CONFIRM"};
    List<Event> events = new ArrayList<>(EVENTS);
    for (int i = 0; i < EVENTS; i++) {
      if (random.nextDouble() < 0.6) {
        int employer = random.nextInt(3);
        events.add(new Event("big-" + employer, "PPO-GOLD",
            "big-" + employer + "-m" + random.nextInt(8_000), types[random.nextInt(4)], true));
      } else {
        double u = random.nextDouble() * sum;
        int t = 0;
        while (cdf[t] < u) {
          t++;
        }
        String plan = "PLAN-" + (t % 25);
        if (random.nextDouble() < 0.7) {
          events.add(new Event("t" + t, plan, "t" + t + "-hr-sync", "SYNC", false));
        } else {
          events.add(new Event("t" + t, plan, "t" + t + "-m" + random.nextInt(500),
              types[random.nextInt(4)], true));
        }
      }
    }
    return events;
  }

  static Map<String, Object> producerConfig() {
    Map<String, Object> p = broker.clientConfig();
    p.put("linger.ms", "20");
    p.put("batch.size", Integer.toString(256 * 1024));
    p.put("acks", "1");
    return p;
  }

  static long[] counts(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    ListOffsetsResult result = admin.listOffsets(request);
    long[] counts = new long[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
      counts[p] = result.partitionResult(new TopicPartition(topic, p)).get().offset();
    }
    return counts;
  }

  static double maxOverMean(long[] counts) {
    long max = 0;
    long sum = 0;
    for (long c : counts) {
      max = Math.max(max, c);
      sum += c;
    }
    return max / ((double) sum / counts.length);
  }

  static void createTopic(String topic) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all()
        .get(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(120)
  void compositeKeysWithSpreadingEvenOutTheHotPartitionThatPlanIdKeysCreate() throws Exception {
    List<Event> events = workload(2026);

    createTopic("enrollment-builtin");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerConfig(), new StringSerializer(), new StringSerializer())) {
      for (Event e : events) {
        producer.send(new ProducerRecord<>("enrollment-builtin", e.plan(), e.json()));
      }
      producer.flush();
    }

    createTopic("enrollment-headroom");
    Map<String, Object> config = producerConfig();
    config.put("partitioner.class", HeadroomPartitioner.class.getName());
    config.put("headroom.partitioner.name", "replay");
    config.put("headroom.partitioner.spread.enabled", "true");
    config.put("headroom.partitioner.spread.fanout", "12");
    config.put("headroom.partitioner.spread.choices", "2");
    config.put("headroom.partitioner.hotkey.threshold", "0.005");
    try (KafkaProducer<CompositeKey, String> producer = new KafkaProducer<>(config,
        new CompositeKeySerializer(), new StringSerializer())) {
      for (Event e : events) {
        producer.send(new ProducerRecord<>("enrollment-headroom", e.key(), e.json()));
      }
      producer.flush();
      var state = HeadroomPartitioner.find("replay").orElseThrow().topic("enrollment-headroom")
          .orElseThrow();
      System.out.printf("hot keys found by Headroom: %s%n", state.hotKeys());
      assertEquals(EVENTS, state.totalSends(), "each record counted once");
    }

    long[] builtin = counts("enrollment-builtin");
    long[] headroom = counts("enrollment-headroom");
    assertEquals(EVENTS, java.util.Arrays.stream(builtin).sum());
    assertEquals(EVENTS, java.util.Arrays.stream(headroom).sum());
    double builtinSkew = maxOverMean(builtin);
    double headroomSkew = maxOverMean(headroom);
    System.out.printf("max/mean partition share over %d partitions, %d events:%n"
        + "  Kafka built-in partitioner keyed on plan_id: %.2f  %s%n"
        + "  Headroom composite (member_id, event_type) + spreading: %.2f  %s%n",
        PARTITIONS, EVENTS, builtinSkew, java.util.Arrays.toString(builtin), headroomSkew,
        java.util.Arrays.toString(headroom));
    assertTrue(headroomSkew <= 1.2, "Headroom max/mean " + headroomSkew);
    assertTrue(builtinSkew > 5.0, "the replay must reproduce the hot partition: " + builtinSkew);
  }

  @Test
  @Timeout(60)
  void theSameFieldsGoToTheSamePartitionAcrossProducerRestartsInBothModes() throws Exception {
    for (String mode : List.of("kafka-compatible", "fast")) {
      String topic = "restart-" + mode;
      createTopic(topic);
      List<Integer> first = sendKeys(topic, mode);
      List<Integer> second = sendKeys(topic, mode);
      assertEquals(first, second, mode);
      assertTrue(first.stream().distinct().count() > 6, "keys use many partitions: " + first);
    }
  }

  private static List<Integer> sendKeys(String topic, String mode) throws Exception {
    Map<String, Object> config = producerConfig();
    config.put("linger.ms", "0");
    config.put("partitioner.class", HeadroomPartitioner.class.getName());
    config.put("headroom.partitioner.hash.mode", mode);
    config.put("headroom.partitioner.spread.enabled", "true");
    config.put("headroom.partitioner.key.source", "extractor");
    config.put("headroom.partitioner.key.extractor", MapKeyExtractor.class.getName());
    config.put("headroom.partitioner.key.fields", "member_id,event_type");
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], Map<String, Object>> producer = new KafkaProducer<>(config,
        new ByteArraySerializer(), (t, v) -> v.toString().getBytes(
            java.nio.charset.StandardCharsets.UTF_8))) {
      for (int i = 0; i < 200; i++) {
        Map<String, Object> event = Map.of("member_id", "m-" + i, "event_type",
            i % 2 == 0 ? "ENROLL" : "Zoë ünïcode", "plan_id", "PPO-GOLD");
        sent.add(producer.send(new ProducerRecord<>(topic, null, event)));
      }
      List<Integer> partitions = new ArrayList<>();
      for (Future<RecordMetadata> f : sent) {
        partitions.add(f.get(30, TimeUnit.SECONDS).partition());
      }
      return partitions;
    }
  }

  @Test
  @Timeout(60)
  void compatibleModePicksKafkasOwnPartitionForTheSameKeyBytes() throws Exception {
    createTopic("compat-headroom");
    createTopic("compat-builtin");
    Map<String, Object> headroomConfig = producerConfig();
    headroomConfig.put("linger.ms", "0");
    headroomConfig.put("partitioner.class", HeadroomPartitioner.class.getName());
    List<Future<RecordMetadata>> viaHeadroom = new ArrayList<>();
    List<Future<RecordMetadata>> viaKafka = new ArrayList<>();
    try (KafkaProducer<CompositeKey, String> headroom = new KafkaProducer<>(headroomConfig,
        new CompositeKeySerializer(), new StringSerializer());
        KafkaProducer<byte[], String> builtin = new KafkaProducer<>(producerConfig(),
            new ByteArraySerializer(), new StringSerializer())) {
      for (int i = 0; i < 300; i++) {
        CompositeKey key = CompositeKey.of("member-" + i, i % 5, java.util.UUID.nameUUIDFromBytes(
            new byte[] {(byte) i}));
        viaHeadroom.add(headroom.send(new ProducerRecord<>("compat-headroom", key, "v")));
        viaKafka.add(builtin.send(new ProducerRecord<>("compat-builtin", key.encode(), "v")));
      }
      for (int i = 0; i < 300; i++) {
        assertEquals(viaKafka.get(i).get(30, TimeUnit.SECONDS).partition(),
            viaHeadroom.get(i).get(30, TimeUnit.SECONDS).partition(), "record " + i);
      }
    }
  }

  @Test
  @Timeout(60)
  void aRecordMissingAKeyFieldFailsAtSendAndIsNotWritten() throws Exception {
    createTopic("missing-field");
    Map<String, Object> config = producerConfig();
    config.put("partitioner.class", HeadroomPartitioner.class.getName());
    config.put("headroom.partitioner.key.source", "extractor");
    config.put("headroom.partitioner.key.extractor", MapKeyExtractor.class.getName());
    config.put("headroom.partitioner.key.fields", "member_id,event_type");
    try (KafkaProducer<byte[], Map<String, Object>> producer = new KafkaProducer<>(config,
        new ByteArraySerializer(), (t, v) -> v.toString().getBytes(
            java.nio.charset.StandardCharsets.UTF_8))) {
      MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
          () -> producer.send(new ProducerRecord<>("missing-field", null,
              Map.of("member_id", "m-1", "plan_id", "PPO-GOLD"))));
      assertEquals("headroom partitioner: the record for topic 'missing-field' has no key field "
          + "'event_type' (key fields [member_id, event_type]); it was not sent", e.getMessage());
      producer.send(new ProducerRecord<>("missing-field", null,
          Map.of("member_id", "m-1", "event_type", "ENROLL"))).get(30, TimeUnit.SECONDS);
    }
    assertEquals(1, java.util.Arrays.stream(counts("missing-field")).sum());
  }

  @Test
  void aBadPropertyFailsTheProducerWithTheKeyAndValue() {
    Map<String, Object> config = producerConfig();
    config.put("partitioner.class", HeadroomPartitioner.class.getName());
    config.put("headroom.partitioner.spread.fanout", "one");
    Exception e = assertThrows(org.apache.kafka.common.KafkaException.class,
        () -> new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())
            .close(Duration.ZERO));
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof
        org.apache.kafka.common.config.ConfigException)) {
      cause = cause.getCause();
    }
    assertEquals("Invalid value one for configuration headroom.partitioner.spread.fanout: Not a "
        + "number of type INT", cause.getMessage());
  }
}
