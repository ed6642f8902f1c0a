package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

  static KafkaBroker broker;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start();
  }

  @AfterAll
  static void stop() throws Exception {
    broker.close();
  }

  @Test
  void roundTripsThroughARealBrokerAndAConsumerGroup() throws Exception {
    try (Admin admin = Admin.create(broker.clientConfig())) {
      admin.createTopics(List.of(new NewTopic("probe", 3, (short) 1))).all().get();
      assertEquals(Set.of("probe"), admin.listTopics().names().get());
    }
    Map<String, Object> p = broker.clientConfig();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>("probe", "k" + i, "v" + i)).get();
      }
    }
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", "probe-group");
    c.put("auto.offset.reset", "earliest");
    int seen = 0;
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("probe"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen < 10 && System.nanoTime() - deadline < 0) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        seen += records.count();
      }
    }
    assertEquals(10, seen);
  }
}
