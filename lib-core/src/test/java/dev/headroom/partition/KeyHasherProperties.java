package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
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
    // The encoding is injective: equal bytes exactly when the normalized fields are equal,
    // where a key of one string field is its UTF-8 bytes (by design the same record key as a
    // byte[] key, as Kafka's StringSerializer would write it: "\0" and {0} are one key).
    assertEquals(plain(a).equals(plain(b)), Arrays.equals(ka.encode(), kb.encode()));
    // Decoding gives the same bytes back (an unpaired surrogate was already '?' in the bytes).
    org.junit.jupiter.api.Assertions.assertArrayEquals(ka.encode(),
        CompositeKey.decode(ka.encode()).encode());
  }

  /** The key with a lone string field replaced by its UTF-8 bytes. */
  private static CompositeKey plain(List<Object> fields) {
    if (fields.size() == 1 && fields.get(0) instanceof String s) {
      return CompositeKey.of((Object) s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return CompositeKey.of(fields.toArray());
  }

  private static KeyHasher put(KeyHasher h, List<Object> fields) {
    for (Object f : new ArrayList<>(fields)) {
      h.put(f);
    }
    return h;
  }
}
