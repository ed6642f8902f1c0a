package dev.headroom.kafka;

import dev.headroom.partition.KeyHasher;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The extractor of {@code headroom.partitioner.key.source=header}: reads each field named in
 * {@code headroom.partitioner.key.fields} from the record's header of that name (the last one
 * when it repeats), as text given by its UTF-8 bytes ({@link KeyHasher#putUtf8}; bytes that are
 * not UTF-8 are a byte field). A header that is absent is missing; a header with a null value is
 * a null field. Needs {@link KeyHeadersInterceptor} in {@code interceptor.classes}.
 *
 * <p>Thread-safety: immutable after {@link #configure}.
 */
public final class HeaderKeyExtractor implements KeyExtractor {

  private volatile List<String> fields = List.of();
  private volatile UnorderedRule unordered = UnorderedRule.NONE;
  private volatile boolean ordered = true;

  /** Creates the extractor. */
  public HeaderKeyExtractor() {}

  @Override
  public void configure(Map<String, ?> configs) {
    HeadroomPartitionerConfig config = new HeadroomPartitionerConfig(configs);
    this.fields = List.copyOf(config.keyFields());
    this.unordered = UnorderedRule.of(config);
    this.ordered = config.keyOrdered();
  }

  /**
   * Writes the named headers, stopping at the first absent one.
   *
   * @throws MissingKeyFieldException if the headers were not handed over (no interceptor)
   */
  @Override
  public boolean extract(String topic, Object key, byte[] keyBytes, Object value,
      byte[] valueBytes, Headers headers, KeyHasher out) {
    if (headers == null) {
      throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
          + topic + "' has no headers to read key fields " + fields + " from: add "
          + KeyHeadersInterceptor.class.getName() + " to interceptor.classes; it was not sent");
    }
    for (String field : fields) {
      Header h = headers.lastHeader(field);
      if (h == null) {
        return true;
      }
      out.putUtf8(h.value());
    }
    UnorderedRule rule = unordered;
    if (rule.active()) {
      Header h = headers.lastHeader(rule.field);
      if (h != null && h.value() != null && matchesUtf8(rule, h.value())) {
        return false;
      }
    }
    return ordered;
  }

  private static boolean matchesUtf8(UnorderedRule rule, byte[] value) {
    // Values are compared as text; ASCII compares byte for char without decoding.
    for (byte b : value) {
      if (b < 0) {
        String text = new String(value, java.nio.charset.StandardCharsets.UTF_8);
        return rule.matches(text, 0, text.length());
      }
    }
    return rule.matches(new AsciiChars(value), 0, value.length);
  }

  /** ASCII bytes seen as chars. */
  private static final class AsciiChars implements CharSequence {
    private final byte[] b;

    AsciiChars(byte[] b) {
      this.b = b;
    }

    @Override
    public int length() {
      return b.length;
    }

    @Override
    public char charAt(int index) {
      return (char) b[index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return toString().substring(start, end);
    }

    @Override
    public String toString() {
      return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }
  }
}
