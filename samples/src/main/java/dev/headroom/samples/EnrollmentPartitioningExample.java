package dev.headroom.samples;

import dev.headroom.kafka.HeadroomPartitioner;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import java.util.Properties;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The README's hot-partition example: the producer properties of the {@code enrollment-events}
 * topic, which keeps its {@code String} key {@code plan_id} and JSON values. Either the partition
 * key is read from the value ({@code member_id}, {@code event_type}) with the HR-sync events
 * declared unordered, or {@code plan_id} stays the key and the hot plans are spread. No code
 * beyond the properties. Prints them and where a few keys go (no broker is contacted).
 */
public final class EnrollmentPartitioningExample {

  private EnrollmentPartitioningExample() {}

  /**
   * Properties for a key read from the JSON value, the HR-sync events spread while hot.
   *
   * @param bootstrapServers the brokers
   * @return the properties
   */
  public static Properties compositeKeyFromJson(String bootstrapServers) {
    Properties props = base(bootstrapServers);
    props.put("headroom.partitioner.key.source", "value.json");
    props.put("headroom.partitioner.key.fields", "member_id,event_type");
    props.put("headroom.partitioner.unordered.field", "event_type");
    props.put("headroom.partitioner.unordered.values", "SYNC");
    props.put("headroom.partitioner.spread.enabled", "true");
    return props;
  }

  /**
   * Properties that keep {@code plan_id} as the key and spread the plans that are hot (every
   * record declares that it needs no order per plan).
   *
   * @param bootstrapServers the brokers
   * @return the properties
   */
  public static Properties spreadPlanId(String bootstrapServers) {
    Properties props = base(bootstrapServers);
    props.put("headroom.partitioner.key.ordered", "false");
    props.put("headroom.partitioner.spread.enabled", "true");
    return props;
  }

  private static Properties base(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, HeadroomPartitioner.class.getName());
    props.put("headroom.partitioner.name", "enrollment");
    return props;
  }

  /**
   * Sends one enrollment event, as the producer always did: key {@code plan_id}, JSON value.
   *
   * @param producer a producer built from either set of properties
   * @param planId the plan
   * @param json the event
   */
  public static void send(Producer<String, String> producer, String planId, String json) {
    producer.send(new ProducerRecord<>("enrollment-events", planId, json));
  }

  /**
   * Prints both sets of properties and the home partitions of a few keys among 12 partitions.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    compositeKeyFromJson("127.0.0.1:9092").forEach((k, v) -> System.out.println(k + "=" + v));
    System.out.println();
    spreadPlanId("127.0.0.1:9092").forEach((k, v) -> System.out.println(k + "=" + v));
    KeyHasher hasher = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    for (String plan : new String[] {"PPO-GOLD", "PLAN-0", "PLAN-1"}) {
      // One String field: the partition Kafka's default partitioner gives the key.
      System.out.println(plan + " -> home partition " + hasher.reset().putString(plan)
          .partition(12));
    }
    System.out.println("(m-1001, ENROLL) -> home partition "
        + hasher.reset().putString("m-1001").putString("ENROLL").partition(12));
  }
}
