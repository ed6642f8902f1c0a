package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class KeyHasherProperties {

  @Provide
  Arbitrary<List<Object>> tuples() {
    Arbitrary<Object> field = Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.strings().ascii().ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(20).map(b -> (Object) b),
        Arbitraries.randomValue(r -> (Object) new UUID(r.nextLong(), r.nextLong())),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.just(null));
    return field.list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 300)
  void bothModesMatchTheirSpecification(@ForAll("tuples") List<Object> fields,
      @ForAll @IntRange(min = 1, max = 1000) int partitions) {
    PartitionInvariants.assertBothModesMatchTheirSpecification(
        CompositeKey.of(fields.toArray()), partitions);
  }

  @Property(tries = 200)
  void theSameFieldsAlwaysHashTheSameInEveryMode(@ForAll("tuples") List<Object> fields,
      @ForAll @IntRange(min = 1, max = 1000) int partitions) {
    for (HashMode mode : HashMode.values()) {
      KeyHasher reused = KeyHasher.create(mode);
      reused.putString("something else").hash();
      long first = put(reused.reset(), fields).hash();
      long again = put(KeyHasher.create(mode), fields).hash();
      assertEquals(first, again);
      assertEquals(put(KeyHasher.create(mode), fields).partition(partitions),
          reused.partition(partitions));
      PartitionInvariants.assertPartitionInRange(reused, partitions);
    }
  }

  @Property(tries = 300)
  void splittingAStringAtAnyPointChangesTheEncoding(
      @ForAll @net.jqwik.api.constraints.StringLength(min = 2, max = 30) String text,
      @ForAll @IntRange(min = 1, max = 29) int cut) {
    int at = Math.min(cut, text.length() - 1);
    byte[] whole = CompositeKey.of(text).encode();
    byte[] split = CompositeKey.of(text.substring(0, at), text.substring(at)).encode();
    byte[] other = CompositeKey.of(text.substring(0, at + 1), text.substring(at + 1)).encode();
    assertFalse(Arrays.equals(whole, split));
    assertFalse(Arrays.equals(split, other));
  }

  @Property(tries = 300)
  void distinctTuplesHaveDistinctEncodings(@ForAll("tuples") List<Object> a,
      @ForAll("tuples") List<Object> b) {
    CompositeKey ka = CompositeKey.of(a.toArray());
    CompositeKey kb = CompositeKey.of(b.toArray());
    boolean sameBytes = Arrays.equals(ka.encode(), kb.encode());
    if (isPlain(a) == isPlain(b)) {
      // Injective among plain keys and among tagged keys: equal bytes exactly when the
      // normalized fields are equal, where a key of one string field is its UTF-8 bytes (by
      // design the same record key as a byte[] key, as Kafka's StringSerializer would write it:
      // "\0" and {0} are one key).
      assertEquals(plain(a).equals(plain(b)), sameBytes);
    } else if (sameBytes) {
      // A plain key's bytes can be a tagged encoding (documented: the text "\0" and the key of
      // one null field are both 00); decode reads such bytes back as the tagged key.
      CompositeKey tagged = isPlain(a) ? kb : ka;
      assertEquals(tagged, CompositeKey.decode(tagged.encode()));
    }
    // Decoding gives the same bytes back (an unpaired surrogate was already '?' in the bytes).
    org.junit.jupiter.api.Assertions.assertArrayEquals(ka.encode(),
        CompositeKey.decode(ka.encode()).encode());
  }

  private static boolean isPlain(List<Object> fields) {
    return fields.size() == 1
        && (fields.get(0) instanceof String || fields.get(0) instanceof byte[]);
  }

  /**
   * The key as its encoding sees it: a lone string field is its UTF-8 bytes, and every string
   * field is what its UTF-8 bytes decode to (an unpaired surrogate is written as '?', as
   * Kafka's StringSerializer writes it, so {@code "\uD800"} and {@code "?"} are one field).
   */
  private static CompositeKey plain(List<Object> fields) {
    if (fields.size() == 1 && fields.get(0) instanceof String s) {
      return CompositeKey.of((Object) s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Object[] out = new Object[fields.size()];
    for (int i = 0; i < out.length; i++) {
      Object f = fields.get(i);
      out[i] = f instanceof String s ? new String(s.getBytes(java.nio.charset.StandardCharsets
          .UTF_8), java.nio.charset.StandardCharsets.UTF_8) : f;
    }
    return CompositeKey.of(out);
  }

  @Example
  void theTextOfOneNulCharacterHasTheBytesOfTheKeyOfOneNullField() {
    CompositeKey text = CompositeKey.of("\0");
    CompositeKey nothing = CompositeKey.of((Object) null);
    org.junit.jupiter.api.Assertions.assertArrayEquals(text.encode(), nothing.encode());
    assertEquals(nothing, CompositeKey.decode(text.encode()));
  }

  @Example
  void anUnpairedSurrogateIsTheSameFieldAsAQuestionMark() {
    CompositeKey surrogate = CompositeKey.of("\uD800", 1);
    CompositeKey question = CompositeKey.of("?", 1);
    org.junit.jupiter.api.Assertions.assertArrayEquals(question.encode(), surrogate.encode());
    assertEquals(plain(List.of("\uD800", 1)), plain(List.of("?", 1)));
  }

  private static KeyHasher put(KeyHasher h, List<Object> fields) {
    for (Object f : new ArrayList<>(fields)) {
      h.put(f);
    }
    return h;
  }
}
