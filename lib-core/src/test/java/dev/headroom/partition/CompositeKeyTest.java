package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CompositeKeyTest {

  @Test
  void fieldsAreNormalizedAndByteArraysCopied() {
    byte[] bytes = {1, 2};
    CompositeKey key = CompositeKey.of("a", 7, (short) 3, 1.5f, new StringBuilder("sb"), bytes,
        null);
    bytes[0] = 9;
    assertEquals(Arrays.asList("a", 7L, 3L, 1.5d, "sb"), key.fields().subList(0, 5));
    assertArrayEquals(new byte[] {1, 2}, (byte[]) key.field(5));
    ((byte[]) key.field(5))[1] = 9;
    assertArrayEquals(new byte[] {1, 2}, (byte[]) key.field(5));
    assertEquals(null, key.field(6));
    assertEquals(7, key.size());
    assertEquals(CompositeKey.of("a", 7L, 3, 1.5d, "sb", new byte[] {1, 2}, null), key);
    assertEquals(key.hashCode(),
        CompositeKey.of("a", 7L, 3, 1.5d, "sb", new byte[] {1, 2}, null).hashCode());
  }

  @Test
  void theOrderingFlagIsPartOfEqualityButNotOfTheBytes() {
    CompositeKey ordered = CompositeKey.of("m-1", "AUDIT");
    CompositeKey unordered = CompositeKey.unordered("m-1", "AUDIT");
    assertTrue(ordered.orderingRequired());
    assertFalse(unordered.orderingRequired());
    assertNotEquals(ordered, unordered);
    assertArrayEquals(ordered.encode(), unordered.encode());
    assertEquals("(m-1, AUDIT)", ordered.toString());
    assertEquals("unordered(m-1, AUDIT)", unordered.toString());
    assertEquals("(0x01ff, null)", CompositeKey.of(new byte[] {1, -1}, null).toString());
  }

  @Test
  void decodeReadsEveryType() {
    UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
    CompositeKey key = CompositeKey.of("é", new byte[] {0, 1}, -5L, -0.0d, id, true, null,
        "x".repeat(300));
    assertEquals(key, CompositeKey.decode(key.encode()));
  }

  @Test
  void aOneFieldTextOrByteKeyIsItsBytesAloneAsKafkasSerializersWriteThem() {
    assertEquals("706c616e2d3137", HexFormat.of().formatHex(CompositeKey.of("plan-17").encode()));
    assertEquals("5a6fc3ab", HexFormat.of().formatHex(CompositeKey.of("Zoë").encode()));
    assertEquals("3f78", HexFormat.of().formatHex(CompositeKey.of("\ud800x").encode()));
    assertEquals("01ff", HexFormat.of().formatHex(CompositeKey.of(new byte[] {1, -1}).encode()));
    assertEquals("", HexFormat.of().formatHex(CompositeKey.of("").encode()));
    // One field of another type keeps the tagged encoding; so does every key of two fields.
    assertEquals("030000000000000007", HexFormat.of().formatHex(CompositeKey.of(7).encode()));
    assertEquals("00", HexFormat.of().formatHex(CompositeKey.of((Object) null).encode()));
    assertEquals("010161010101", HexFormat.of().formatHex(CompositeKey.of("a", "\u0001").encode()));
  }

  @Test
  void everyByteArrayDecodesToTheOneKeyWhoseEncodingItIs() {
    // Tagged keys of two or more fields, or of one field of another type.
    assertEquals(CompositeKey.of("ab", 7), CompositeKey.decode(hex("01026162030000000000000007")));
    assertEquals(CompositeKey.of(-1L), CompositeKey.decode(hex("03ffffffffffffffff")));
    // Anything else that is well-formed UTF-8 is one text field: what was a tagged one-field
    // string, a truncated or unknown tagged form, a boolean that is neither 0 nor 1.
    assertEquals(CompositeKey.of("plan-17"), CompositeKey.decode(hex("706c616e2d3137")));
    assertEquals(CompositeKey.of("\u0001\u0001a"), CompositeKey.decode(hex("010161")));
    assertEquals(CompositeKey.of("\t"), CompositeKey.decode(hex("09")));
    assertEquals(CompositeKey.of("\u0001\u0005a"), CompositeKey.decode(hex("010561")));
    assertEquals(CompositeKey.of("\u0006\u0002"), CompositeKey.decode(hex("0602")));
    assertEquals(CompositeKey.of(""), CompositeKey.decode(new byte[0]));
    // A tagged form whose text is not well-formed UTF-8 is not one encode() writes.
    byte[] badText = hex("0101ff0101ff");
    assertArrayEquals(badText, (byte[]) CompositeKey.decode(badText).field(0));
    // Anything else is one byte-array field.
    assertArrayEquals(hex("ff00"), (byte[]) CompositeKey.decode(hex("ff00")).field(0));
    assertEquals("bytes must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> CompositeKey.decode(null)).getMessage());
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  @Test
  void unsupportedFieldsAreRejected() {
    assertEquals("fields[1] must be " + KeyHasher.SUPPORTED + " (was \"java.lang.Object\")",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.of("a", new Object())).getMessage());
    assertEquals("fields.length must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class, CompositeKey::of).getMessage());
  }
}
