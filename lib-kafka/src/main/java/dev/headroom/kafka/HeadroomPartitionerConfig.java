package dev.headroom.kafka;

import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyPartitionerConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The producer properties of {@link HeadroomPartitioner}, all prefixed
 * {@code headroom.partitioner.}, parsed and validated by a Kafka {@link ConfigDef}. A bad value
 * is a {@link ConfigException} naming the key and the value, thrown when the producer is
 * created.
 *
 * <p>Thread-safety: immutable.
 */
public final class HeadroomPartitionerConfig extends AbstractConfig {

  static final String PREFIX = "headroom.partitioner.";

  /** Where the key fields come from. */
  public static final String KEY_SOURCE_CONFIG = PREFIX + "key.source";
  /** Documentation of {@link #KEY_SOURCE_CONFIG}. */
  public static final String KEY_SOURCE_DOC = "Where the key's fields come from: 'key' (the "
      + "record key: a String or byte[] is one field, hashed as Kafka hashes it; a String split "
      + "by " + PREFIX + "key.delimiter when that is set; a dev.headroom.partition.CompositeKey; "
      + "any other key by its serialized bytes), 'value.json' (the fields named in " + PREFIX
      + "key.fields, read from the serialized value as JSON), 'value.map' (read from a Map "
      + "value), 'header' (read from the record's headers; needs " + "interceptor.classes to "
      + "include dev.headroom.kafka.KeyHeadersInterceptor) or 'extractor' (the class in " + PREFIX
      + "key.extractor).";
  /** Default of {@link #KEY_SOURCE_CONFIG}. */
  public static final String KEY_SOURCE_DEFAULT = "key";

  /** The delimiter of a delimited String key. */
  public static final String KEY_DELIMITER_CONFIG = PREFIX + "key.delimiter";
  /** Documentation of {@link #KEY_DELIMITER_CONFIG}. */
  public static final String KEY_DELIMITER_DOC = "With key.source=key: a String record key is "
      + "split at this text into the parts named by " + PREFIX + "key.fields, in order (e.g. "
      + "'|' for tenant|member_id|event_type). A key with fewer or more parts fails the send.";

  /** Whether records require ordering unless they say otherwise. */
  public static final String KEY_ORDERED_CONFIG = PREFIX + "key.ordered";
  /** Documentation of {@link #KEY_ORDERED_CONFIG}. */
  public static final String KEY_ORDERED_DOC = "true: a record keeps its key's order (never "
      + "spread) unless its CompositeKey is unordered, its extractor says so, or "
      + PREFIX + "unordered.field matches; false: every record of this producer declares no "
      + "ordering, so its key may be spread while hot.";
  /** Default of {@link #KEY_ORDERED_CONFIG}. */
  public static final boolean KEY_ORDERED_DEFAULT = true;

  /** The field whose values mark a record unordered. */
  public static final String UNORDERED_FIELD_CONFIG = PREFIX + "unordered.field";
  /** Documentation of {@link #UNORDERED_FIELD_CONFIG}. */
  public static final String UNORDERED_FIELD_DOC = "A field read from the same place as the key "
      + "fields (JSON value, Map value, header or delimited part); a record whose value of it is "
      + "one of " + PREFIX + "unordered.values declares no ordering (e.g. event_type with SYNC).";

  /** The values of the unordered field that mark a record unordered. */
  public static final String UNORDERED_VALUES_CONFIG = PREFIX + "unordered.values";
  /** Documentation of {@link #UNORDERED_VALUES_CONFIG}. */
  public static final String UNORDERED_VALUES_DOC = "The values of " + PREFIX
      + "unordered.field that mark a record unordered, compared as text.";

  /** The extractor class. */
  public static final String KEY_EXTRACTOR_CONFIG = PREFIX + "key.extractor";
  /** Documentation of {@link #KEY_EXTRACTOR_CONFIG}. */
  public static final String KEY_EXTRACTOR_DOC = "A dev.headroom.kafka.KeyExtractor with a public "
      + "no-arg constructor, loaded as Kafka loads its own plug-ins (a Class value as given; a "
      + "name through the context class loader, else Kafka's, else Headroom's own); required "
      + "when " + PREFIX + "key.source=extractor.";

  /** The key fields, in order. */
  public static final String KEY_FIELDS_CONFIG = PREFIX + "key.fields";
  /** Documentation of {@link #KEY_FIELDS_CONFIG}. */
  public static final String KEY_FIELDS_DOC = "The names of the fields that form the key, in "
      + "order, e.g. member_id,event_type; required for value.json, value.map and header, and "
      + "with a key.delimiter. With key.source=key it is otherwise optional; when set, every "
      + "CompositeKey must have exactly that many fields. An extractor may ignore it.";
  /** Default of {@link #KEY_FIELDS_CONFIG}: none. */
  public static final String KEY_FIELDS_DEFAULT = "";

  /** The hash mode. */
  public static final String HASH_MODE_CONFIG = PREFIX + "hash.mode";
  /** Documentation of {@link #HASH_MODE_CONFIG}. */
  public static final String HASH_MODE_DOC = "'kafka-compatible': murmur2 of the key's canonical "
      + "bytes, the partition Kafka's built-in partitioner gives the same key bytes; 'fast': a "
      + "faster 64-bit hash for new topics whose producers all use Headroom.";
  /** Default of {@link #HASH_MODE_CONFIG}. */
  public static final String HASH_MODE_DEFAULT = "kafka-compatible";

  /** Hot-key spreading on or off. */
  public static final String SPREAD_ENABLED_CONFIG = PREFIX + "spread.enabled";
  /** Documentation of {@link #SPREAD_ENABLED_CONFIG}. */
  public static final String SPREAD_ENABLED_DOC = "Spread the records of hot keys that declare no "
      + "ordering (CompositeKey.unordered, or KeyExtractor.orderingRequired false) over several "
      + "partitions. Keys that require ordering always stay on their one partition.";
  /** Default of {@link #SPREAD_ENABLED_CONFIG}. */
  public static final boolean SPREAD_ENABLED_DEFAULT = false;

  /** How many partitions a spread key may use. */
  public static final String SPREAD_FANOUT_CONFIG = PREFIX + "spread.fanout";
  /** Documentation of {@link #SPREAD_FANOUT_CONFIG}. */
  public static final String SPREAD_FANOUT_DOC = "The most partitions one spread hot key may "
      + "use (each uses about 2 x share x partitions of them, the least loaded); by default "
      + "every partition of the topic; capped at the topic's partition count.";

  /** How many of them are compared per record. */
  public static final String SPREAD_CHOICES_CONFIG = PREFIX + "spread.choices";
  /** Documentation of {@link #SPREAD_CHOICES_CONFIG}. */
  public static final String SPREAD_CHOICES_DOC = "How many of a hot key's partitions are compared "
      + "per record (the least loaded wins); at most the fanout.";
  /** Default of {@link #SPREAD_CHOICES_CONFIG}. */
  public static final int SPREAD_CHOICES_DEFAULT = 2;

  /** The hot-key threshold. */
  public static final String HOTKEY_THRESHOLD_CONFIG = PREFIX + "hotkey.threshold";
  /** Documentation of {@link #HOTKEY_THRESHOLD_CONFIG}. */
  public static final String HOTKEY_THRESHOLD_DOC = "The share of a topic's recent traffic at or "
      + "above which a key is hot, in [0.001, 1]; by default a sixteenth of one partition's "
      + "fair share, 1 / (16 x partitions), at least 0.001, set per topic.";

  /** The window's half-life. */
  public static final String HOTKEY_WINDOW_MS_CONFIG = PREFIX + "hotkey.window.ms";
  /** Documentation of {@link #HOTKEY_WINDOW_MS_CONFIG}. */
  public static final String HOTKEY_WINDOW_MS_DOC = "Half-life in milliseconds of the decaying "
      + "window over which key shares and partition loads are measured.";
  /** Default of {@link #HOTKEY_WINDOW_MS_CONFIG}. */
  public static final long HOTKEY_WINDOW_MS_DEFAULT = 10_000L;

  /** The sampling. */
  public static final String HOTKEY_SAMPLE_EVERY_CONFIG = PREFIX + "hotkey.sample.every";
  /** Documentation of {@link #HOTKEY_SAMPLE_EVERY_CONFIG}. */
  public static final String HOTKEY_SAMPLE_EVERY_DOC = "One record in this many (at random) feeds "
      + "the hot-key sketch; a power of two in [1, 1024].";
  /** Default of {@link #HOTKEY_SAMPLE_EVERY_CONFIG}. */
  public static final int HOTKEY_SAMPLE_EVERY_DEFAULT = 16;

  /** The name of this partitioner's meters and of its lookup. */
  public static final String NAME_CONFIG = PREFIX + "name";
  /** Documentation of {@link #NAME_CONFIG}. */
  public static final String NAME_DOC = "The name tag of the headroom.partition.* meters, and the "
      + "name HeadroomPartitioner.find(name) looks the partitioner up by.";
  /** Default of {@link #NAME_CONFIG}. */
  public static final String NAME_DEFAULT = "headroom";

  /** A validator for a property whose absence means "derived per topic". */
  private static ConfigDef.Validator orUnset(ConfigDef.Validator validator) {
    return (name, value) -> {
      if (value != null) {
        validator.ensureValid(name, value);
      }
    };
  }

  private static final ConfigDef.Validator POWER_OF_TWO = (name, value) -> {
    int v = (Integer) value;
    if (v < 1 || v > 1024 || Integer.bitCount(v) != 1) {
      throw new ConfigException(name, value, "must be a power of two in [1, 1024]");
    }
  };

  private static final ConfigDef.Validator EXTRACTOR_CLASS = (name, value) -> {
    if (value != null && !KeyExtractor.class.isAssignableFrom((Class<?>) value)) {
      throw new ConfigException(name, ((Class<?>) value).getName(),
          "must implement " + KeyExtractor.class.getName());
    }
  };

  /** The definition of every property. */
  public static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(KEY_SOURCE_CONFIG, Type.STRING, KEY_SOURCE_DEFAULT,
          ValidString.in("key", "value.json", "value.map", "header", "extractor"), Importance.HIGH,
          KEY_SOURCE_DOC)
      .define(KEY_DELIMITER_CONFIG, Type.STRING, null, Importance.MEDIUM, KEY_DELIMITER_DOC)
      .define(KEY_ORDERED_CONFIG, Type.BOOLEAN, KEY_ORDERED_DEFAULT, Importance.MEDIUM,
          KEY_ORDERED_DOC)
      .define(UNORDERED_FIELD_CONFIG, Type.STRING, null, Importance.MEDIUM, UNORDERED_FIELD_DOC)
      .define(UNORDERED_VALUES_CONFIG, Type.LIST, "", Importance.MEDIUM, UNORDERED_VALUES_DOC)
      .define(KEY_EXTRACTOR_CONFIG, Type.CLASS, null, EXTRACTOR_CLASS, Importance.HIGH,
          KEY_EXTRACTOR_DOC)
      .define(KEY_FIELDS_CONFIG, Type.LIST, KEY_FIELDS_DEFAULT, Importance.HIGH, KEY_FIELDS_DOC)
      .define(HASH_MODE_CONFIG, Type.STRING, HASH_MODE_DEFAULT,
          ValidString.in("kafka-compatible", "fast"), Importance.HIGH, HASH_MODE_DOC)
      .define(SPREAD_ENABLED_CONFIG, Type.BOOLEAN, SPREAD_ENABLED_DEFAULT, Importance.MEDIUM,
          SPREAD_ENABLED_DOC)
      .define(SPREAD_FANOUT_CONFIG, Type.INT, null, orUnset(Range.atLeast(2)),
          Importance.MEDIUM, SPREAD_FANOUT_DOC)
      .define(SPREAD_CHOICES_CONFIG, Type.INT, SPREAD_CHOICES_DEFAULT, Range.atLeast(2),
          Importance.LOW, SPREAD_CHOICES_DOC)
      .define(HOTKEY_THRESHOLD_CONFIG, Type.DOUBLE, null,
          orUnset(Range.between(0.001, 1.0)), Importance.MEDIUM, HOTKEY_THRESHOLD_DOC)
      .define(HOTKEY_WINDOW_MS_CONFIG, Type.LONG, HOTKEY_WINDOW_MS_DEFAULT, Range.atLeast(1),
          Importance.LOW, HOTKEY_WINDOW_MS_DOC)
      .define(HOTKEY_SAMPLE_EVERY_CONFIG, Type.INT, HOTKEY_SAMPLE_EVERY_DEFAULT, POWER_OF_TWO,
          Importance.LOW, HOTKEY_SAMPLE_EVERY_DOC)
      .define(NAME_CONFIG, Type.STRING, NAME_DEFAULT, new ConfigDef.NonEmptyStringWithoutControlChars(),
          Importance.LOW, NAME_DOC);

  /**
   * Parses and validates the producer's properties (keys without the prefix are ignored).
   *
   * @param originals the producer's configs
   * @throws ConfigException naming the key and the value of the first bad property, or of a
   *     property that conflicts with another
   */
  public HeadroomPartitionerConfig(Map<String, ?> originals) {
    super(CONFIG_DEF, originals, false);
    String source = keySource();
    if (source.equals("extractor") && getClass(KEY_EXTRACTOR_CONFIG) == null) {
      throw new ConfigException(KEY_EXTRACTOR_CONFIG, null,
          "is required when " + KEY_SOURCE_CONFIG + "=extractor");
    }
    boolean namesNeeded = source.equals("value.json") || source.equals("value.map")
        || source.equals("header") || (source.equals("key") && keyDelimiter() != null);
    if (namesNeeded && keyFields().isEmpty()) {
      throw new ConfigException(KEY_FIELDS_CONFIG, getList(KEY_FIELDS_CONFIG),
          "must name at least one field when " + KEY_SOURCE_CONFIG + "=" + source
          + (source.equals("key") ? " with " + KEY_DELIMITER_CONFIG : ""));
    }
    if (keyDelimiter() != null && keyDelimiter().isEmpty()) {
      throw new ConfigException(KEY_DELIMITER_CONFIG, "", "must not be empty");
    }
    for (String field : keyFields()) {
      if (field.isBlank()) {
        throw new ConfigException(KEY_FIELDS_CONFIG, getList(KEY_FIELDS_CONFIG),
            "must not contain an empty field name");
      }
    }
    if (unorderedField() != null) {
      if (source.equals("extractor") || (source.equals("key") && keyDelimiter() == null)) {
        throw new ConfigException(UNORDERED_FIELD_CONFIG, unorderedField(), "needs a named "
            + "field to read: " + KEY_SOURCE_CONFIG + " value.json, value.map, header, or key "
            + "with " + KEY_DELIMITER_CONFIG);
      }
      if (getList(UNORDERED_VALUES_CONFIG).isEmpty()) {
        throw new ConfigException(UNORDERED_VALUES_CONFIG, getList(UNORDERED_VALUES_CONFIG),
            "must name at least one value when " + UNORDERED_FIELD_CONFIG + " is set");
      }
      if (source.equals("key") && !keyFields().contains(unorderedField())) {
        throw new ConfigException(UNORDERED_FIELD_CONFIG, unorderedField(),
            "must be one of the delimited parts " + keyFields());
      }
    }
    Integer fanout = getInt(SPREAD_FANOUT_CONFIG);
    if (fanout != null && choices() > fanout) {
      throw new ConfigException(SPREAD_CHOICES_CONFIG, choices(),
          "must be <= " + SPREAD_FANOUT_CONFIG + " (" + fanout + ")");
    }
  }

  /**
   * Returns where the key fields come from.
   *
   * @return key, value.json, value.map, header or extractor
   */
  public String keySource() {
    return getString(KEY_SOURCE_CONFIG);
  }

  /**
   * Returns whether the fields come from a configured extractor class.
   *
   * @return true for {@code key.source=extractor}
   */
  public boolean keyFromExtractor() {
    return keySource().equals("extractor");
  }

  /**
   * Returns the configured key fields.
   *
   * @return the names, possibly empty
   */
  public List<String> keyFields() {
    return getList(KEY_FIELDS_CONFIG);
  }

  /**
   * Returns the delimiter of a delimited String key.
   *
   * @return the delimiter, or null when String keys are one field
   */
  public String keyDelimiter() {
    return getString(KEY_DELIMITER_CONFIG);
  }

  /**
   * Returns whether records keep their key's order unless they declare otherwise.
   *
   * @return the flag
   */
  public boolean keyOrdered() {
    return getBoolean(KEY_ORDERED_CONFIG);
  }

  /**
   * Returns the field whose values mark a record unordered.
   *
   * @return the field, or null
   */
  public String unorderedField() {
    return getString(UNORDERED_FIELD_CONFIG);
  }

  /**
   * Returns the values of {@link #unorderedField()} that mark a record unordered.
   *
   * @return the values, possibly empty
   */
  public List<String> unorderedValues() {
    return getList(UNORDERED_VALUES_CONFIG);
  }

  /**
   * Returns the hash mode.
   *
   * @return the mode
   */
  public HashMode hashMode() {
    return HashMode.valueOf(getString(HASH_MODE_CONFIG).toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /**
   * Returns whether spreading is on.
   *
   * @return the flag
   */
  public boolean spreading() {
    return getBoolean(SPREAD_ENABLED_CONFIG);
  }

  /**
   * Returns the fanout cap for a topic of {@code partitions} partitions.
   *
   * @param partitions the topic's partition count
   * @return the configured fanout, or every partition, capped at {@code max(2, partitions)}
   */
  public int fanout(int partitions) {
    Integer f = getInt(SPREAD_FANOUT_CONFIG);
    int cap = Math.max(2, partitions);
    return f == null ? cap : Math.min(f, cap);
  }

  /**
   * Returns the configured choices.
   *
   * @return in {@code [2, fanout]}
   */
  public int choices() {
    return getInt(SPREAD_CHOICES_CONFIG);
  }

  /**
   * Returns the hot-key threshold for a topic of {@code partitions} partitions.
   *
   * @param partitions the topic's partition count
   * @return the configured threshold, or {@link KeyPartitionerConfig#defaultHotKeyThreshold}
   */
  public double threshold(int partitions) {
    Double t = getDouble(HOTKEY_THRESHOLD_CONFIG);
    return t != null ? t : KeyPartitionerConfig.defaultHotKeyThreshold(partitions);
  }

  /**
   * Returns the window's half-life.
   *
   * @return milliseconds, at least 1
   */
  public long windowMs() {
    return getLong(HOTKEY_WINDOW_MS_CONFIG);
  }

  /**
   * Returns the sampling.
   *
   * @return a power of two in {@code [1, 1024]}
   */
  public int sampleEvery() {
    return getInt(HOTKEY_SAMPLE_EVERY_CONFIG);
  }

  /**
   * Returns the partitioner's name.
   *
   * @return non-empty
   */
  public String name() {
    return getString(NAME_CONFIG);
  }
}
