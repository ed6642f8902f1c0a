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
 * The partitioner against a real broker: stable partitions across producer restarts, Kafka's own
 * partition for the same key bytes, failures at send. The enrollment replay is
 * {@link EnrollmentReplayTest}.
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
