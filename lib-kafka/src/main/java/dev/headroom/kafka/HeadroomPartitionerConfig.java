package dev.headroom.kafka;

import dev.headroom.partition.HashMode;
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
  public static final String KEY_SOURCE_DOC = "Where the composite key's fields come from: 'key' "
      + "(the record key is a dev.headroom.partition.CompositeKey, serialized with "
      + "CompositeKeySerializer) or 'extractor' (the class in " + PREFIX + "key.extractor reads the "
      + "fields named in " + PREFIX + "key.fields from the record).";
  /** Default of {@link #KEY_SOURCE_CONFIG}. */
  public static final String KEY_SOURCE_DEFAULT = "key";

  /** The extractor class. */
  public static final String KEY_EXTRACTOR_CONFIG = PREFIX + "key.extractor";
  /** Documentation of {@link #KEY_EXTRACTOR_CONFIG}. */
  public static final String KEY_EXTRACTOR_DOC = "A dev.headroom.kafka.KeyExtractor with a public "
      + "no-arg constructor; required when " + PREFIX + "key.source=extractor.";

  /** The key fields, in order. */
  public static final String KEY_FIELDS_CONFIG = PREFIX + "key.fields";
  /** Documentation of {@link #KEY_FIELDS_CONFIG}. */
  public static final String KEY_FIELDS_DOC = "The names of the fields that form the key, in "
      + "order, e.g. member_id,event_type; required when " + PREFIX + "key.source=extractor. "
      + "With key.source=key it is optional; when set, every CompositeKey must have exactly "
      + "that many fields.";
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
  public static final String SPREAD_FANOUT_DOC = "How many partitions a spread hot key may use, "
      + "its home partition among them; capped at the topic's partition count.";
  /** Default of {@link #SPREAD_FANOUT_CONFIG}. */
  public static final int SPREAD_FANOUT_DEFAULT = 4;

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
      + "above which a key is hot, in [0.001, 1].";
  /** Default of {@link #HOTKEY_THRESHOLD_CONFIG}. */
  public static final double HOTKEY_THRESHOLD_DEFAULT = 0.02;

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
          ValidString.in("key", "extractor"), Importance.HIGH, KEY_SOURCE_DOC)
      .define(KEY_EXTRACTOR_CONFIG, Type.CLASS, null, EXTRACTOR_CLASS, Importance.HIGH,
          KEY_EXTRACTOR_DOC)
      .define(KEY_FIELDS_CONFIG, Type.LIST, KEY_FIELDS_DEFAULT, Importance.HIGH, KEY_FIELDS_DOC)
      .define(HASH_MODE_CONFIG, Type.STRING, HASH_MODE_DEFAULT,
          ValidString.in("kafka-compatible", "fast"), Importance.HIGH, HASH_MODE_DOC)
      .define(SPREAD_ENABLED_CONFIG, Type.BOOLEAN, SPREAD_ENABLED_DEFAULT, Importance.MEDIUM,
          SPREAD_ENABLED_DOC)
      .define(SPREAD_FANOUT_CONFIG, Type.INT, SPREAD_FANOUT_DEFAULT, Range.atLeast(2),
          Importance.MEDIUM, SPREAD_FANOUT_DOC)
      .define(SPREAD_CHOICES_CONFIG, Type.INT, SPREAD_CHOICES_DEFAULT, Range.atLeast(2),
          Importance.LOW, SPREAD_CHOICES_DOC)
      .define(HOTKEY_THRESHOLD_CONFIG, Type.DOUBLE, HOTKEY_THRESHOLD_DEFAULT,
          Range.between(0.001, 1.0), Importance.MEDIUM, HOTKEY_THRESHOLD_DOC)
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
    if (keyFromExtractor()) {
      if (getClass(KEY_EXTRACTOR_CONFIG) == null) {
        throw new ConfigException(KEY_EXTRACTOR_CONFIG, null,
            "is required when " + KEY_SOURCE_CONFIG + "=extractor");
      }
      if (keyFields().isEmpty()) {
        throw new ConfigException(KEY_FIELDS_CONFIG, getList(KEY_FIELDS_CONFIG),
            "must name at least one field when " + KEY_SOURCE_CONFIG + "=extractor");
      }
    }
    for (String field : keyFields()) {
      if (field.isBlank()) {
        throw new ConfigException(KEY_FIELDS_CONFIG, getList(KEY_FIELDS_CONFIG),
            "must not contain an empty field name");
      }
    }
    if (choices() > fanout()) {
      throw new ConfigException(SPREAD_CHOICES_CONFIG, choices(),
          "must be <= " + SPREAD_FANOUT_CONFIG + " (" + fanout() + ")");
    }
  }

  /**
   * Returns whether the fields come from an extractor rather than a {@code CompositeKey} key.
   *
   * @return true for {@code key.source=extractor}
   */
  public boolean keyFromExtractor() {
    return getString(KEY_SOURCE_CONFIG).equals("extractor");
  }

  /**
   * Returns the configured key fields.
   *
   * @return the names, possibly empty when the key is a {@code CompositeKey}
   */
  public List<String> keyFields() {
    return getList(KEY_FIELDS_CONFIG);
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
   * Returns the configured fanout.
   *
   * @return at least 2
   */
  public int fanout() {
    return getInt(SPREAD_FANOUT_CONFIG);
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
   * Returns the hot-key threshold.
   *
   * @return in {@code [0.001, 1]}
   */
  public double threshold() {
    return getDouble(HOTKEY_THRESHOLD_CONFIG);
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
