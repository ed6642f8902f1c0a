package dev.headroom.samples;

import dev.headroom.kafka.CompositeKeySerializer;
import dev.headroom.kafka.HeadroomPartitioner;
import dev.headroom.partition.CompositeKey;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import java.util.Properties;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The README's hot-partition example: the producer properties of the {@code enrollment-events}
 * topic, keyed by {@code (member_id, event_type)} instead of {@code plan_id}, with hot-key
 * spreading for the events that need no ordering. Prints the properties and the partitions of a
 * few keys (no broker is contacted).
 */
public final class EnrollmentPartitioningExample {

  private EnrollmentPartitioningExample() {}

  /**
   * The producer properties of the enrollment example.
   *
   * @param bootstrapServers the brokers
   * @return the properties
   */
  public static Properties producerProperties(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, CompositeKeySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, HeadroomPartitioner.class.getName());
    props.put("headroom.partitioner.name", "enrollment");
    props.put("headroom.partitioner.hash.mode", "kafka-compatible");
    props.put("headroom.partitioner.spread.enabled", "true");
    props.put("headroom.partitioner.spread.fanout", "6");
    props.put("headroom.partitioner.spread.choices", "2");
    props.put("headroom.partitioner.hotkey.threshold", "0.005");
    props.put("headroom.partitioner.hotkey.window.ms", "10000");
    return props;
  }

  /**
   * The record keys: enrollment events keep their order per member and event type; HR-system
   * sync events declare that they need none, so they may be spread while hot.
   *
   * @param memberId the member
   * @param eventType the event type
   * @return the key
   */
  public static CompositeKey key(String memberId, String eventType) {
    return eventType.equals("SYNC")
        ? CompositeKey.unordered(memberId, eventType)
        : CompositeKey.of(memberId, eventType);
  }

  /**
   * Sends one enrollment event (ordered per member and type) and one HR-system sync event
   * (unordered), as the README shows.
   *
   * @param producer a producer built from {@link #producerProperties}
   * @param memberId the member
   * @param eventType the enrollment event's type
   * @param hrSyncAccount the HR system's account
   * @param json the event
   */
  public static void send(Producer<CompositeKey, String> producer, String memberId,
      String eventType, String hrSyncAccount, String json) {
    producer.send(new ProducerRecord<>("enrollment-events",
        CompositeKey.of(memberId, eventType), json));                  // ordered: never spread
    producer.send(new ProducerRecord<>("enrollment-events",
        CompositeKey.unordered(hrSyncAccount, "SYNC"), json));         // may be spread while hot
  }

  /**
   * Prints the properties and where a few keys go among 12 partitions.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    producerProperties("127.0.0.1:9092").forEach((k, v) -> System.out.println(k + "=" + v));
    KeyHasher hasher = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    for (String member : new String[] {"m-1001", "m-1002", "t0-hr-sync"}) {
      CompositeKey key = key(member, member.endsWith("sync") ? "SYNC" : "ENROLL");
      int partition = key.writeTo(hasher.reset()).partition(12);
      System.out.println(key + " -> home partition " + partition);
    }
  }
}
