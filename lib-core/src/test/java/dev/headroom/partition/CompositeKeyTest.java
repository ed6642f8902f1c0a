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
  void malformedBytesAreRejectedWithTheOffset() {
    assertEquals("bytes must be a canonical key encoding (unknown tag 9 at offset 0) (was \"09\")",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.decode(HexFormat.of().parseHex("09"))).getMessage());
    assertEquals("bytes must be a canonical key encoding (field truncated at offset 2) (was \"010561\")",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.decode(HexFormat.of().parseHex("010561"))).getMessage());
    assertEquals("bytes must be a canonical key encoding (field truncated at offset 1) (was \"030000\")",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.decode(HexFormat.of().parseHex("030000"))).getMessage());
    assertEquals("bytes must be a canonical key encoding (boolean 0 or 1 at offset 1) (was \"0602\")",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.decode(HexFormat.of().parseHex("0602"))).getMessage());
    assertEquals("fields.length must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class,
            () -> CompositeKey.decode(new byte[0])).getMessage());
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
