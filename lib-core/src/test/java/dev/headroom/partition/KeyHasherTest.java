package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class KeyHasherTest {

  @Test
  void everyGoldenVectorHashesToKafkasValueWithoutBuildingTheBytes() {
    for (PartitionInvariants.Golden g : PartitionInvariants.golden()) {
      CompositeKey key = CompositeKey.decode(g.bytes());
      assertArrayEquals(g.bytes(), key.encode(), g.fields());
      assertEquals(g.murmur2(), Murmur2.hash(g.bytes()), g.fields());
      KeyHasher hasher = key.writeTo(KeyHasher.create(HashMode.KAFKA_COMPATIBLE));
      assertEquals(g.murmur2(), (int) hasher.hash(), g.fields());
      assertEquals(g.partitionOf12(), hasher.partition(12), g.fields());
      assertEquals(g.partitionOf7(), hasher.partition(7), g.fields());
    }
  }

  @Test
  void documentedEncodingExamples() {
    assertEquals("01026162030000000000000007",
        HexFormat.of().formatHex(CompositeKey.of("ab", 7).encode()));
    assertEquals("01026162010163", HexFormat.of().formatHex(CompositeKey.of("ab", "c").encode()));
    assertEquals("01016101026263", HexFormat.of().formatHex(CompositeKey.of("a", "bc").encode()));
  }

  @Test
  void splittingAStringDifferentlyGivesADifferentKey() {
    for (HashMode mode : HashMode.values()) {
      long abc = KeyHasher.create(mode).putString("ab").putString("c").hash();
      long abc2 = KeyHasher.create(mode).putString("a").putString("bc").hash();
      long abc3 = KeyHasher.create(mode).putString("abc").hash();
      assertNotEquals(abc, abc2, mode.name());
      assertNotEquals(abc, abc3, mode.name());
      assertNotEquals(KeyHasher.create(mode).putString("a").putNull().hash(),
          KeyHasher.create(mode).putString("a").hash(), mode.name());
      assertNotEquals(KeyHasher.create(mode).putString("").hash(),
          KeyHasher.create(mode).putNull().hash(), mode.name());
    }
  }

  @Test
  void unicodeAndUnpairedSurrogatesHashAsTheirUtf8Bytes() {
    String[] texts = {"Zoë", "日本語", "emoji 😀", "lone \ud800 high", "lone \udc00 low",
        "\ud83d", "end \ud83d", "ascii then é", "é then ascii", "abcdéfgh"};
    for (String text : texts) {
      CompositeKey key = CompositeKey.of(text, "x");
      PartitionInvariants.assertCompatibleWithEncoding(key, 12);
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      assertEquals(utf8.length, KeyHasher.utf8Length(text), text);
    }
    // A CharSequence that is not a String hashes like its text.
    assertEquals(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("Zoë").hash(),
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString(new StringBuilder("Zoë")).hash());
  }

  @Test
  void aOneFieldTextOrByteKeyHashesAsKafkaHashesItsSerializedBytes() {
    String[] texts = {"", "a", "ab", "abc", "abcd", "abcde", "plan-17", "PPO-GOLD", "Zoë",
        "日本語", "emoji 😀", "lone \ud800 high", "\udc00", "\ud83d", "é then ascii", "x".repeat(300)};
    for (String text : texts) {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString(text);
      assertEquals(Murmur2.hash(utf8), (int) h.hash(), text);
      assertEquals(PartitionInvariants.referencePartition(utf8, 12), h.partition(12), text);
      assertEquals(Murmur2.hash(utf8), (int) KeyHasher.create(HashMode.KAFKA_COMPATIBLE)
          .putString(new StringBuilder(text)).hash(), text);
      assertEquals(Murmur2.hash(utf8), (int) KeyHasher.create(HashMode.KAFKA_COMPATIBLE)
          .putBytes(utf8).hash(), text);
    }
  }

  @Test
  void rangesCharArraysAndUtf8BytesAreTheSameFieldAsTheirText() {
    String[] texts = {"", "a", "member-123456", "Zoë", "日本語 key", "emoji 😀 ok", "ab\u0000c"};
    for (HashMode mode : HashMode.values()) {
      for (String text : texts) {
        String framed = "<<" + text + ">>";
        long expected = KeyHasher.create(mode).putString(text).hash();
        long twoFields = KeyHasher.create(mode).putString(text).putLong(7).hash();
        assertEquals(expected, KeyHasher.create(mode)
            .putString(framed, 2, 2 + text.length()).hash(), text);
        assertEquals(twoFields, KeyHasher.create(mode)
            .putString(framed, 2, 2 + text.length()).putLong(7).hash(), text);
        char[] chars = framed.toCharArray();
        assertEquals(expected, KeyHasher.create(mode).putChars(chars, 2, text.length()).hash());
        assertEquals(twoFields,
            KeyHasher.create(mode).putChars(chars, 2, text.length()).putLong(7).hash());
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(expected, KeyHasher.create(mode).putUtf8(utf8).hash(), text);
        assertEquals(twoFields, KeyHasher.create(mode).putUtf8(utf8).putLong(7).hash(), text);
      }
      // Not well-formed UTF-8: a byte field, never replacement characters.
      for (String hex : new String[] {"ff", "c3", "e697a5e6", "c0af", "eda080", "f4908080",
          "80", "61ff62"}) {
        byte[] bad = HexFormat.of().parseHex(hex);
        assertEquals(KeyHasher.create(mode).putBytes(bad).putLong(1).hash(),
            KeyHasher.create(mode).putUtf8(bad).putLong(1).hash(), hex);
      }
    }
    // Fields keep their own text while others are put and after the buffer grows.
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    char[] reused = "first".toCharArray();
    h.putChars(reused, 0, 5);
    java.util.Arrays.fill(reused, 'x');
    h.putUtf8("y".repeat(500).getBytes(StandardCharsets.UTF_8)).putChars(reused, 0, 2);
    assertEquals(CompositeKey.of("first", "y".repeat(500), "xx").writeTo(
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE)).hash(), h.hash());
    assertEquals(CompositeKey.of("first", "y".repeat(500), "xx"), h.toKey(true));
    assertThrows(IndexOutOfBoundsException.class, () -> h.putString("abc", 2, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> h.putChars(new char[2], 1, 2));
  }

  @Test
  void regressionHashingAOneOrTwoFieldKeyAllocatesNothing() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
        java.lang.management.ManagementFactory.getThreadMXBean();
    assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot measure allocation");
    threads.setThreadAllocatedMemoryEnabled(true);
    String[] keys = {"plan-17", "PPO-GOLD", "Zoë-ünïcode", "lone \ud800", "日本語"};
    byte[][] utf8 = new byte[keys.length][];
    char[][] chars = new char[keys.length][];
    for (int i = 0; i < keys.length; i++) {
      utf8[i] = keys[i].getBytes(StandardCharsets.UTF_8);
      chars[i] = keys[i].toCharArray();
    }
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    long tid = Thread.currentThread().getId();
    long quietest = Long.MAX_VALUE;
    int sink = 0;
    for (int round = 0; round < 20 && quietest > 0; round++) {
      long before = threads.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 100_000; i++) {
        int k = i % keys.length;
        sink += h.reset().putString(keys[k]).partition(12);
        sink += h.reset().putString(keys[k]).putString(keys[(k + 1) % keys.length]).partition(12);
        sink += h.reset().putUtf8(utf8[k]).putChars(chars[k], 0, chars[k].length).partition(12);
        sink += h.reset().putString(keys[k], 1, keys[k].length()).partition(12);
      }
      quietest = Math.min(quietest, threads.getThreadAllocatedBytes(tid) - before);
    }
    assertTrue(sink > 0);
    assertEquals(0L, quietest, "bytes allocated by 400,000 keys");
  }

  @Test
  void longStringsAndByteArraysUseMultiByteLengthPrefixes() {
    for (int n : new int[] {127, 128, 300, 16_383, 16_384, 70_000, (1 << 21) + 5}) {
      String ascii = "k".repeat(n);
      byte[] bytes = new byte[n];
      Arrays.fill(bytes, (byte) 0x9c);
      for (int shift = 0; shift < 4; shift++) { // every alignment of the header in a block
        Object[] prefix = new Object[shift + 1];
        Arrays.fill(prefix, true);
        prefix[shift] = ascii;
        PartitionInvariants.assertCompatibleWithEncoding(CompositeKey.of(prefix), 12);
        prefix[shift] = bytes;
        PartitionInvariants.assertCompatibleWithEncoding(CompositeKey.of(prefix), 12);
      }
    }
  }

  @Test
  void integralTypesAreOneTypeAndFloatsWiden() {
    for (HashMode mode : HashMode.values()) {
      long asLong = KeyHasher.create(mode).putLong(5).hash();
      assertEquals(asLong, KeyHasher.create(mode).putInt(5).hash());
      assertEquals(asLong, KeyHasher.create(mode).put((short) 5).hash());
      assertEquals(asLong, KeyHasher.create(mode).put((byte) 5).hash());
      assertEquals(KeyHasher.create(mode).putDouble(1.5).hash(),
          KeyHasher.create(mode).put(1.5f).hash());
      assertNotEquals(asLong, KeyHasher.create(mode).putDouble(5.0).hash());
    }
  }

  @Test
  void fastModeValuesArePinned() {
    // Regression: FAST is documented as stable; these values must never change.
    assertEquals(-3821837931652150742L, fast().putString("m-1001").putString("ENROLL").hash());
    assertEquals(-6343820887816211731L, fast().putLong(42).putString("x").hash());
    assertEquals(-5052599571036077520L,
        fast().putUuid(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")).hash());
    assertEquals(-5236077845013399162L,
        fast().putBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}).putNull().putBoolean(true)
            .putDouble(2.5).hash());
    assertEquals(9, fast().putString("m-1001").putString("ENROLL").partition(12));
    // ... and they are what the documented algorithm gives.
    assertEquals(-3821837931652150742L,
        PartitionInvariants.fastReference(CompositeKey.of("m-1001", "ENROLL")));
    assertEquals(-5236077845013399162L, PartitionInvariants.fastReference(
        CompositeKey.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, null, true, 2.5)));
  }

  private static KeyHasher fast() {
    return KeyHasher.create(HashMode.FAST);
  }

  @Test
  void typedPutsAndGenericPutAndCompositeKeyAgree() {
    UUID id = UUID.randomUUID();
    for (HashMode mode : HashMode.values()) {
      long typed = KeyHasher.create(mode).putString("a").putLong(1).putBytes(new byte[] {9})
          .putUuid(id).putBoolean(false).putDouble(0.25).putNull().hash();
      long generic = KeyHasher.create(mode).put("a").put(1L).put(new byte[] {9}).put(id)
          .put(false).put(0.25).put(null).hash();
      long composite = CompositeKey.of("a", 1, new byte[] {9}, id, false, 0.25, null)
          .writeTo(KeyHasher.create(mode)).hash();
      assertEquals(typed, generic);
      assertEquals(typed, composite);
    }
  }

  @Test
  void resetStartsANewKeyAndTheHashIsRecomputedAfterAPut() {
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    long first = h.putString("a").hash();
    long second = h.putString("b").hash();
    assertNotEquals(first, second);
    assertEquals(first, h.reset().putString("a").hash());
    assertEquals(1, h.fieldCount());
    // Growing past the initial capacity keeps every field.
    KeyHasher many = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    Object[] fields = new Object[40];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = "f" + i;
      many.putString("f" + i);
    }
    assertEquals(Murmur2.hash(CompositeKey.of(fields).encode()), (int) many.hash());
  }

  @Test
  void badUseIsReportedWithTheSharedMessage() {
    KeyHasher h = KeyHasher.create(HashMode.FAST);
    IllegalStateException empty = assertThrows(IllegalStateException.class, h::hash);
    assertEquals("a key needs at least one field (none was put)", empty.getMessage());
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> h.put(new java.util.Date(0)));
    assertEquals("key field must be " + KeyHasher.SUPPORTED + " (was \"java.util.Date\")",
        type.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> h.putString("a").partition(0));
    assertEquals("numPartitions must be > 0 (was 0)", zero.getMessage());
    IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
        () -> KeyHasher.create(null));
    assertEquals("mode must be non-null (was null)", mode.getMessage());
  }
}
