package dev.headroom.bench.partition;

import dev.headroom.kafka.HeadroomPartitioner;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import dev.headroom.partition.KeyPartitioner;
import dev.headroom.partition.KeyPartitionerConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The partition of one record, over 1,024 distinct records taken in turn, for a 12-partition
 * topic. Two-field key ({@code member_id}, {@code event_type}):
 *
 * <ul>
 * <li>{@code kafka-path}: what a producer does with Kafka's partitioner: concatenate the fields
 *     into one string key, encode it to UTF-8 (the {@code StringSerializer}), then the built-in
 *     partitioner's {@code toPositive(murmur2(bytes)) % n};
 * <li>{@code murmur2-precomputed-bytes}: the built-in partitioner alone, on key bytes that
 *     already exist (the floor of any murmur2 path);
 * <li>{@code headroom-compatible}: {@link KeyHasher} in {@code KAFKA_COMPATIBLE} mode, hashed
 *     without building the key bytes;
 * <li>{@code headroom-fast}: {@link KeyHasher} in {@code FAST} mode;
 * <li>{@code headroom-compatible-hotkeys}: the whole {@link KeyPartitioner} path in compatible
 *     mode with hot-key tracking and spreading on (defaults): hashing, the hot-set probe, the
 *     per-partition count and the sampled, striped sketch update (no key is hot here).
 * </ul>
 *
 * One-field String key ({@code plan_id}, 40 plans, some non-ASCII):
 *
 * <ul>
 * <li>{@code kafka-string-key}: {@code StringSerializer} then
 *     {@code BuiltInPartitioner.partitionForKey};
 * <li>{@code headroom-compatible-string}: {@link KeyHasher} with the one string field, Kafka's
 *     exact partition, no allocation.
 * </ul>
 *
 * JSON records (String key {@code plan_id}, JSON value with the member and event fields):
 *
 * <ul>
 * <li>{@code kafka-json-records}: Kafka's path for these records: the key serialized and
 *     partitioned by {@code plan_id};
 * <li>{@code headroom-json}: {@link HeadroomPartitioner} configured by properties
 *     ({@code key.source=value.json}, {@code key.fields=member_id,event_type}), reading the two
 *     fields from the serialized value, hashing and counting them.
 * </ul>
 *
 * <p>Run at 1 and 2 threads with allocation:
 * {@code java -jar benchmarks/target/benchmarks.jar PartitionerBenchmark -t 1 -prof gc} (then
 * {@code -t 2}). Read {@code headroom-compatible / kafka-path} and
 * {@code headroom-compatible-string / kafka-string-key} (target at most 1.0, with 0 B/op), and
 * {@code headroom-compatible-hotkeys / headroom-compatible} (target at most 1.5).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PartitionerBenchmark {

  static final int PARTITIONS = 12;
  static final int KEYS = 1024;

  @Param({"headroom-compatible", "headroom-fast", "headroom-compatible-hotkeys", "kafka-path",
      "murmur2-precomputed-bytes", "headroom-compatible-string", "kafka-string-key",
      "headroom-json", "kafka-json-records"})
  public String impl;

  String[] members;
  String[] types;
  String[] plans;
  byte[][] precomputed;
  byte[][] json;
  Object[] values;
  KeyPartitioner partitioner;
  HeadroomPartitioner kafkaPartitioner;
  Cluster cluster;
  StringSerializer serializer;
  int mode;

  /** Builds the records (fixed seed) and the partitioners. */
  @Setup(Level.Trial)
  public void setUp() {
    Random random = new Random(42);
    String[] eventTypes = {"ENROLLMENT_SUBMITTED", "DEPENDENT_ADDED", "PLAN_ELECTED",
        "ENROLLMENT_CONFIRMED"};
    members = new String[KEYS];
    types = new String[KEYS];
    plans = new String[KEYS];
    precomputed = new byte[KEYS][];
    json = new byte[KEYS][];
    values = new Object[KEYS];
    for (int i = 0; i < KEYS; i++) {
      members[i] = "member-" + (100_000 + random.nextInt(900_000));
      types[i] = eventTypes[random.nextInt(eventTypes.length)];
      int plan = random.nextInt(40);
      plans[i] = plan % 10 == 0 ? "Plan-Zoë-" + plan : "PLAN-" + plan;
      precomputed[i] = (members[i] + ":" + types[i]).getBytes(StandardCharsets.UTF_8);
      String value = "{\"event_id\":" + i + ",\"employer\":\"big-" + (i % 3)
          + "\",\"plan_id\":\"" + plans[i] + "\",\"member_id\":\"" + members[i]
          + "\",\"event_type\":\"" + types[i] + "\",\"seq\":" + random.nextInt(10) + "}";
      json[i] = value.getBytes(StandardCharsets.UTF_8);
      values[i] = value;
    }
    partitioner = KeyPartitioner.create(KeyPartitionerConfig.builder().name("bench")
        .partitions(PARTITIONS).hashMode(HashMode.KAFKA_COMPATIBLE).spreading(true).build());
    Map<String, Object> configs = new HashMap<>();
    configs.put("headroom.partitioner.name", "bench-json");
    configs.put("headroom.partitioner.key.source", "value.json");
    configs.put("headroom.partitioner.key.fields", "member_id,event_type");
    kafkaPartitioner = new HeadroomPartitioner();
    kafkaPartitioner.configure(configs);
    Node node = new Node(0, "127.0.0.1", 9092);
    List<PartitionInfo> infos = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      infos.add(new PartitionInfo("enrollment-events", p, node, new Node[] {node},
          new Node[] {node}));
    }
    cluster = new Cluster("bench", List.of(node), infos, java.util.Set.of(), java.util.Set.of());
    serializer = new StringSerializer();
    List<String> impls = List.of("headroom-compatible", "headroom-fast",
        "headroom-compatible-hotkeys", "kafka-path", "murmur2-precomputed-bytes",
        "headroom-compatible-string", "kafka-string-key", "headroom-json", "kafka-json-records");
    mode = impls.indexOf(impl);
    if (mode < 0) {
      throw new IllegalArgumentException("impl: " + impl);
    }
  }

  /** Closes the Kafka partitioner. */
  @TearDown(Level.Trial)
  public void tearDown() {
    kafkaPartitioner.close();
  }

  /** Per thread: its hashers and its position in the key set. */
  @State(Scope.Thread)
  public static class PerThread {
    final KeyHasher compatible = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    final KeyHasher fast = KeyHasher.create(HashMode.FAST);
    int next;
  }

  /** One record's partition. */
  @Benchmark
  public int partition(PerThread t) {
    int i = t.next = (t.next + 1) & (KEYS - 1);
    switch (mode) {
      case 0:
        return t.compatible.reset().putString(members[i]).putString(types[i]).partition(PARTITIONS);
      case 1:
        return t.fast.reset().putString(members[i]).putString(types[i]).partition(PARTITIONS);
      case 2:
        return partitioner.partition(
            t.compatible.reset().putString(members[i]).putString(types[i]), false);
      case 3: {
        byte[] key = (members[i] + ":" + types[i]).getBytes(StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(key)) % PARTITIONS;
      }
      case 4:
        return Utils.toPositive(Utils.murmur2(precomputed[i])) % PARTITIONS;
      case 5:
        return t.compatible.reset().putString(plans[i]).partition(PARTITIONS);
      case 6:
        return BuiltInPartitioner.partitionForKey(serializer.serialize("t", plans[i]),
            PARTITIONS);
      case 7:
        return kafkaPartitioner.partition("enrollment-events", plans[i], null, values[i],
            json[i], cluster);
      default: {
        byte[] key = serializer.serialize("enrollment-events", plans[i]);
        return BuiltInPartitioner.partitionForKey(key, PARTITIONS);
      }
    }
  }
}
