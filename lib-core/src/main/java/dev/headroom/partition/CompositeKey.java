package dev.headroom.partition;

import dev.headroom.core.Checks;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * An immutable tuple of key fields, for example {@code (member_id, event_type)}, with its
 * canonical byte encoding: the record key of a composite-keyed topic.
 *
 * <pre>{@code
 * CompositeKey key = CompositeKey.of(memberId, "ENROLL");        // ordering required
 * CompositeKey audit = CompositeKey.unordered(tenantId, "AUDIT"); // may be spread when hot
 * }</pre>
 *
 * <h2>Canonical encoding (stable)</h2>
 *
 * <b>A key of exactly one string or byte-array field</b> is encoded as the field's bytes alone:
 * the UTF-8 bytes of the string as Kafka's {@code StringSerializer} writes them
 * ({@code String.getBytes(UTF_8)}: an unpaired surrogate becomes {@code '?'}), or the byte
 * array. Such a key is therefore the same record key, on the same partition, as a plain
 * {@code String} or {@code byte[]} key sent by any Kafka producer.
 *
 * <p><b>Every other key</b> (two or more fields, or one field of another type) has the tagged
 * encoding, version 1: the fields are written one after the other, each as a one-byte type tag
 * followed by its payload, with no header:
 *
 * <table>
 * <caption>Field encodings</caption>
 * <tr><th>type</th><th>tag</th><th>payload</th></tr>
 * <tr><td>null</td><td>{@code 0x00}</td><td>none</td></tr>
 * <tr><td>string</td><td>{@code 0x01}</td><td>UTF-8 length as an unsigned LEB128 varint, then the
 *     UTF-8 bytes ({@code String.getBytes(UTF_8)}: an unpaired surrogate becomes {@code '?'})</td></tr>
 * <tr><td>bytes</td><td>{@code 0x02}</td><td>length as an unsigned LEB128 varint, then the bytes</td></tr>
 * <tr><td>integer</td><td>{@code 0x03}</td><td>8 bytes, big-endian two's complement
 *     ({@code byte}, {@code short}, {@code int}, {@code long} alike)</td></tr>
 * <tr><td>floating point</td><td>{@code 0x04}</td><td>8 bytes, big-endian
 *     {@code Double.doubleToLongBits} ({@code float} widened)</td></tr>
 * <tr><td>UUID</td><td>{@code 0x05}</td><td>16 bytes: most then least significant half, big-endian</td></tr>
 * <tr><td>boolean</td><td>{@code 0x06}</td><td>one byte, 0 or 1</td></tr>
 * </table>
 *
 * <p>For example {@code ("ab", 7)} is {@code 01 02 61 62 03 00 00 00 00 00 00 00 07}, and
 * {@code ("ab")} is {@code 61 62}. The tagged encoding is prefix-free, so distinct tuples of two
 * or more fields have distinct bytes: {@code ("ab", "c")} is {@code 01 02 61 62 01 01 63} and
 * {@code ("a", "bc")} is {@code 01 01 61 01 02 62 63}. A one-field text or byte key is its bytes,
 * as in Kafka: {@code ("a")} and {@code (0x61)} have the same bytes, and a one-field text that
 * begins with a control character {@code U+0000..U+0006} can have the bytes of a tagged key (the
 * text {@code "\u0001\u0001a\u0001\u0001b"} is the bytes of {@code ("a", "b")});
 * {@link #decode(byte[])} says how such bytes are read back. In {@link HashMode#KAFKA_COMPATIBLE}
 * a key's partition is Kafka's murmur2 partition of exactly these bytes.
 *
 * <h2>Ordering</h2>
 *
 * A key made by {@link #of} requires ordering: all its records go to one partition, so a
 * consumer sees them in the order they were sent. A key made by {@link #unordered} declares that
 * its records may be consumed in any order: when it becomes a hot key and spreading is on, its
 * records are spread over several partitions. The flag is not part of the encoding or of
 * {@link #encode()}; it is part of {@link #equals}.
 *
 * <p>Thread-safety: immutable (byte-array fields are copied in and out).
 */
public final class CompositeKey {

  private final Object[] fields;
  private final boolean orderingRequired;

  CompositeKey(Object[] normalizedFields, boolean orderingRequired) {
    this.fields = normalizedFields;
    this.orderingRequired = orderingRequired;
  }

  /**
   * Creates a key whose records must stay in order (never spread).
   *
   * @param fields the fields, in key order: see {@link KeyHasher#put(Object)} for the types
   * @return the key
   * @throws IllegalArgumentException if {@code fields} is null or empty, or a field has an
   *     unsupported type
   */
  public static CompositeKey of(Object... fields) {
    return new CompositeKey(normalize(fields), true);
  }

  /**
   * Creates a key that declares its records need no ordering, so that it may be spread over
   * several partitions while it is hot.
   *
   * @param fields the fields, in key order
   * @return the key
   * @throws IllegalArgumentException if {@code fields} is null or empty, or a field has an
   *     unsupported type
   */
  public static CompositeKey unordered(Object... fields) {
    return new CompositeKey(normalize(fields), false);
  }

  private static Object[] normalize(Object[] fields) {
    Checks.requireNonNull("fields", fields);
    Checks.requireArgument(fields.length > 0, "fields.length", "> 0", fields.length);
    Object[] out = new Object[fields.length];
    for (int i = 0; i < fields.length; i++) {
      out[i] = normalize(i, fields[i]);
    }
    return out;
  }

  private static Object normalize(int index, Object value) {
    if (value == null || value instanceof String || value instanceof Long
        || value instanceof Double || value instanceof Boolean || value instanceof UUID) {
      return value;
    } else if (value instanceof CharSequence) {
      return value.toString();
    } else if (value instanceof byte[]) {
      return ((byte[]) value).clone();
    } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    } else if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    throw new IllegalArgumentException(Checks.message("fields[" + index + "]",
        KeyHasher.SUPPORTED, value.getClass().getName()));
  }

  /**
   * Returns the number of fields.
   *
   * @return at least 1
   */
  public int size() {
    return fields.length;
  }

  /**
   * Returns one field: a {@code String}, {@code byte[]} (a copy), {@code Long}, {@code Double},
   * {@code Boolean}, {@code UUID} or null.
   *
   * @param index the field's position
   * @return the field
   * @throws IndexOutOfBoundsException if there is no such field
   */
  public Object field(int index) {
    Object f = fields[index];
    return f instanceof byte[] ? ((byte[]) f).clone() : f;
  }

  /**
   * Returns the fields as a list (byte arrays copied).
   *
   * @return an unmodifiable list, nulls included
   */
  public List<Object> fields() {
    List<Object> list = new ArrayList<>(fields.length);
    for (int i = 0; i < fields.length; i++) {
      list.add(field(i));
    }
    return Collections.unmodifiableList(list);
  }

  /**
   * Returns whether this key's records must stay in one partition, in order.
   *
   * @return false for a key made by {@link #unordered}
   */
  public boolean orderingRequired() {
    return orderingRequired;
  }

  /**
   * Appends this key's fields to a hasher.
   *
   * @param hasher the hasher (not reset first)
   * @return {@code hasher}
   * @throws IllegalArgumentException if {@code hasher} is null
   */
  public KeyHasher writeTo(KeyHasher hasher) {
    Checks.requireNonNull("hasher", hasher);
    for (Object f : fields) {
      if (f == null) {
        hasher.putNull();
      } else if (f instanceof String) {
        hasher.putString((String) f);
      } else if (f instanceof Long) {
        hasher.putLong((Long) f);
      } else if (f instanceof byte[]) {
        hasher.putBytes((byte[]) f);
      } else if (f instanceof Double) {
        hasher.putDouble((Double) f);
      } else if (f instanceof Boolean) {
        hasher.putBoolean((Boolean) f);
      } else {
        hasher.putUuid((UUID) f);
      }
    }
    return hasher;
  }

  /**
   * Returns the canonical encoding (see the class documentation): the bytes a Kafka serializer
   * writes as the record key.
   *
   * @return a new array
   */
  public byte[] encode() {
    if (isPlain(fields)) {
      Object f = fields[0];
      return f instanceof String ? ((String) f).getBytes(StandardCharsets.UTF_8)
          : ((byte[]) f).clone();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * fields.length);
    for (Object f : fields) {
      if (f == null) {
        out.write(KeyHasher.TAG_NULL);
      } else if (f instanceof String) {
        byte[] b = ((String) f).getBytes(StandardCharsets.UTF_8);
        out.write(KeyHasher.TAG_STRING);
        writeVarint(out, b.length);
        out.write(b, 0, b.length);
      } else if (f instanceof byte[]) {
        byte[] b = (byte[]) f;
        out.write(KeyHasher.TAG_BYTES);
        writeVarint(out, b.length);
        out.write(b, 0, b.length);
      } else if (f instanceof Long) {
        out.write(KeyHasher.TAG_LONG);
        writeLong(out, (Long) f);
      } else if (f instanceof Double) {
        out.write(KeyHasher.TAG_DOUBLE);
        writeLong(out, Double.doubleToLongBits((Double) f));
      } else if (f instanceof Boolean) {
        out.write(KeyHasher.TAG_BOOLEAN);
        out.write((Boolean) f ? 1 : 0);
      } else {
        UUID u = (UUID) f;
        out.write(KeyHasher.TAG_UUID);
        writeLong(out, u.getMostSignificantBits());
        writeLong(out, u.getLeastSignificantBits());
      }
    }
    return out.toByteArray();
  }

  /**
   * Decodes a canonical encoding into a key that requires ordering (the flag is not encoded).
   * Every byte array is the encoding of exactly one key, read in this order:
   *
   * <ol>
   * <li>bytes that are the tagged encoding of a key of two or more fields, or of one field that
   *     is not a string or byte array, exactly as {@link #encode()} writes it, are that key;
   * <li>other bytes that are well-formed UTF-8 are a one-field string key (read as
   *     {@code StringDeserializer} reads them);
   * <li>any other bytes are a one-field byte-array key.
   * </ol>
   *
   * So {@code decode(key.encode()).encode()} always has {@code key.encode()}'s bytes, and
   * {@code decode(key.encode())} equals {@code key} except for a one-field byte key whose bytes
   * are well-formed UTF-8 (read back as text) and a one-field text that is itself the encoding of
   * a tagged key (it starts with a control character {@code U+0000..U+0006}; read back as that
   * key). Strings come back with unpaired surrogates as {@code '?'}.
   *
   * @param bytes the encoded key
   * @return the key
   * @throws IllegalArgumentException if {@code bytes} is null
   */
  public static CompositeKey decode(byte[] bytes) {
    Checks.requireNonNull("bytes", bytes);
    Object[] tagged = parseTagged(bytes);
    if (tagged != null && tagged.length > 0 && !isPlain(tagged)) {
      CompositeKey key = new CompositeKey(tagged, true);
      if (Arrays.equals(key.encode(), bytes)) {
        return key;
      }
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      return new CompositeKey(new Object[] {text}, true);
    } catch (CharacterCodingException e) {
      return new CompositeKey(new Object[] {bytes.clone()}, true);
    }
  }

  /** Whether a key of these (normalized) fields is encoded as its one field's bytes. */
  static boolean isPlain(Object[] fields) {
    return fields.length == 1 && (fields[0] instanceof String || fields[0] instanceof byte[]);
  }

  /** The fields of a tagged encoding, or null if the bytes are not one. */
  private static Object[] parseTagged(byte[] bytes) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    while (i < bytes.length) {
      int tag = bytes[i++];
      switch (tag) {
        case KeyHasher.TAG_NULL:
          out.add(null);
          break;
        case KeyHasher.TAG_STRING:
        case KeyHasher.TAG_BYTES: {
          long len = 0;
          int shift = 0;
          while (true) {
            if (i >= bytes.length || shift >= 35) {
              return null;
            }
            int b = bytes[i++];
            len |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
              break;
            }
            shift += 7;
          }
          if (len > bytes.length - i) {
            return null;
          }
          byte[] payload = Arrays.copyOfRange(bytes, i, i + (int) len);
          i += (int) len;
          out.add(tag == KeyHasher.TAG_STRING ? new String(payload, StandardCharsets.UTF_8)
              : payload);
          break;
        }
        case KeyHasher.TAG_LONG:
        case KeyHasher.TAG_DOUBLE: {
          if (bytes.length - i < 8) {
            return null;
          }
          long v = readLong(bytes, i);
          i += 8;
          out.add(tag == KeyHasher.TAG_LONG ? (Object) v : (Object) Double.longBitsToDouble(v));
          break;
        }
        case KeyHasher.TAG_UUID:
          if (bytes.length - i < 16) {
            return null;
          }
          out.add(new UUID(readLong(bytes, i), readLong(bytes, i + 8)));
          i += 16;
          break;
        case KeyHasher.TAG_BOOLEAN:
          if (i >= bytes.length || (bytes[i] != 0 && bytes[i] != 1)) {
            return null;
          }
          out.add(bytes[i++] == 1);
          break;
        default:
          return null;
      }
    }
    return out.toArray();
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int k = 0; k < 8; k++) {
      v = v << 8 | (b[at + k] & 0xff);
    }
    return v;
  }

  private static void writeVarint(ByteArrayOutputStream out, int v) {
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }

  private static void writeLong(ByteArrayOutputStream out, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }

  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      sb.append(Character.forDigit(b >> 4 & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CompositeKey)) {
      return false;
    }
    CompositeKey other = (CompositeKey) o;
    return orderingRequired == other.orderingRequired && Arrays.deepEquals(fields, other.fields);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(fields) * 31 + (orderingRequired ? 1 : 0);
  }

  /** Returns e.g. {@code (m-17, ENROLL)} or {@code unordered(t-3, AUDIT)}; bytes as hex. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(orderingRequired ? "(" : "unordered(");
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      Object f = fields[i];
      sb.append(f instanceof byte[] ? "0x" + hex((byte[]) f) : String.valueOf(f));
    }
    return sb.append(')').toString();
  }
}
