package dev.headroom.samples.drill;

import dev.headroom.kafka.HeadroomPartitioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Hot partition: enrollment events keyed by {@code plan_id} on 12 partitions, three large
 * employers on one plan ({@code EnrollmentWorkload} from lib-core's test-jar, seeded). The same
 * records go to a real Kafka broker started in this process (KRaft, one node, loopback) through
 * Kafka's own partitioner and through {@link HeadroomPartitioner} configured by properties
 * only: the key read from the JSON value as {@code (member_id, event_type)}, HR-sync events
 * declared unordered, hot-key spreading on. Partition sizes are read back from the broker.
 *
 * <p>That every record arrives exactly once and every ordered key stays on one partition in
 * order is asserted by lib-kafka's {@code EnrollmentReplayTest} with a consumer group.
 */
public final class HotPartitionDrill implements DrillScenario {

  static final int PARTITIONS = 12;
  static final int EVENTS = 60_000;

  @Override
  public String name() {
    return "hot-partition";
  }

  @Override
  public DrillResult run(DrillOptions options) throws Exception {
    List<String[]> events = events(EVENTS, options.seed());
    long[] kafka;
    long[] headroom;
    KafkaClusterTestKit cluster = startBroker();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      Map<String, Object> base = producerConfig(cluster.bootstrapServers());
      kafka = replay(admin, "enroll-kafka", base, events);
      Map<String, Object> h = new HashMap<>(base);
      h.put("partitioner.class", HeadroomPartitioner.class.getName());
      h.put("headroom.partitioner.name", "drill-enrollment");
      h.put("headroom.partitioner.key.source", "value.json");
      h.put("headroom.partitioner.key.fields", "member_id,event_type");
      h.put("headroom.partitioner.unordered.field", "event_type");
      h.put("headroom.partitioner.unordered.values", "SYNC");
      h.put("headroom.partitioner.spread.enabled", "true");
      headroom = replay(admin, "enroll-headroom", h, events);
    } finally {
      cluster.close();
    }
    DrillResult out = new DrillResult(name(), String.format(Locale.ROOT,
        "%,d enrollment events keyed by plan_id, %d partitions, three large employers on one"
            + " plan", EVENTS, PARTITIONS),
        "real Kafka broker in this process (KRaft, 1 node, loopback), real producers; sizes read"
            + " back with Admin.listOffsets",
        "Kafka's partitioner, key plan_id", null);
    out.add(new Comparison("busiest partition / mean partition", false, ratio(kafka),
        Double.NaN, ratio(headroom)));
    out.add(new Comparison("busiest partition's share of all events (%)", false,
        share(kafka), Double.NaN, share(headroom)));
    out.add(new Comparison("idle partitions (no event)", false, idle(kafka), Double.NaN,
        idle(headroom)));
    out.note("Headroom by properties only: key (member_id, event_type) read from the JSON value,"
        + " SYNC events unordered, spreading on; per-key order of ordered events and exactly-once"
        + " delivery are asserted by lib-kafka's EnrollmentReplayTest");
    List<String> labels = new ArrayList<>();
    double[] x = new double[PARTITIONS];
    double[] k = new double[PARTITIONS];
    double[] hr = new double[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
      labels.add("p" + p);
      x[p] = p;
      k[p] = 100.0 * kafka[p] / EVENTS;
      hr[p] = 100.0 * headroom[p] / EVENTS;
    }
    out.chart(Chart.bars("Share of the events on each partition (an even spread is "
            + String.format(Locale.ROOT, "%.1f%%)", 100.0 / PARTITIONS),
        "share of events (%)", labels, List.of(
            new Series("without: Kafka's partitioner, key plan_id", "#d62728", false, x,
                round(k)),
            new Series("Headroom: (member_id, event_type), spreading", "#1f77b4", false, x,
                round(hr)))));
    return out;
  }

  static KafkaClusterTestKit startBroker() throws Exception {
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Settings that count exactly on a loaded machine: one request in flight without
   * idempotence retries in order (see lib-kafka's TestTopics).
   */
  static Map<String, Object> producerConfig(String bootstrap) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("enable.idempotence", "false");
    p.put("max.in.flight.requests.per.connection", "1");
    p.put("linger.ms", "20");
    p.put("batch.size", Integer.toString(256 * 1024));
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    return p;
  }

  static long[] replay(Admin admin, String topic, Map<String, Object> config,
      List<String[]> events) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all()
        .get(30, TimeUnit.SECONDS);
    awaitLeaders(admin, topic);
    Exception[] failure = new Exception[1];
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (String[] e : events) {
        producer.send(new ProducerRecord<>(topic, e[0], e[1]), (m, ex) -> {
          if (ex != null) {
            failure[0] = ex;
          }
        });
      }
      producer.flush();
    }
    if (failure[0] != null) {
      throw failure[0];
    }
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

  private static void awaitLeaders(Admin admin, String topic) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get()
            .get(topic);
        boolean led = d.partitions().size() == PARTITIONS;
        for (TopicPartitionInfo p : d.partitions()) {
          led &= p.leader() != null && !p.leader().isEmpty();
        }
        if (led) {
          return;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        // not in the metadata yet
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("no leader for every partition of " + topic);
      }
      Thread.sleep(20); // polling the broker's metadata: there is no event to wait on
    }
  }

  /**
   * The enrollment events of lib-core's {@code EnrollmentWorkload} (its test-jar), as
   * {plan_id, JSON value} pairs.
   */
  static List<String[]> events(int count, long seed) {
    Class<?> workload = Simulators.type("dev.headroom.partition.EnrollmentWorkload");
    List<?> raw = (List<?>) Simulators.call(workload, null, "events",
        new Class<?>[] {int.class, long.class}, count, seed);
    List<String[]> events = new ArrayList<>(raw.size());
    for (Object e : raw) {
      events.add(new String[] {(String) Simulators.get(e, "plan"),
          (String) Simulators.get(e, "json")});
    }
    return events;
  }

  static double ratio(long[] counts) {
    long max = 0;
    long sum = 0;
    for (long c : counts) {
      max = Math.max(max, c);
      sum += c;
    }
    return sum == 0 ? 1.0 : Math.round(100.0 * max / ((double) sum / counts.length)) / 100.0;
  }

  static double share(long[] counts) {
    long max = 0;
    long sum = 0;
    for (long c : counts) {
      max = Math.max(max, c);
      sum += c;
    }
    return Math.round(1000.0 * max / sum) / 10.0;
  }

  static double idle(long[] counts) {
    int n = 0;
    for (long c : counts) {
      n += c == 0 ? 1 : 0;
    }
    return n;
  }

  private static double[] round(double[] v) {
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = Math.round(v[i] * 10) / 10.0;
    }
    return r;
  }
}
