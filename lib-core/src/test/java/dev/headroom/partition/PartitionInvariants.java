package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Invariants of the partition package, shared by the unit tests, the jqwik properties and the
 * Kafka adapter's tests (through the test-jar), so that the copies cannot drift apart.
 */
public final class PartitionInvariants {

  private PartitionInvariants() {}

  /** One line of the checked-in golden file. */
  public record Golden(byte[] bytes, int murmur2, int partitionOf12, int partitionOf7,
      String fields) {}

  /** Reads {@code kafka-murmur2-golden.txt}. */
  public static List<Golden> golden() {
    List<Golden> out = new ArrayList<>();
    try (InputStream in = PartitionInvariants.class.getResourceAsStream(
        "/dev/headroom/partition/kafka-murmur2-golden.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int comment = line.indexOf('#');
        String[] cols = line.substring(0, comment).trim().split("\\s+");
        out.add(new Golden(HexFormat.of().parseHex(cols[0]), Integer.parseInt(cols[1]),
            Integer.parseInt(cols[2]), Integer.parseInt(cols[3]),
            line.substring(comment + 1).trim()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(out.size() >= 20, "golden vectors missing");
    return out;
  }

  /** Kafka's built-in partition of key bytes, from the reference (whole-array) murmur2. */
  public static int referencePartition(byte[] keyBytes, int numPartitions) {
    return Murmur2.toPositive(Murmur2.hash(keyBytes)) % numPartitions;
  }

  /** The reference murmur2 of key bytes. */
  public static int referenceMurmur2(byte[] keyBytes) {
    return Murmur2.hash(keyBytes);
  }

  /**
   * The compatible-mode hasher agrees with murmur2 of the key's canonical bytes, for the hash
   * and for the partition, and the bytes decode back to the same key.
   */
  public static void assertCompatibleWithEncoding(CompositeKey key, int numPartitions) {
    byte[] bytes = key.encode();
    KeyHasher hasher = key.writeTo(KeyHasher.create(HashMode.KAFKA_COMPATIBLE));
    assertEquals(Murmur2.hash(bytes), (int) hasher.hash(), () -> "hash of " + key);
    assertEquals((long) (int) hasher.hash(), hasher.hash(), "sign-extended 32-bit value");
    assertEquals(referencePartition(bytes, numPartitions), hasher.partition(numPartitions),
        () -> "partition of " + key);
    assertArrayEquals(bytes, CompositeKey.decode(bytes).encode(), () -> "round trip " + key);
  }

  /** A partition is in range, in every mode. */
  public static void assertPartitionInRange(KeyHasher hasher, int numPartitions) {
    int p = hasher.partition(numPartitions);
    assertTrue(p >= 0 && p < numPartitions, () -> p + " not in [0, " + numPartitions + ")");
  }

  /** The sends of a partitioner add up and its skew is max/mean of them. */
  public static void assertCountsConsistent(KeyPartitioner partitioner, long expectedTotal) {
    long[] counts = partitioner.sendCounts();
    long sum = 0;
    long max = 0;
    for (long c : counts) {
      assertTrue(c >= 0);
      sum += c;
      max = Math.max(max, c);
    }
    assertEquals(expectedTotal, sum);
    assertEquals(expectedTotal, partitioner.totalSends());
    double expectedSkew = sum == 0 ? 1.0 : max / ((double) sum / counts.length);
    assertEquals(expectedSkew, partitioner.skew(), 1e-9);
  }

  /**
   * An independent implementation of {@link HashMode#FAST} as its javadoc specifies it: the key
   * as a list of 64-bit words, absorbed one by one, then fmix64.
   */
  public static long fastReference(CompositeKey key) {
    List<Long> words = new ArrayList<>();
    for (Object f : key.fields()) {
      if (f == null) {
        words.add(0L);
      } else if (f instanceof String) {
        String s = (String) f;
        words.add(1L | (long) s.length() << 8);
        for (int i = 0; i < s.length(); i += 4) {
          long w = 0;
          for (int j = 0; j < 4 && i + j < s.length(); j++) {
            w |= (long) s.charAt(i + j) << (16 * j);
          }
          words.add(w);
        }
      } else if (f instanceof byte[]) {
        byte[] b = (byte[]) f;
        words.add(2L | (long) b.length << 8);
        for (int i = 0; i < b.length; i += 8) {
          long w = 0;
          for (int j = 0; j < 8 && i + j < b.length; j++) {
            w |= (long) (b[i + j] & 0xff) << (8 * j);
          }
          words.add(w);
        }
      } else if (f instanceof Long) {
        words.add(3L);
        words.add((Long) f);
      } else if (f instanceof Double) {
        words.add(4L);
        words.add(Double.doubleToLongBits((Double) f));
      } else if (f instanceof java.util.UUID) {
        words.add(5L);
        words.add(((java.util.UUID) f).getMostSignificantBits());
        words.add(((java.util.UUID) f).getLeastSignificantBits());
      } else {
        words.add(6L);
        words.add((Boolean) f ? 1L : 0L);
      }
    }
    long h = 0x48656164726f6f6dL;
    for (long w : words) {
      h = Long.rotateLeft(h ^ (w * 0x9e3779b97f4a7c15L), 31) * 0xc2b2ae3d27d4eb4fL;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** Both modes agree with their references (murmur2 of the bytes; the FAST word spec). */
  public static void assertBothModesMatchTheirSpecification(CompositeKey key, int numPartitions) {
    assertCompatibleWithEncoding(key, numPartitions);
    KeyHasher fast = key.writeTo(KeyHasher.create(HashMode.FAST));
    long expected = fastReference(key);
    assertEquals(expected, fast.hash(), () -> "fast hash of " + key);
    assertEquals((int) (((expected >>> 32) * numPartitions) >>> 32), fast.partition(numPartitions));
  }
}
