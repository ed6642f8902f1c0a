package dev.headroom.bench.partition;

import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import dev.headroom.partition.KeyPartitioner;
import dev.headroom.partition.KeyPartitionerConfig;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The partition of one record keyed by two fields ({@code member_id}, {@code event_type}), over
 * 1,024 distinct keys taken in turn, for a 12-partition topic:
 *
 * <ul>
 * <li>{@code kafka-path}: what a producer does today: concatenate the fields into one string
 *     key, encode it to UTF-8 (the {@code StringSerializer}), then the built-in partitioner's
 *     {@code toPositive(murmur2(bytes)) % n};
 * <li>{@code murmur2-precomputed-bytes}: the built-in partitioner alone, on key bytes that
 *     already exist (the floor of any murmur2 path);
 * <li>{@code headroom-compatible}: {@link KeyHasher} in {@code KAFKA_COMPATIBLE} mode, the same
 *     partition as Kafka's for the key's canonical bytes, hashed without building them;
 * <li>{@code headroom-fast}: {@link KeyHasher} in {@code FAST} mode;
 * <li>{@code headroom-compatible-hotkeys}: the whole {@link KeyPartitioner} path in compatible
 *     mode with hot-key tracking and spreading on: hashing, the hot-set probe, the per-partition
 *     count and the sampled sketch update (no key is hot in this uniform key set).
 * </ul>
 *
 * <p>Run at 1 and 2 threads:
 * {@code java -jar benchmarks/target/benchmarks.jar PartitionerBenchmark -t 1} (then {@code -t 2}).
 * Read the ratios {@code kafka-path / headroom-compatible} (target at least 1.7) and
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
      "murmur2-precomputed-bytes"})
  public String impl;

  String[] members;
  String[] types;
  byte[][] precomputed;
  KeyPartitioner partitioner;
  int mode;

  /** Builds the keys (fixed seed) and the partitioner. */
  @Setup(Level.Trial)
  public void setUp() {
    Random random = new Random(42);
    String[] eventTypes = {"ENROLLMENT_SUBMITTED", "DEPENDENT_ADDED", "PLAN_ELECTED",
        "ENROLLMENT_CONFIRMED"};
    members = new String[KEYS];
    types = new String[KEYS];
    precomputed = new byte[KEYS][];
    for (int i = 0; i < KEYS; i++) {
      members[i] = "member-" + (100_000 + random.nextInt(900_000));
      types[i] = eventTypes[random.nextInt(eventTypes.length)];
      precomputed[i] = (members[i] + ":" + types[i]).getBytes(StandardCharsets.UTF_8);
    }
    partitioner = KeyPartitioner.create(KeyPartitionerConfig.builder().name("bench")
        .partitions(PARTITIONS).hashMode(HashMode.KAFKA_COMPATIBLE).spreading(true).build());
    switch (impl) {
      case "headroom-compatible": mode = 0; break;
      case "headroom-fast": mode = 1; break;
      case "headroom-compatible-hotkeys": mode = 2; break;
      case "kafka-path": mode = 3; break;
      case "murmur2-precomputed-bytes": mode = 4; break;
      default: throw new IllegalArgumentException("impl: " + impl);
    }
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
      default:
        return Utils.toPositive(Utils.murmur2(precomputed[i])) % PARTITIONS;
    }
  }
}
