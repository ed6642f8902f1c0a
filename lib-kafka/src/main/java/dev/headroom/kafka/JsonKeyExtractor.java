package dev.headroom.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.headroom.partition.KeyHasher;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;

/**
 * The extractor of {@code headroom.partitioner.key.source=value.json}: reads the fields named in
 * {@code headroom.partitioner.key.fields} from the record's serialized value as JSON, whatever
 * serializer wrote it ({@code StringSerializer} of a JSON text, a Jackson or Spring JSON
 * serializer): a streaming parse with jackson-core (an optional dependency: add
 * {@code com.fasterxml.jackson.core:jackson-core} 2.x to use this source) over the value's
 * top-level members, which stops as soon as every named field is found and skips the other
 * members' contents without building them.
 *
 * <p>Field names are top-level member names. Values: a JSON string is a string field, an
 * integer that fits a {@code long} an integral field ({@code 5} is the same field as
 * {@code 5L} in a {@code CompositeKey}), any other number a floating-point field,
 * {@code true}/{@code false} a boolean field, {@code null} a null field. A member that is absent
 * is missing (the send fails with {@link MissingKeyFieldException} naming it); an object or array
 * value, a value that is not a JSON object, or malformed JSON fails the send too, naming the field
 * and the topic. A key of one string field lands exactly where Kafka's default partitioner puts a
 * record keyed by that string. {@code headroom.partitioner.unordered.field} is read from the
 * same object, compared as the member's text.
 *
 * <p>Allocation: the parser jackson creates per value (its buffers are recycled per thread); the
 * field texts are copied into the hasher, not into new strings. {@code PartitionerBenchmark}
 * reports the bytes per record.
 *
 * <p>Thread-safety: immutable after {@link #configure}; per-thread scratch.
 */
public final class JsonKeyExtractor implements KeyExtractor {

  private static final JsonFactory FACTORY = new JsonFactory();

  private volatile String[] names = new String[0]; // key fields, then the unordered field
  private volatile int keyFields;
  private volatile int unorderedAt = -1;
  private volatile UnorderedRule unordered = UnorderedRule.NONE;
  private volatile boolean ordered = true;
  private final ThreadLocal<Scratch> scratch = new ThreadLocal<>();

  /** Creates the extractor. */
  public JsonKeyExtractor() {}

  @Override
  public void configure(Map<String, ?> configs) {
    HeadroomPartitionerConfig config = new HeadroomPartitionerConfig(configs);
    List<String> fields = config.keyFields();
    UnorderedRule rule = UnorderedRule.of(config);
    int at = rule.active() ? fields.indexOf(rule.field) : -1;
    boolean extra = rule.active() && at < 0; // a key field may be the unordered field too
    String[] all = fields.toArray(new String[fields.size() + (extra ? 1 : 0)]);
    if (extra) {
      all[fields.size()] = rule.field;
      at = fields.size();
    }
    this.unorderedAt = at;
    this.keyFields = fields.size();
    this.unordered = rule;
    this.ordered = config.keyOrdered();
    this.names = all;
  }

  /**
   * Writes the named members of the JSON value, in the configured order, stopping at the first
   * absent one.
   *
   * @throws MissingKeyFieldException if the value is not a JSON object, is malformed, or a named
   *     member holds an object or array
   */
  @Override
  public boolean extract(String topic, Object key, byte[] keyBytes, Object value,
      byte[] valueBytes, Headers headers, KeyHasher out) {
    String[] wanted = names;
    int n = keyFields;
    if (valueBytes == null) {
      return true; // no value: the first field is missing
    }
    Scratch s = scratch.get();
    if (s == null || s.found.length < wanted.length) {
      s = new Scratch(wanted.length);
      scratch.set(s);
    }
    s.clear(wanted.length);
    int missing = wanted.length;
    try (JsonParser p = FACTORY.createParser(valueBytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw notJson(topic, wanted, "is not a JSON object");
      }
      JsonToken t;
      while (missing > 0 && (t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        int i = indexOf(wanted, name);
        JsonToken v = p.nextToken();
        if (i < 0 || s.found[i]) {
          p.skipChildren();
          continue;
        }
        if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
          throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
              + topic + "' has key field '" + name + "' holding a JSON "
              + (v == JsonToken.START_OBJECT ? "object" : "array") + "; a key field must be a "
              + "string, number, boolean or null; it was not sent");
        }
        s.capture(i, v, p);
        missing--;
      }
    } catch (JsonProcessingException e) {
      throw notJson(topic, wanted, "is not well-formed JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw notJson(topic, wanted, "could not be read (" + e.getMessage() + ")");
    }
    for (int i = 0; i < n; i++) {
      if (!s.found[i]) {
        return true; // the partitioner names field i
      }
      s.put(i, out);
    }
    UnorderedRule rule = unordered;
    int u = unorderedAt;
    if (u >= 0 && s.found[u] && s.kinds[u] != Scratch.NULL
        && rule.matches(s.text[u], 0, s.lengths[u])) {
      return false;
    }
    return ordered;
  }

  private static int indexOf(String[] names, String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private static MissingKeyFieldException notJson(String topic, String[] names, String what) {
    return new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
        + topic + "' has a value that " + what + ", so it has no key fields "
        + Arrays.toString(names) + "; it was not sent");
  }

  /** One thread's captured members: text copied from the parser, or a number or boolean. */
  private static final class Scratch {
    static final byte STRING = 0;
    static final byte LONG = 1;
    static final byte DOUBLE = 2;
    static final byte BOOLEAN = 3;
    static final byte NULL = 4;

    final boolean[] found;
    final byte[] kinds;
    final long[] numbers;
    final char[][] text;
    final int[] lengths;

    Scratch(int n) {
      found = new boolean[n];
      kinds = new byte[n];
      numbers = new long[n];
      text = new char[n][];
      lengths = new int[n];
      for (int i = 0; i < n; i++) {
        text[i] = new char[32];
      }
    }

    void clear(int n) {
      Arrays.fill(found, 0, n, false);
    }

    void capture(int i, JsonToken v, JsonParser p) throws IOException {
      found[i] = true;
      switch (v) {
        case VALUE_STRING:
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          copyText(i, p);
          if (v == JsonToken.VALUE_STRING) {
            kinds[i] = STRING;
          } else if (v == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            kinds[i] = LONG;
            numbers[i] = p.getLongValue();
          } else {
            kinds[i] = DOUBLE;
            numbers[i] = Double.doubleToLongBits(p.getDoubleValue());
          }
          break;
        case VALUE_TRUE:
        case VALUE_FALSE:
          kinds[i] = BOOLEAN;
          numbers[i] = v == JsonToken.VALUE_TRUE ? 1 : 0;
          copyText(i, p);
          break;
        default:
          kinds[i] = NULL;
          lengths[i] = 0;
          break;
      }
    }

    private void copyText(int i, JsonParser p) throws IOException {
      int n = p.getTextLength();
      if (text[i].length < n) {
        text[i] = new char[Math.max(n, text[i].length * 2)];
      }
      System.arraycopy(p.getTextCharacters(), p.getTextOffset(), text[i], 0, n);
      lengths[i] = n;
    }

    void put(int i, KeyHasher out) {
      switch (kinds[i]) {
        case STRING:
          out.putChars(text[i], 0, lengths[i]);
          break;
        case LONG:
          out.putLong(numbers[i]);
          break;
        case DOUBLE:
          out.putDouble(Double.longBitsToDouble(numbers[i]));
          break;
        case BOOLEAN:
          out.putBoolean(numbers[i] != 0);
          break;
        default:
          out.putNull();
          break;
      }
    }
  }
}
