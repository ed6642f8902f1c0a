package dev.headroom.kafka;

import dev.headroom.partition.KeyHasher;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;

/**
 * The extractor of {@code headroom.partitioner.key.source=value.map}: for records whose value is
 * a {@link Map} (for example JSON decoded to a map), reads the fields named in
 * {@code headroom.partitioner.key.fields} as map keys. A field absent from the map is missing
 * (the send fails); a field present with a null value is a null key field. Values must be of a
 * type {@link KeyHasher#put(Object)} accepts. {@code headroom.partitioner.unordered.field} is
 * read from the map too, compared as {@code String.valueOf(value)}.
 *
 * <p>Thread-safety: immutable after {@link #configure}.
 */
public final class MapKeyExtractor implements KeyExtractor {

  private volatile List<String> fields = List.of();
  private volatile UnorderedRule unordered = UnorderedRule.NONE;
  private volatile boolean ordered = true;

  /** Creates the extractor (Kafka instantiates it from the config). */
  public MapKeyExtractor() {}

  @Override
  public void configure(Map<String, ?> configs) {
    HeadroomPartitionerConfig config = new HeadroomPartitionerConfig(configs);
    this.fields = List.copyOf(config.keyFields());
    this.unordered = UnorderedRule.of(config);
    this.ordered = config.keyOrdered();
  }

  /**
   * Writes the configured fields of a map value, stopping at the first absent one.
   *
   * @throws IllegalArgumentException if a field's value has an unsupported type
   */
  @Override
  public boolean extract(String topic, Object key, byte[] keyBytes, Object value,
      byte[] valueBytes, Headers headers, KeyHasher out) {
    if (!(value instanceof Map)) {
      return true; // no field at all: reported as the first field missing
    }
    Map<?, ?> map = (Map<?, ?>) value;
    for (String field : fields) {
      Object v = map.get(field);
      if (v == null && !map.containsKey(field)) {
        return true;
      }
      out.put(v);
    }
    UnorderedRule rule = unordered;
    if (rule.active()) {
      Object v = map.get(rule.field);
      if (v != null) {
        String text = String.valueOf(v);
        if (rule.matches(text, 0, text.length())) {
          return false;
        }
      }
    }
    return ordered;
  }
}
