package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.partition.HashMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class HeadroomPartitionerConfigTest {

  private static String rejected(Map<String, Object> configs) {
    HeadroomPartitioner partitioner = new HeadroomPartitioner();
    return assertThrows(ConfigException.class, () -> partitioner.configure(configs)).getMessage();
  }

  private static Map<String, Object> with(String key, Object value) {
    Map<String, Object> m = new HashMap<>();
    m.put("bootstrap.servers", "127.0.0.1:9");
    m.put(key, value);
    return m;
  }

  @Test
  void defaultsNeedNoProperty() {
    HeadroomPartitionerConfig c = new HeadroomPartitionerConfig(Map.of());
    assertEquals(HashMode.KAFKA_COMPATIBLE, c.hashMode());
    assertEquals(false, c.spreading());
    assertEquals(12, c.fanout(12));
    assertEquals(2, c.choices());
    assertEquals(1.0 / 192, c.threshold(12));
    assertEquals("key", c.keySource());
    assertEquals(true, c.keyOrdered());
    assertEquals(10_000L, c.windowMs());
    assertEquals(16, c.sampleEvery());
    assertEquals("headroom", c.name());
    assertEquals(List.of(), c.keyFields());
    assertEquals(HashMode.FAST,
        new HeadroomPartitionerConfig(with("headroom.partitioner.hash.mode", "fast")).hashMode());
  }

  @Test
  void aBadValueNamesTheKeyAndTheValue() {
    assertEquals("Invalid value md5 for configuration headroom.partitioner.hash.mode: String must "
        + "be one of: kafka-compatible, fast",
        rejected(with("headroom.partitioner.hash.mode", "md5")));
    assertEquals("Invalid value 1 for configuration headroom.partitioner.spread.fanout: Value "
        + "must be at least 2", rejected(with("headroom.partitioner.spread.fanout", "1")));
    assertEquals("Invalid value 1.0E-4 for configuration headroom.partitioner.hotkey.threshold: "
        + "Value must be at least 0.001",
        rejected(with("headroom.partitioner.hotkey.threshold", "0.0001")));
    assertEquals("Invalid value 3 for configuration headroom.partitioner.hotkey.sample.every: "
        + "must be a power of two in [1, 1024]",
        rejected(with("headroom.partitioner.hotkey.sample.every", "3")));
    assertEquals("Invalid value yes for configuration headroom.partitioner.spread.enabled: "
        + "Expected value to be either true or false",
        rejected(with("headroom.partitioner.spread.enabled", "yes")));
    assertEquals("Invalid value java.lang.String for configuration "
        + "headroom.partitioner.key.extractor: must implement dev.headroom.kafka.KeyExtractor",
        rejected(with("headroom.partitioner.key.extractor", "java.lang.String")));
    assertTrue(rejected(with("headroom.partitioner.key.extractor", "no.such.Extractor"))
        .contains("no.such.Extractor"));
  }

  @Test
  void conflictingValuesNameTheKeyAndTheValue() {
    Map<String, Object> choices = with("headroom.partitioner.spread.fanout", "3");
    choices.put("headroom.partitioner.spread.choices", "4");
    assertEquals("Invalid value 4 for configuration headroom.partitioner.spread.choices: must be "
        + "<= headroom.partitioner.spread.fanout (3)", rejected(choices));

    Map<String, Object> noExtractor = with("headroom.partitioner.key.source", "extractor");
    noExtractor.put("headroom.partitioner.key.fields", "member_id");
    assertEquals("Invalid value null for configuration headroom.partitioner.key.extractor: is "
        + "required when headroom.partitioner.key.source=extractor", rejected(noExtractor));

    Map<String, Object> noFields = with("headroom.partitioner.key.source", "extractor");
    noFields.put("headroom.partitioner.key.extractor", MapKeyExtractor.class.getName());
    assertEquals("Invalid value [] for configuration headroom.partitioner.key.fields: must name "
        + "at least one field when headroom.partitioner.key.source=value.json",
        rejected(with("headroom.partitioner.key.source", "value.json")));
    // An extractor of one's own may ignore key.fields.
    new HeadroomPartitioner().configure(noFields);

    Map<String, Object> header = with("headroom.partitioner.key.source", "header");
    header.put("headroom.partitioner.key.fields", "tenant");
    assertEquals("Invalid value null for configuration interceptor.classes: must include "
        + "dev.headroom.kafka.KeyHeadersInterceptor when headroom.partitioner.key.source=header "
        + "(Kafka does not pass headers to a partitioner)", rejected(header));

    Map<String, Object> unordered = with("headroom.partitioner.key.source", "value.json");
    unordered.put("headroom.partitioner.key.fields", "plan_id");
    unordered.put("headroom.partitioner.unordered.field", "event_type");
    assertEquals("Invalid value [] for configuration headroom.partitioner.unordered.values: must "
        + "name at least one value when headroom.partitioner.unordered.field is set",
        rejected(unordered));

    Map<String, Object> blank = with("headroom.partitioner.key.fields", "a,,b");
    assertEquals("Invalid value [a, , b] for configuration headroom.partitioner.key.fields: must "
        + "not contain an empty field name", rejected(blank));
  }
}
