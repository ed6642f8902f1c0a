package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The built-in codecs give back what they were given, for any string or bytes. */
class ValueCodecProperties {

  @Property
  void stringsRoundTrip(@ForAll String value) {
    ValueCodec<String> codec = ValueCodec.string();
    String back = codec.decode(codec.encode(value));
    // Unpaired surrogates cannot be UTF-8 encoded; the encoder replaces them with '?'.
    if (value.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF)) {
      assertEquals(value, back);
    }
  }

  @Property
  void bytesRoundTrip(@ForAll byte[] value) {
    assertArrayEquals(value, ValueCodec.bytes().decode(ValueCodec.bytes().encode(value)));
  }

  @Property
  void mappedCodecsRoundTrip(@ForAll long value) {
    ValueCodec<Long> codec = ValueCodec.string().map(String::valueOf, Long::valueOf);
    assertEquals(value, codec.decode(codec.encode(value)));
  }

  @Property(tries = 1)
  void mapRejectsNullFunctions() {
    assertEquals("to must be non-null (was null)", assertThrows(IllegalArgumentException.class,
        () -> ValueCodec.string().map(null, s -> s)).getMessage());
  }
}
