package dev.headroom.partition;

/**
 * Kafka's murmur2 (the 32-bit MurmurHash2 variant of {@code org.apache.kafka.common.utils.Utils},
 * seed {@code 0x9747b28c}) over a whole byte array: the reference the incremental hasher is tested
 * against and the hash of {@link CompositeKey#encode()}d bytes.
 *
 * <p>Thread-safety: stateless.
 */
final class Murmur2 {

  static final int SEED = 0x9747b28c;
  static final int M = 0x5bd1e995;
  static final int R = 24;

  private Murmur2() {}

  /** Kafka's murmur2 of {@code data}. */
  static int hash(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int length4 = length / 4;
    for (int i = 0; i < length4; i++) {
      int i4 = i * 4;
      int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
          + ((data[i4 + 3] & 0xff) << 24);
      h = mixBlock(h, k);
    }
    int tail = length & ~3;
    int rest = length % 4;
    if (rest > 0) {
      if (rest == 3) {
        h ^= (data[tail + 2] & 0xff) << 16;
      }
      if (rest >= 2) {
        h ^= (data[tail + 1] & 0xff) << 8;
      }
      h ^= data[tail] & 0xff;
      h *= M;
    }
    return finish(h);
  }

  /** Mixes one little-endian 4-byte block into the state. */
  static int mixBlock(int h, int k) {
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    return h ^ k;
  }

  /** The final avalanche. */
  static int finish(int h) {
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }

  /** Kafka's {@code Utils.toPositive}: clears the sign bit (not {@code Math.abs}). */
  static int toPositive(int n) {
    return n & 0x7fffffff;
  }
}
