package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * A one-field String or byte[] key lands exactly where Kafka's built-in partitioner puts the
 * record: checked against Kafka's own {@code Utils.murmur2} and
 * {@code BuiltInPartitioner.partitionForKey} of the {@code StringSerializer}'s bytes.
 */
class KafkaCompatibilityTest {

  private static final StringSerializer SERIALIZER = new StringSerializer();

  /** A random string: ASCII, Latin-1, BMP, astral pairs and unpaired surrogates mixed. */
  static String randomKey(SplittableRandom r) {
    int n = r.nextInt(0, 40);
    StringBuilder sb = new StringBuilder(n);
    int flavour = r.nextInt(4); // a quarter of the keys pure ASCII
    for (int i = 0; i < n; i++) {
      int kind = flavour == 0 ? 0 : r.nextInt(6);
      switch (kind) {
        case 0:
        case 1:
          sb.append((char) r.nextInt(0x20, 0x7f));
          break;
        case 2:
          sb.append((char) r.nextInt(0x80, 0x800));
          break;
        case 3:
          sb.append((char) r.nextInt(0x800, 0xd800));
          break;
        case 4:
          sb.appendCodePoint(r.nextInt(0x10000, 0x110000));
          break;
        default:
          sb.append((char) r.nextInt(0xd800, 0xe000)); // an unpaired surrogate (or a lucky pair)
          break;
      }
    }
    return sb.toString();
  }

  @Test
  void oneHundredThousandRandomStringKeysLandOnKafkasPartition() {
    SplittableRandom r = new SplittableRandom(11);
    KeyHasher hasher = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    HeadroomPartitioner partitioner = HeadroomPartitionerTest.configured(Map.of());
    Cluster cluster = HeadroomPartitionerTest.cluster("t", 12);
    int nonAscii = 0;
    int surrogates = 0;
    for (int i = 0; i < 100_000; i++) {
      String key = randomKey(r);
      byte[] bytes = SERIALIZER.serialize("t", key);
      int partitions = 1 + r.nextInt(1000);
      assertEquals(Utils.murmur2(bytes), (int) hasher.reset().putString(key).hash(), key);
      assertEquals(BuiltInPartitioner.partitionForKey(bytes, partitions),
          hasher.partition(partitions), key);
      assertEquals(BuiltInPartitioner.partitionForKey(bytes, 12),
          partitioner.partition("t", key, bytes, new Object(), null, cluster), key);
      nonAscii += key.chars().anyMatch(c -> c >= 0x80) ? 1 : 0;
      surrogates += key.chars().anyMatch(c -> Character.isSurrogate((char) c)) ? 1 : 0;
    }
    assertEquals(true, nonAscii > 50_000 && surrogates > 30_000,
        "coverage: " + nonAscii + " non-ASCII, " + surrogates + " with surrogates");
  }

  @Test
  void oneHundredThousandRandomByteKeysLandOnKafkasPartition() {
    SplittableRandom r = new SplittableRandom(12);
    KeyHasher hasher = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    for (int i = 0; i < 100_000; i++) {
      byte[] key = new byte[r.nextInt(0, 40)];
      for (int j = 0; j < key.length; j++) {
        key[j] = (byte) r.nextInt();
      }
      assertEquals(BuiltInPartitioner.partitionForKey(key, 12),
          hasher.reset().putBytes(key).partition(12));
      assertEquals(BuiltInPartitioner.partitionForKey(key, 12),
          hasher.reset().putUtf8(key).partition(12), "header bytes, text or not");
    }
  }

  @Property(tries = 2000)
  void anyStringKeyLandsOnKafkasPartition(@ForAll String key,
      @ForAll @IntRange(min = 1, max = 10_000) int partitions) {
    byte[] bytes = SERIALIZER.serialize("t", key);
    assertEquals(BuiltInPartitioner.partitionForKey(bytes, partitions),
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString(key).partition(partitions));
  }
}
