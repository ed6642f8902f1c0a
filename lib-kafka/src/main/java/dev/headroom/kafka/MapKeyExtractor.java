package dev.headroom.kafka;

import dev.headroom.partition.KeyHasher;
import java.util.List;
import java.util.Map;

/**
 * A {@link KeyExtractor} for records whose value is a {@link Map} (for example JSON decoded to a
 * map): reads the configured field names as map keys. A field absent from the map is missing
 * (the send fails); a field present with a null value is a null key field. Values must be of a
 * type {@link KeyHasher#put(Object)} accepts.
 *
 * <p>Thread-safety: immutable after {@link #configure}.
 */
public final class MapKeyExtractor implements KeyExtractor {

  private volatile List<String> fields = List.of();

  /** Creates the extractor (Kafka instantiates it from the config). */
  public MapKeyExtractor() {}

  @Override
  public void configure(List<String> fields) {
    this.fields = List.copyOf(fields);
  }

  /**
   * Writes the configured fields of a map value, stopping at the first absent one.
   *
   * @throws IllegalArgumentException if a field's value has an unsupported type
   */
  @Override
  public void extract(Object key, Object value, KeyHasher out) {
    if (!(value instanceof Map)) {
      return; // no field at all: reported as the first field missing
    }
    Map<?, ?> map = (Map<?, ?>) value;
    for (String field : fields) {
      Object v = map.get(field);
      if (v == null && !map.containsKey(field)) {
        return;
      }
      out.put(v);
    }
  }
}
