package dev.headroom.partition;

import dev.headroom.core.Checks;
import java.util.Arrays;
import java.util.UUID;

/**
 * Hashes a tuple of key fields to a partition without building the key's bytes: a reusable,
 * allocation-free accumulator. Put the fields in order, then read {@link #hash()} or
 * {@link #partition(int)}; {@link #reset()} starts the next key.
 *
 * <pre>{@code
 * KeyHasher key = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);   // one per thread
 * int p = key.reset().putString(memberId).putString(eventType).partition(12);
 * }</pre>
 *
 * <h2>Field types</h2>
 *
 * Strings (any {@link CharSequence}), byte arrays, integral numbers ({@code byte}, {@code short},
 * {@code int} and {@code long} are all one 64-bit integer type: {@code 5} and {@code 5L} are the
 * same field), floating-point numbers ({@code float} is widened to {@code double}), booleans,
 * {@link UUID}s and null. Null, empty and any Unicode content are valid values; an unpaired
 * surrogate is encoded as {@code '?'}, exactly as {@code String.getBytes(UTF_8)} does. Putting a
 * field stores a reference to it (no copy): do not mutate a byte array before the hash is read.
 *
 * <h2>{@link HashMode#KAFKA_COMPATIBLE}</h2>
 *
 * The hash is Kafka's {@code murmur2} of the key's canonical bytes, the bytes
 * {@link CompositeKey#encode()} returns (specified there), so {@link #partition(int)} is the
 * partition Kafka's built-in partitioner gives a record whose serialized key is those bytes:
 *
 * <ul>
 * <li><b>a key of exactly one string or byte-array field</b> is that field's bytes alone: for a
 *     string, the UTF-8 bytes Kafka's {@code StringSerializer} writes ({@code
 *     String.getBytes(UTF_8)}: each unpaired surrogate becomes {@code '?'}); for a byte array,
 *     the array. So {@code putString(planId)} alone lands exactly where Kafka's default
 *     partitioner puts a record keyed by the {@code String planId}, and {@code putBytes(b)} where
 *     it puts a record keyed by {@code b};
 * <li><b>every other key</b> (two or more fields, or one field of another type) is the tagged
 *     encoding: per field a type tag, a length prefix where the size varies, then the payload.
 * </ul>
 *
 * It is computed from the fields in one pass for ASCII strings, and in two passes (UTF-8 length,
 * then hash) when a string has other characters, without building the bytes.
 * {@link #partition(int)} is {@code toPositive(hash) % n}, Kafka's own formula, and
 * {@link #hash()} returns the 32-bit murmur2 value sign-extended to a {@code long}.
 *
 * <h2>{@link HashMode#FAST}</h2>
 *
 * The fields become a sequence of 64-bit words: per field a header word
 * {@code tag | (length << 8)} (length in UTF-16 code units for strings, in bytes for byte
 * arrays, 0 otherwise), then the payload: strings four code units per word (first unit in the
 * low 16 bits, the last word zero-padded), byte arrays eight bytes per word little-endian
 * (zero-padded), numbers as one word ({@code long} value or {@code Double.doubleToLongBits}),
 * booleans as 0 or 1, UUIDs as the most then least significant half. Starting from
 * {@code h = 0x48656164726f6f6dL} each word {@code w} is absorbed as
 * {@code h = rotateLeft(h ^ (w * 0x9e3779b97f4a7c15L), 31) * 0xc2b2ae3d27d4eb4fL}, and the hash is
 * murmur3's {@code fmix64(h)}. {@link #partition(int)} is {@code ((hash >>> 32) * n) >>> 32}.
 *
 * <p>The tags and length prefixes make the tagged encoding prefix-free, so different tuples of
 * it never have the same encoding: {@code ("ab", "c")} and {@code ("a", "bc")} differ, as do
 * {@code ("a", null)} and {@code ("a", "")}. A one-field text or byte key is its bytes, exactly
 * as in Kafka: {@code ("a")} and {@code (0x61)} are the same key bytes. FAST mode tags every
 * field, one-field keys included. (Hashes may of course collide, as any hash's do.)
 *
 * <p>Text can be put as a {@code CharSequence}, a range of one ({@link #putString(CharSequence,
 * int, int)}, not copied), a range of a {@code char[]} ({@link #putChars}, copied into the
 * hasher) or UTF-8 bytes ({@link #putUtf8}, decoded into the hasher): the same text is the same
 * field whichever way it came.
 *
 * <p>Thread-safety: not thread-safe; use one instance per thread (or per call site).
 */
public final class KeyHasher {

  static final byte TAG_NULL = 0;
  static final byte TAG_STRING = 1;
  static final byte TAG_BYTES = 2;
  static final byte TAG_LONG = 3;
  static final byte TAG_DOUBLE = 4;
  static final byte TAG_UUID = 5;
  static final byte TAG_BOOLEAN = 6;

  static final long FAST_SEED = 0x48656164726f6f6dL; // "Headroom"
  static final long K1 = 0x9e3779b97f4a7c15L;
  static final long K2 = 0xc2b2ae3d27d4eb4fL;

  private final HashMode mode;

  // The tuple: a tag per field, the numeric payload in nums, the reference payload in refs.
  private byte[] tags = new byte[8];
  private long[] nums = new long[8];
  private Object[] refs = new Object[8];
  private int size;

  private boolean hashed;
  private long hash;
  // The encoded length if every string is ASCII (UTF-8 length = char count), kept as fields are put.
  private int asciiTotal;

  // Chars of fields copied or decoded into the hasher (putChars, putUtf8), and the reusable
  // views that present them, or ranges of other texts, as string fields.
  private char[] arena = new char[64];
  private int arenaUsed;
  private Slice[] slices = new Slice[4];
  private int slicesUsed;

  // Scratch copy of one string's chars: String.getChars is an intrinsic bulk copy, after which the
  // loops read a plain array (no per-char interface call, coder test or bounds check).
  private char[] chars = new char[64];

  // Incremental murmur2 state: h, and up to 3 pending bytes in acc (little-endian, nbits of them).
  private int mh;
  private long acc;
  private int nbits;

  private KeyHasher(HashMode mode) {
    this.mode = mode;
  }

  /**
   * Creates a hasher for one mode.
   *
   * @param mode the hash mode
   * @return an empty hasher
   * @throws IllegalArgumentException if {@code mode} is null
   */
  public static KeyHasher create(HashMode mode) {
    return new KeyHasher(Checks.requireNonNull("mode", mode));
  }

  /**
   * Returns this hasher's mode.
   *
   * @return the mode
   */
  public HashMode mode() {
    return mode;
  }

  /**
   * Forgets the fields put so far (and drops the references to them).
   *
   * @return this hasher
   */
  public KeyHasher reset() {
    for (int i = 0; i < size; i++) {
      refs[i] = null;
    }
    for (int i = 0; i < slicesUsed; i++) {
      slices[i].source = null;
    }
    slicesUsed = 0;
    arenaUsed = 0;
    size = 0;
    asciiTotal = 0;
    hashed = false;
    return this;
  }

  /**
   * Returns the number of fields put since the last {@link #reset()}.
   *
   * @return the field count
   */
  public int fieldCount() {
    return size;
  }

  /**
   * Appends a string field; null is a null field.
   *
   * @param value the string
   * @return this hasher
   */
  public KeyHasher putString(CharSequence value) {
    if (value == null) {
      return putNull();
    }
    int n = value.length();
    asciiTotal += (n < 0x80 ? 2 : 1 + varintSize(n)) + n;
    return add(TAG_STRING, 0, value);
  }

  /**
   * Appends the characters {@code [start, end)} of {@code value} as a string field, without
   * copying them: the same field as {@code putString(value.subSequence(start, end))}. Do not
   * change {@code value} before the hash is read. Null is a null field.
   *
   * @param value the text
   * @param start the first character
   * @param end one past the last character
   * @return this hasher
   * @throws IndexOutOfBoundsException if the range is not within {@code value}
   */
  public KeyHasher putString(CharSequence value, int start, int end) {
    if (value == null) {
      return putNull();
    }
    java.util.Objects.checkFromToIndex(start, end, value.length());
    return putString(slice().view(value, start, end - start));
  }

  /**
   * Appends {@code length} characters of {@code chars} from {@code offset} as a string field,
   * copied into this hasher's own buffer (so {@code chars} may be reused at once): the same field
   * as {@code putString(new String(chars, offset, length))}. Allocates nothing once the buffer
   * has grown to the longest key.
   *
   * @param chars the characters
   * @param offset the first
   * @param length how many
   * @return this hasher
   * @throws IllegalArgumentException if {@code chars} is null
   * @throws IndexOutOfBoundsException if the range is not within {@code chars}
   */
  public KeyHasher putChars(char[] chars, int offset, int length) {
    Checks.requireNonNull("chars", chars);
    java.util.Objects.checkFromIndexSize(offset, length, chars.length);
    int at = reserve(length);
    System.arraycopy(chars, offset, arena, at, length);
    return putString(slice().own(at, length));
  }

  /**
   * Appends text given as its UTF-8 bytes (for example a Kafka header value). Well-formed UTF-8
   * is a string field, the same field as {@code putString(new String(bytes, UTF_8))}, decoded
   * into this hasher's own buffer; bytes that are not well-formed UTF-8 (a stray continuation
   * byte, a truncated or overlong sequence, an encoded surrogate, a value above U+10FFFF) are a
   * byte-array field, {@code putBytes(bytes)}, never a text with replacement characters. Either
   * way a one-field key hashes exactly as Kafka hashes these bytes in
   * {@link HashMode#KAFKA_COMPATIBLE}. Null is a null field.
   *
   * @param bytes the UTF-8 bytes (by reference when they are not text)
   * @return this hasher
   */
  public KeyHasher putUtf8(byte[] bytes) {
    if (bytes == null) {
      return putNull();
    }
    int n = bytes.length;
    int at = reserve(n); // UTF-16 never needs more units than UTF-8 has bytes
    char[] out = arena;
    int o = at;
    for (int i = 0; i < n; ) {
      int b = bytes[i];
      if (b >= 0) {
        out[o++] = (char) b;
        i++;
        continue;
      }
      int cp;
      int need;
      int min;
      if ((b & 0xe0) == 0xc0) {
        cp = b & 0x1f;
        need = 1;
        min = 0x80;
      } else if ((b & 0xf0) == 0xe0) {
        cp = b & 0x0f;
        need = 2;
        min = 0x800;
      } else if ((b & 0xf8) == 0xf0) {
        cp = b & 0x07;
        need = 3;
        min = 0x10000;
      } else {
        arenaUsed = at;
        return putBytes(bytes);
      }
      if (i + need >= n) { // truncated sequence
        arenaUsed = at;
        return putBytes(bytes);
      }
      for (int k = 1; k <= need; k++) {
        int c = bytes[i + k];
        if ((c & 0xc0) != 0x80) {
          arenaUsed = at;
          return putBytes(bytes);
        }
        cp = cp << 6 | (c & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        arenaUsed = at;
        return putBytes(bytes);
      }
      if (cp >= 0x10000) {
        out[o++] = Character.highSurrogate(cp);
        out[o++] = Character.lowSurrogate(cp);
      } else {
        out[o++] = (char) cp;
      }
      i += need + 1;
    }
    arenaUsed = o;
    return putString(slice().own(at, o - at));
  }

  /**
   * Appends a byte-array field (by reference, not copied); null is a null field.
   *
   * @param value the bytes
   * @return this hasher
   */
  public KeyHasher putBytes(byte[] value) {
    if (value == null) {
      return putNull();
    }
    asciiTotal += 1 + varintSize(value.length) + value.length;
    return add(TAG_BYTES, 0, value);
  }

  /**
   * Appends an integral field.
   *
   * @param value the number
   * @return this hasher
   */
  public KeyHasher putLong(long value) {
    return add(TAG_LONG, value, null);
  }

  /**
   * Appends an integral field: the same field as {@code putLong(value)}.
   *
   * @param value the number
   * @return this hasher
   */
  public KeyHasher putInt(int value) {
    return add(TAG_LONG, value, null);
  }

  /**
   * Appends a floating-point field, hashed by {@link Double#doubleToLongBits} (so every NaN is
   * one value, and {@code 0.0} and {@code -0.0} differ).
   *
   * @param value the number
   * @return this hasher
   */
  public KeyHasher putDouble(double value) {
    return add(TAG_DOUBLE, Double.doubleToLongBits(value), null);
  }

  /**
   * Appends a boolean field.
   *
   * @param value the boolean
   * @return this hasher
   */
  public KeyHasher putBoolean(boolean value) {
    return add(TAG_BOOLEAN, value ? 1 : 0, null);
  }

  /**
   * Appends a UUID field; null is a null field.
   *
   * @param value the UUID
   * @return this hasher
   */
  public KeyHasher putUuid(UUID value) {
    return value == null ? putNull() : add(TAG_UUID, 0, value);
  }

  /**
   * Appends a null field.
   *
   * @return this hasher
   */
  public KeyHasher putNull() {
    return add(TAG_NULL, 0, null);
  }

  /**
   * Appends a field of any supported type, dispatching on its class (boxes numbers: prefer the
   * typed methods on a hot path).
   *
   * @param value a {@link CharSequence}, {@code byte[]}, {@link Long}, {@link Integer},
   *     {@link Short}, {@link Byte}, {@link Double}, {@link Float}, {@link Boolean}, {@link UUID}
   *     or null
   * @return this hasher
   * @throws IllegalArgumentException if the value has another type
   */
  public KeyHasher put(Object value) {
    if (value == null) {
      return putNull();
    } else if (value instanceof CharSequence) {
      return putString((CharSequence) value);
    } else if (value instanceof byte[]) {
      return putBytes((byte[]) value);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short
        || value instanceof Byte) {
      return putLong(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      return putDouble(((Number) value).doubleValue());
    } else if (value instanceof Boolean) {
      return putBoolean((Boolean) value);
    } else if (value instanceof UUID) {
      return putUuid((UUID) value);
    }
    throw new IllegalArgumentException(Checks.message("key field", SUPPORTED,
        value.getClass().getName()));
  }

  static final String SUPPORTED =
      "a CharSequence, byte[], Long, Integer, Short, Byte, Double, Float, Boolean, UUID or null";

  /** Reserves {@code length} chars of the arena; returns where they start. */
  private int reserve(int length) {
    int at = arenaUsed;
    if (arena.length - at < length) {
      arena = Arrays.copyOf(arena, Math.max(at + length, arena.length * 2));
    }
    arenaUsed = at + length;
    return at;
  }

  /** The next free reusable slice. */
  private Slice slice() {
    if (slicesUsed == slices.length) {
      slices = Arrays.copyOf(slices, slicesUsed * 2);
    }
    Slice s = slices[slicesUsed];
    if (s == null) {
      s = slices[slicesUsed] = new Slice();
    }
    slicesUsed++;
    return s;
  }

  /**
   * A string field that is a range of another text or of the arena: reused from key to key, so
   * that fields read from a record (JSON, headers, a delimited key) cost no allocation.
   */
  private final class Slice implements CharSequence {
    CharSequence source; // null: the arena
    int start;
    int length;

    Slice view(CharSequence s, int from, int n) {
      source = s;
      start = from;
      length = n;
      return this;
    }

    Slice own(int from, int n) {
      source = null;
      start = from;
      length = n;
      return this;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      return source != null ? source.charAt(start + index) : arena[start + index];
    }

    @Override
    public CharSequence subSequence(int from, int to) {
      return toString().substring(from, to);
    }

    @Override
    public String toString() {
      return source != null ? source.subSequence(start, start + length).toString()
          : new String(arena, start, length);
    }
  }

  private KeyHasher add(byte tag, long num, Object ref) {
    if (size == tags.length) {
      int capacity = size * 2;
      tags = Arrays.copyOf(tags, capacity);
      nums = Arrays.copyOf(nums, capacity);
      refs = Arrays.copyOf(refs, capacity);
    }
    tags[size] = tag;
    nums[size] = num;
    refs[size] = ref;
    size++;
    if (tag != TAG_STRING && tag != TAG_BYTES) {
      asciiTotal += fixedSize(tag);
    }
    hashed = false;
    return this;
  }

  /**
   * Returns the hash of the fields put so far (computed once, then cached until the next put).
   *
   * @return the murmur2 value sign-extended ({@link HashMode#KAFKA_COMPATIBLE}) or the 64-bit
   *     hash ({@link HashMode#FAST})
   * @throws IllegalStateException if no field was put
   */
  public long hash() {
    if (!hashed) {
      Checks.requireState(size > 0, "a key needs at least one field (none was put)");
      hash = mode == HashMode.KAFKA_COMPATIBLE ? compatibleHash() : fastHash();
      hashed = true;
    }
    return hash;
  }

  /**
   * Returns the partition of the fields put so far among {@code numPartitions}.
   *
   * @param numPartitions the topic's partition count
   * @return a partition in {@code [0, numPartitions)}
   * @throws IllegalArgumentException if {@code numPartitions <= 0}
   * @throws IllegalStateException if no field was put
   */
  public int partition(int numPartitions) {
    if (numPartitions <= 0) {
      Checks.requirePositive("numPartitions", numPartitions);
    }
    return partitionOf(mode, hash(), numPartitions);
  }

  /** The partition of {@code hash} in {@code mode}. */
  static int partitionOf(HashMode mode, long hash, int numPartitions) {
    return mode == HashMode.KAFKA_COMPATIBLE
        ? Murmur2.toPositive((int) hash) % numPartitions
        : (int) (((hash >>> 32) * numPartitions) >>> 32);
  }

  /**
   * Returns the fields put so far as an immutable key (allocates; for reporting, not for the
   * hot path).
   *
   * @param orderingRequired whether the key declares that its records must stay in order
   * @return the key
   * @throws IllegalStateException if no field was put
   */
  CompositeKey toKey(boolean orderingRequired) {
    Checks.requireState(size > 0, "a key needs at least one field (none was put)");
    Object[] fields = new Object[size];
    for (int i = 0; i < size; i++) {
      fields[i] = field(i);
    }
    return new CompositeKey(fields, orderingRequired);
  }

  private Object field(int i) {
    switch (tags[i]) {
      case TAG_STRING: return refs[i].toString();
      case TAG_BYTES: return ((byte[]) refs[i]).clone();
      case TAG_LONG: return nums[i];
      case TAG_DOUBLE: return Double.longBitsToDouble(nums[i]);
      case TAG_BOOLEAN: return nums[i] != 0;
      case TAG_UUID: return refs[i];
      default: return null;
    }
  }

  // ---------------------------------------------------------------- KAFKA_COMPATIBLE

  private long compatibleHash() {
    if (size == 1 && (tags[0] == TAG_STRING || tags[0] == TAG_BYTES)) {
      return plainHash(refs[0]);
    }
    // Optimistic single pass: assume every string is ASCII (UTF-8 length = char count, known as
    // the fields were put). The first non-ASCII character aborts it; the exact pass then
    // measures the UTF-8 length and hashes again.
    int h = asciiPass();
    if (aborted) {
      h = murmurPass(exactLength());
    }
    return h;
  }

  private boolean aborted;

  /**
   * A key of one string or byte-array field: Kafka's murmur2 of the field's bytes alone, the
   * UTF-8 bytes {@code StringSerializer} writes for a string (an unpaired surrogate as
   * {@code '?'}) or the array itself. ASCII strings are hashed in one pass straight from their
   * chars; any other character switches to the exact UTF-8 pass.
   */
  private int plainHash(Object ref) {
    if (ref instanceof byte[]) {
      return Murmur2.hash((byte[]) ref);
    }
    if (!(ref instanceof String)) {
      return plainUtf8((CharSequence) ref);
    }
    String str = (String) ref;
    int n = str.length();
    int h = Murmur2.SEED ^ n;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      int c0 = str.charAt(i);
      int c1 = str.charAt(i + 1);
      int c2 = str.charAt(i + 2);
      int c3 = str.charAt(i + 3);
      if ((c0 | c1 | c2 | c3) >= 0x80) {
        return plainUtf8(str);
      }
      h = Murmur2.mixBlock(h, c0 | c1 << 8 | c2 << 16 | c3 << 24);
    }
    if (i < n) {
      int k = 0;
      for (int shift = 0; i < n; i++, shift += 8) {
        int c = str.charAt(i);
        if (c >= 0x80) {
          return plainUtf8(str);
        }
        k |= c << shift;
      }
      h ^= k;
      h *= Murmur2.M;
    }
    return Murmur2.finish(h);
  }

  /** {@link #plainHash} of any text: the UTF-8 length first, then the bytes. */
  private int plainUtf8(CharSequence text) {
    mh = Murmur2.SEED ^ utf8Length(text);
    acc = 0;
    nbits = 0;
    m1Utf8(text);
    int h = mh;
    if (nbits != 0) {
      h ^= (int) acc;
      h *= Murmur2.M;
    }
    return Murmur2.finish(h);
  }

  /**
   * The murmur2 of the canonical bytes, appended up to 32 bits at a time into {@code a} (the
   * pending bytes, little-endian, {@code bits} of them, always fewer than 32 between appends);
   * every full 32 bits are mixed as one block. State stays in locals: one tight loop per string.
   */
  private int asciiPass() {
    aborted = false;
    int h = Murmur2.SEED ^ asciiTotal;
    long a = 0;
    int bits = 0;
    for (int f = 0; f < size; f++) {
      Object ref = refs[f];
      if (ref instanceof String && tags[f] == TAG_STRING) {
        String str = (String) ref;
        int n = str.length();
        if (n < 0x80) {
          // The common field, inline with its state in locals: header, then four chars a block.
          // The loop repeats asciiString's on purpose: calling it, which hands the pending
          // bytes back through fields, measured about 13% slower for a two-string key.
          a |= (long) (TAG_STRING | n << 8) << bits;
          bits += 16;
          if (bits >= 32) {
            h = Murmur2.mixBlock(h, (int) a);
            a >>>= 32;
            bits -= 32;
          }
          int i = 0;
          for (; i + 4 <= n; i += 4) {
            int c0 = str.charAt(i);
            int c1 = str.charAt(i + 1);
            int c2 = str.charAt(i + 2);
            int c3 = str.charAt(i + 3);
            if ((c0 | c1 | c2 | c3) >= 0x80) {
              aborted = true;
              return 0;
            }
            a |= (long) (c0 | c1 << 8 | c2 << 16 | c3 << 24) << bits;
            h = Murmur2.mixBlock(h, (int) a);
            a >>>= 32;
          }
          for (; i < n; i++) {
            int c = str.charAt(i);
            if (c >= 0x80) {
              aborted = true;
              return 0;
            }
            a |= (long) c << bits;
            bits += 8;
            if (bits == 32) {
              h = Murmur2.mixBlock(h, (int) a);
              a = 0;
              bits = 0;
            }
          }
          continue;
        }
      }
      h = appendField(f, h, a, bits);
      if (aborted) {
        return 0;
      }
      a = pendingBytes;
      bits = pendingBits;
    }
    if (bits != 0) {
      h ^= (int) a;
      h *= Murmur2.M;
    }
    return Murmur2.finish(h);
  }

  /** {@link #asciiPass} for every field but a short {@code String}: same contract as {@link #asciiString}. */
  private int appendField(int f, int h, long a, int bits) {
    {
      byte tag = tags[f];
      if (tag == TAG_STRING || tag == TAG_BYTES) {
        Object ref = refs[f];
        int n = tag == TAG_STRING ? ((CharSequence) ref).length() : ((byte[]) ref).length;
        if (n < 0x80) {
          a |= (long) (tag | n << 8) << bits;
          bits += 16;
          if (bits >= 32) {
            h = Murmur2.mixBlock(h, (int) a);
            a >>>= 32;
            bits -= 32;
          }
        } else {
          int header = tag;
          int headerBits = 8;
          for (int v = n; ; headerBits += 8) {
            int b = v & 0x7f;
            v >>>= 7;
            if (v == 0) {
              header |= b << headerBits;
              headerBits += 8;
              break;
            }
            header |= (b | 0x80) << headerBits;
            if (headerBits == 24) { // a 5-byte header: flush the first four
              a |= (header & 0xffffffffL) << bits;
              h = Murmur2.mixBlock(h, (int) a);
              a >>>= 32;
              header = 0;
              headerBits = -8;
            }
          }
          a |= (header & 0xffffffffL) << bits;
          bits += headerBits;
          if (bits >= 32) {
            h = Murmur2.mixBlock(h, (int) a);
            a >>>= 32;
            bits -= 32;
          }
        }
        int i = 0;
        if (tag == TAG_BYTES) {
          byte[] b = (byte[]) ref;
          for (; i + 4 <= n; i += 4) {
            a |= ((b[i] & 0xff | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16
                | b[i + 3] << 24) & 0xffffffffL) << bits;
            h = Murmur2.mixBlock(h, (int) a);
            a >>>= 32;
          }
          for (; i < n; i++) {
            a |= (long) (b[i] & 0xff) << bits;
            bits += 8;
            if (bits == 32) {
              h = Murmur2.mixBlock(h, (int) a);
              a = 0;
              bits = 0;
            }
          }
        } else if (ref instanceof String) {
          h = asciiString((String) ref, n, h, a, bits);
          if (aborted) {
            return 0;
          }
          a = pendingBytes;
          bits = pendingBits;
        } else {
          CharSequence cs = (CharSequence) ref;
          for (; i < n; i++) {
            int c = cs.charAt(i);
            if (c >= 0x80) {
              aborted = true;
              return 0;
            }
            a |= (long) c << bits;
            bits += 8;
            if (bits == 32) {
              h = Murmur2.mixBlock(h, (int) a);
              a = 0;
              bits = 0;
            }
          }
        }
        pendingBytes = a;
        pendingBits = bits;
        return h;
      }
      // Fixed-size fields: the tag, then the payload in at most 32-bit appends.
      long v = tag == TAG_UUID ? ((UUID) refs[f]).getMostSignificantBits() : nums[f];
      if (tag == TAG_NULL || tag == TAG_BOOLEAN) {
        a |= (long) (tag == TAG_NULL ? tag : tag | (int) v << 8) << bits;
        bits += tag == TAG_NULL ? 8 : 16;
        if (bits >= 32) {
          h = Murmur2.mixBlock(h, (int) a);
          a >>>= 32;
          bits -= 32;
        }
        pendingBytes = a;
        pendingBits = bits;
        return h;
      }
      a |= (long) tag << bits;
      bits += 8;
      if (bits >= 32) {
        h = Murmur2.mixBlock(h, (int) a);
        a >>>= 32;
        bits -= 32;
      }
      for (int half = tag == TAG_UUID ? 0 : 1; half < 2; half++) {
        if (half == 1 && tag == TAG_UUID) {
          v = ((UUID) refs[f]).getLeastSignificantBits();
        }
        a |= (Integer.reverseBytes((int) (v >>> 32)) & 0xffffffffL) << bits;
        h = Murmur2.mixBlock(h, (int) a);
        a >>>= 32;
        a |= (Integer.reverseBytes((int) v) & 0xffffffffL) << bits;
        h = Murmur2.mixBlock(h, (int) a);
        a >>>= 32;
      }
    }
    pendingBytes = a;
    pendingBits = bits;
    return h;
  }

  private int exactLength() {
    int total = 0;
    for (int i = 0; i < size; i++) {
      if (tags[i] == TAG_STRING) {
        int n = utf8Length((CharSequence) refs[i]);
        total += 1 + varintSize(n) + n;
      } else if (tags[i] == TAG_BYTES) {
        int n = ((byte[]) refs[i]).length;
        total += 1 + varintSize(n) + n;
      } else {
        total += fixedSize(tags[i]);
      }
    }
    return total;
  }

  static int fixedSize(byte tag) {
    switch (tag) {
      case TAG_LONG:
      case TAG_DOUBLE:
        return 9;
      case TAG_UUID:
        return 17;
      case TAG_BOOLEAN:
        return 2;
      default:
        return 1;
    }
  }

  // Out-values of asciiString: the pending bytes and their bit count.
  private long pendingBytes;
  private int pendingBits;

  /**
   * Appends an ASCII string's bytes to the murmur2 state {@code (h, a, bits)}: a small method of
   * its own so that the JIT compiles its loop tightly. Returns {@code h} and leaves {@code a} and
   * {@code bits} in {@link #pendingBytes} and {@link #pendingBits}; sets {@link #aborted} at the
   * first non-ASCII character.
   */
  private int asciiString(String str, int n, int h, long a, int bits) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      int c0 = str.charAt(i);
      int c1 = str.charAt(i + 1);
      int c2 = str.charAt(i + 2);
      int c3 = str.charAt(i + 3);
      if ((c0 | c1 | c2 | c3) >= 0x80) {
        aborted = true;
        return 0;
      }
      a |= (long) (c0 | c1 << 8 | c2 << 16 | c3 << 24) << bits;
      h = Murmur2.mixBlock(h, (int) a);
      a >>>= 32;
    }
    for (; i < n; i++) {
      int c = str.charAt(i);
      if (c >= 0x80) {
        aborted = true;
        return 0;
      }
      a |= (long) c << bits;
      bits += 8;
      if (bits == 32) {
        h = Murmur2.mixBlock(h, (int) a);
        a = 0;
        bits = 0;
      }
    }
    pendingBytes = a;
    pendingBits = bits;
    return h;
  }

  /** The exact pass: murmur2 of the canonical bytes, strings UTF-8 encoded, byte by byte. */
  private int murmurPass(int length) {
    mh = Murmur2.SEED ^ length;
    acc = 0;
    nbits = 0;
    for (int i = 0; i < size; i++) {
      byte tag = tags[i];
      m1(tag);
      switch (tag) {
        case TAG_STRING: {
          CharSequence s = (CharSequence) refs[i];
          m1Varint(utf8Length(s));
          m1Utf8(s);
          break;
        }
        case TAG_BYTES: {
          byte[] b = (byte[]) refs[i];
          m1Varint(b.length);
          mBytes(b);
          break;
        }
        case TAG_LONG:
        case TAG_DOUBLE:
          mLong(nums[i]);
          break;
        case TAG_UUID: {
          UUID u = (UUID) refs[i];
          mLong(u.getMostSignificantBits());
          mLong(u.getLeastSignificantBits());
          break;
        }
        case TAG_BOOLEAN:
          m1((int) nums[i]);
          break;
        default:
          break;
      }
    }
    int h = mh;
    if (nbits != 0) {
      h ^= (int) acc;
      h *= Murmur2.M;
    }
    return Murmur2.finish(h);
  }

  /** Appends one byte. */
  private void m1(int b) {
    long a = acc | ((long) (b & 0xff) << nbits);
    int n = nbits + 8;
    if (n == 32) {
      mh = Murmur2.mixBlock(mh, (int) a);
      a = 0;
      n = 0;
    }
    acc = a;
    nbits = n;
  }

  /** Appends four bytes, {@code word}'s low byte first. */
  private void m4(int word) {
    long a = acc | ((word & 0xffffffffL) << nbits);
    mh = Murmur2.mixBlock(mh, (int) a);
    acc = a >>> 32;
  }

  private void m1Varint(int v) {
    while ((v & ~0x7f) != 0) {
      m1((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    m1(v);
  }

  /** Appends a big-endian long. */
  private void mLong(long v) {
    m4(Integer.reverseBytes((int) (v >>> 32)));
    m4(Integer.reverseBytes((int) v));
  }

  private void mBytes(byte[] b) {
    int i = 0;
    int n = b.length;
    for (; i + 4 <= n; i += 4) {
      m4((b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | b[i + 3] << 24);
    }
    for (; i < n; i++) {
      m1(b[i]);
    }
  }

  /** Copies the chars of {@code s} into the scratch array (grown when too small). */
  private char[] charsOf(CharSequence s, int n) {
    char[] buf = chars;
    if (buf.length < n) {
      buf = chars = new char[Math.max(n, buf.length * 2)];
    }
    if (s instanceof String) {
      ((String) s).getChars(0, n, buf, 0);
    } else if (s instanceof StringBuilder) {
      ((StringBuilder) s).getChars(0, n, buf, 0);
    } else {
      for (int i = 0; i < n; i++) {
        buf[i] = s.charAt(i);
      }
    }
    return buf;
  }

  /** Appends the UTF-8 bytes of {@code s}, as {@code String.getBytes(UTF_8)} encodes them. */
  private void m1Utf8(CharSequence cs) {
    int n = cs.length();
    char[] s = charsOf(cs, n);
    for (int i = 0; i < n; i++) {
      char c = s[i];
      if (c < 0x80) {
        m1(c);
      } else if (c < 0x800) {
        m1(0xc0 | c >> 6);
        m1(0x80 | (c & 0x3f));
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s[i + 1])) {
          int cp = Character.toCodePoint(c, s[++i]);
          m1(0xf0 | cp >> 18);
          m1(0x80 | (cp >> 12 & 0x3f));
          m1(0x80 | (cp >> 6 & 0x3f));
          m1(0x80 | (cp & 0x3f));
        } else {
          m1('?');
        }
      } else {
        m1(0xe0 | c >> 12);
        m1(0x80 | (c >> 6 & 0x3f));
        m1(0x80 | (c & 0x3f));
      }
    }
  }

  /** The length of {@code s} in UTF-8 as {@code String.getBytes(UTF_8)} encodes it. */
  static int utf8Length(CharSequence s) {
    int n = s.length();
    int bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          bytes += 4;
        } else {
          bytes += 1;
        }
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  static int varintSize(int v) {
    int bytes = 1;
    while ((v & ~0x7f) != 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  // ---------------------------------------------------------------- FAST

  private long fastHash() {
    long h = FAST_SEED;
    for (int i = 0; i < size; i++) {
      byte tag = tags[i];
      switch (tag) {
        case TAG_STRING: {
          CharSequence cs = (CharSequence) refs[i];
          int n = cs.length();
          h = absorb(h, TAG_STRING | (long) n << 8);
          h = cs instanceof String ? fastString((String) cs, n, h) : fastChars(cs, n, h);
          break;
        }
        case TAG_BYTES: {
          byte[] b = (byte[]) refs[i];
          int n = b.length;
          h = absorb(h, TAG_BYTES | (long) n << 8);
          int j = 0;
          for (; j + 8 <= n; j += 8) {
            long w = 0;
            for (int k = 7; k >= 0; k--) {
              w = w << 8 | (b[j + k] & 0xff);
            }
            h = absorb(h, w);
          }
          if (j < n) {
            long w = 0;
            for (int shift = 0; j < n; j++, shift += 8) {
              w |= (long) (b[j] & 0xff) << shift;
            }
            h = absorb(h, w);
          }
          break;
        }
        case TAG_UUID: {
          UUID u = (UUID) refs[i];
          h = absorb(h, TAG_UUID);
          h = absorb(h, u.getMostSignificantBits());
          h = absorb(h, u.getLeastSignificantBits());
          break;
        }
        case TAG_NULL:
          h = absorb(h, TAG_NULL);
          break;
        default: // LONG, DOUBLE, BOOLEAN: header, then the value as one word
          h = absorb(h, tag);
          h = absorb(h, nums[i]);
          break;
      }
    }
    return fmix64(h);
  }

  private static long fastString(String s, int n, long h) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      h = absorb(h, s.charAt(j) | (long) s.charAt(j + 1) << 16 | (long) s.charAt(j + 2) << 32
          | (long) s.charAt(j + 3) << 48);
    }
    if (j < n) {
      long w = 0;
      for (int shift = 0; j < n; j++, shift += 16) {
        w |= (long) s.charAt(j) << shift;
      }
      h = absorb(h, w);
    }
    return h;
  }

  private static long fastChars(CharSequence s, int n, long h) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      h = absorb(h, s.charAt(j) | (long) s.charAt(j + 1) << 16 | (long) s.charAt(j + 2) << 32
          | (long) s.charAt(j + 3) << 48);
    }
    if (j < n) {
      long w = 0;
      for (int shift = 0; j < n; j++, shift += 16) {
        w |= (long) s.charAt(j) << shift;
      }
      h = absorb(h, w);
    }
    return h;
  }

  static long absorb(long h, long w) {
    return Long.rotateLeft(h ^ (w * K1), 31) * K2;
  }

  static long fmix64(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
