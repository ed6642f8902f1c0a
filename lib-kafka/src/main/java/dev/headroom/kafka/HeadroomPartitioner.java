package dev.headroom.kafka;

import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.partition.CompositeKey;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import dev.headroom.partition.KeyPartitioner;
import dev.headroom.partition.KeyPartitionerConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.Utils;

/**
 * A Kafka {@link Partitioner} that partitions by a composite key of several fields, finds hot
 * keys and spreads the hot keys that declare no ordering: a thin adapter over
 * {@link KeyPartitioner}, one per topic.
 *
 * <pre>{@code
 * partitioner.class=dev.headroom.kafka.HeadroomPartitioner
 * key.serializer=org.apache.kafka.common.serialization.StringSerializer
 * headroom.partitioner.key.source=value.json
 * headroom.partitioner.key.fields=member_id,event_type
 * headroom.partitioner.unordered.field=event_type
 * headroom.partitioner.unordered.values=SYNC
 * headroom.partitioner.spread.enabled=true
 * }</pre>
 *
 * <p>Every setting is a producer property prefixed {@code headroom.partitioner.}, listed with
 * its default and validator in {@link HeadroomPartitionerConfig}. The key fields come from
 * ({@code key.source}):
 *
 * <ul>
 * <li>{@code key} (the default): the record key. A {@code String} or {@code byte[]} key is one
 *     field and lands exactly where Kafka's default partitioner puts it (a {@code String} as the
 *     UTF-8 bytes {@code StringSerializer} writes; with another key serializer, any key is
 *     hashed by its serialized bytes, which is what Kafka hashes). With {@code key.delimiter}, a
 *     {@code String} key is split into the parts named by {@code key.fields}. A
 *     {@link CompositeKey} is its fields.
 * <li>{@code value.json}: the named members of the serialized JSON value
 *     ({@link JsonKeyExtractor}).
 * <li>{@code value.map}: the named entries of a {@code Map} value ({@link MapKeyExtractor}).
 * <li>{@code header}: the named headers ({@link HeaderKeyExtractor}; needs
 *     {@link KeyHeadersInterceptor}).
 * <li>{@code extractor}: a {@link KeyExtractor} class of your own, loaded through Kafka's
 *     configuration ({@code getConfiguredInstance}).
 * </ul>
 *
 * <p>A record that lacks a key field, or has no usable key, fails {@code send()} with a
 * {@link MissingKeyFieldException} naming the field and the topic: it is never sent to a
 * default partition. Records keep their key's order unless they declare otherwise:
 * {@code CompositeKey.unordered}, an extractor returning false, {@code unordered.field} with
 * {@code unordered.values}, or {@code key.ordered=false} for every record of the producer.
 *
 * <p>The ordering guarantee is {@link KeyPartitioner}'s: a key that requires ordering always has
 * one partition (in {@code kafka-compatible} mode, the partition Kafka's built-in partitioner
 * gives its serialized bytes); only records declared unordered are spread while their key is
 * hot.
 *
 * <p>The producer may call {@link #partition} more than once for one record (when a batch is
 * full it asks again for the new batch). Each sending thread remembers the last record it
 * partitioned, by identity of the topic, key, value and serialized arrays: a repeated call for
 * the same record returns the same partition and is not counted again. (Two consecutive sends of
 * the very same objects on one thread are therefore counted once and never spread apart.)
 *
 * <p>Thread-safety: thread-safe; Kafka calls it from every thread that sends.
 */
public final class HeadroomPartitioner implements Partitioner, Instrumented {

  private static final Map<String, HeadroomPartitioner> REGISTRY = new ConcurrentHashMap<>();

  private HeadroomPartitionerConfig config;
  private HashMode mode;
  private KeyExtractor extractor;
  private List<String> fields;
  private boolean keyOrdered;
  private String delimiter;
  private UnorderedRule unordered = UnorderedRule.NONE;
  private boolean stringKeysAsUtf8;
  private final Map<String, KeyPartitioner> topics = new ConcurrentHashMap<>();
  private volatile TopicState last = new TopicState("", 0, null);
  private ThreadLocal<Memo> memo;

  /** Creates an unconfigured partitioner; Kafka calls {@link #configure} next. */
  public HeadroomPartitioner() {}

  /**
   * Reads the {@code headroom.partitioner.*} properties.
   *
   * @param configs the producer's configs
   * @throws ConfigException naming the key and value of a bad or conflicting property
   */
  @Override
  public void configure(Map<String, ?> configs) {
    Map<String, Object> resolved = new HashMap<>(configs);
    Object named = configs.get(HeadroomPartitionerConfig.KEY_EXTRACTOR_CONFIG);
    if (named instanceof String) {
      Class<?> found = loadClass(((String) named).trim());
      if (found != null) {
        resolved.put(HeadroomPartitionerConfig.KEY_EXTRACTOR_CONFIG, found);
      }
    }
    HeadroomPartitionerConfig c = new HeadroomPartitionerConfig(resolved);
    this.config = c;
    this.mode = c.hashMode();
    this.fields = List.copyOf(c.keyFields());
    this.keyOrdered = c.keyOrdered();
    this.delimiter = c.keyDelimiter();
    this.unordered = UnorderedRule.of(c);
    this.stringKeysAsUtf8 = stringSerializerWithUtf8(configs);
    switch (c.keySource()) {
      case "value.json":
        this.extractor = new JsonKeyExtractor();
        break;
      case "value.map":
        this.extractor = new MapKeyExtractor();
        break;
      case "header":
        requireInterceptor(configs);
        this.extractor = new HeaderKeyExtractor();
        break;
      case "extractor":
        // Kafka's own plug-in machinery: instantiates the class and, since every KeyExtractor
        // is Configurable, calls configure with the producer's properties.
        this.extractor = c.getConfiguredInstance(HeadroomPartitionerConfig.KEY_EXTRACTOR_CONFIG,
            KeyExtractor.class, Map.of());
        break;
      default:
        this.extractor = null;
        break;
    }
    if (extractor != null && !c.keyFromExtractor()) {
      extractor.configure(resolved);
    }
    HashMode m = mode;
    this.memo = ThreadLocal.withInitial(() -> new Memo(KeyHasher.create(m)));
    REGISTRY.put(c.name(), this);
  }

  /**
   * Kafka's class loader rule for plug-ins named by a string (the thread's context class loader,
   * else Kafka's own), then the loader of this partitioner, which Kafka found through
   * {@code partitioner.class}: null when none of them has the class (Kafka's config parsing then
   * reports it, naming the property and the class).
   */
  static Class<?> loadClass(String name) {
    try {
      return Class.forName(name, true, Utils.getContextOrKafkaClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      try {
        return Class.forName(name, true, HeadroomPartitioner.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError again) {
        return null;
      }
    }
  }

  private static void requireInterceptor(Map<String, ?> configs) {
    Object v = configs.get("interceptor.classes");
    String list = v instanceof Class ? ((Class<?>) v).getName() : String.valueOf(v);
    if (v instanceof List) {
      StringBuilder sb = new StringBuilder();
      for (Object o : (List<?>) v) {
        sb.append(o instanceof Class ? ((Class<?>) o).getName() : String.valueOf(o)).append(',');
      }
      list = sb.toString();
    }
    if (!list.contains(KeyHeadersInterceptor.class.getName())) {
      throw new ConfigException("interceptor.classes", v, "must include "
          + KeyHeadersInterceptor.class.getName() + " when "
          + HeadroomPartitionerConfig.KEY_SOURCE_CONFIG + "=header (Kafka does not pass headers "
          + "to a partitioner)");
    }
  }

  /**
   * Whether String keys are serialized as their UTF-8 bytes: {@code key.serializer} is Kafka's
   * {@code StringSerializer} (or unset) with no other encoding configured. Otherwise String keys
   * are hashed by their serialized bytes, which is what Kafka hashes.
   */
  private static boolean stringSerializerWithUtf8(Map<String, ?> configs) {
    Object serializer = configs.get("key.serializer");
    String name = serializer instanceof Class ? ((Class<?>) serializer).getName()
        : serializer == null ? null : serializer.toString().trim();
    if (name != null && !name.equals("org.apache.kafka.common.serialization.StringSerializer")) {
      return false;
    }
    for (String key : new String[] {"key.serializer.encoding", "serializer.encoding"}) {
      Object encoding = configs.get(key);
      if (encoding != null) {
        return java.nio.charset.Charset.forName(encoding.toString().trim())
            .equals(java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return true;
  }

  /**
   * Returns the partitioner most recently configured with this {@code headroom.partitioner.name},
   * until it is closed: the way to reach its {@link KeyPartitioner}s (hot keys, counts, skew) and
   * meters.
   *
   * @param name the name
   * @return the partitioner, if any
   */
  public static Optional<HeadroomPartitioner> find(String name) {
    return Optional.ofNullable(REGISTRY.get(name));
  }

  /**
   * Returns the state of one topic, once a record was sent to it.
   *
   * @param topic the topic
   * @return its partitioner, if any
   */
  public Optional<KeyPartitioner> topic(String topic) {
    return Optional.ofNullable(topics.get(topic));
  }

  /**
   * Returns the state of every topic sent to so far.
   *
   * @return a sorted copy
   */
  public Map<String, KeyPartitioner> topics() {
    return new TreeMap<>(topics);
  }

  /**
   * Returns the parsed configuration.
   *
   * @return the config, null before {@link #configure}
   */
  public HeadroomPartitionerConfig config() {
    return config;
  }

  /**
   * Returns the record's partition.
   *
   * @throws MissingKeyFieldException if the record has no usable composite key
   * @throws KafkaException if the topic has no partitions in {@code cluster}
   */
  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value,
      byte[] valueBytes, Cluster cluster) {
    Integer count = cluster.partitionCountForTopic(topic);
    int n = count != null ? count : cluster.partitionsForTopic(topic).size();
    if (n <= 0) {
      throw new KafkaException("headroom partitioner: topic '" + topic + "' has no partitions");
    }
    Memo m = memo.get();
    if (m.sameRecord(topic, key, keyBytes, value, valueBytes, n)) {
      return m.partition;
    }
    m.forget();
    KeyHasher hasher = m.hasher.reset();
    boolean ordered;
    try {
      if (extractor == null) {
        ordered = fromKey(topic, key, keyBytes, hasher);
      } else {
        try {
          ordered = extractor.extract(topic, key, keyBytes, value, valueBytes,
              KeyHeadersInterceptor.headersOf(key, value), hasher);
        } finally {
          KeyHeadersInterceptor.forget();
        }
      }
    } catch (RuntimeException e) {
      hasher.reset();
      throw e;
    }
    if (hasher.fieldCount() < Math.max(1, fields.size())) {
      int at = hasher.fieldCount();
      hasher.reset();
      if (at < fields.size()) {
        throw new MissingKeyFieldException(topic, fields.get(at), fields);
      }
      throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
          + topic + "' got no key field from " + extractor.getClass().getName()
          + "; it was not sent");
    }
    ordered &= keyOrdered;
    int partition = state(topic, n).partition(hasher, ordered);
    hasher.reset(); // drop the references to the record's fields
    m.remember(topic, key, keyBytes, value, valueBytes, n, partition);
    return partition;
  }

  /** {@code key.source=key}: the record key's fields; returns whether it requires ordering. */
  private boolean fromKey(String topic, Object key, byte[] keyBytes, KeyHasher hasher) {
    if (key instanceof CompositeKey) {
      CompositeKey composite = (CompositeKey) key;
      if (!fields.isEmpty() && composite.size() != fields.size()) {
        // The declared fields are the contract: a key with fewer is missing one, a key with
        // more would silently hash differently from its declared siblings.
        if (composite.size() < fields.size()) {
          throw new MissingKeyFieldException(topic, fields.get(composite.size()), fields);
        }
        throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
            + topic + "' has a key of " + composite.size() + " fields, but "
            + HeadroomPartitionerConfig.KEY_FIELDS_CONFIG + " declares " + fields.size() + " "
            + fields + "; it was not sent");
      }
      composite.writeTo(hasher);
      return composite.orderingRequired();
    }
    if (key instanceof String && delimiter != null) {
      return delimited(topic, (String) key, hasher);
    }
    if (key instanceof String && stringKeysAsUtf8) {
      hasher.putString((String) key);
    } else if (key instanceof byte[]) {
      hasher.putBytes((byte[]) key);
    } else if (key != null && keyBytes != null) {
      hasher.putBytes(keyBytes); // exactly what Kafka hashes, whatever the serializer
    } else {
      throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
          + topic + "' has no key (" + HeadroomPartitionerConfig.KEY_SOURCE_CONFIG
          + "=key needs a String, byte[], CompositeKey or serialized key); it was not sent");
    }
    if (fields.size() > 1) {
      throw new MissingKeyFieldException(topic, fields.get(1), fields);
    }
    return true;
  }

  /** A String key split at the delimiter into the declared parts, without copying them. */
  private boolean delimited(String topic, String key, KeyHasher hasher) {
    boolean ordered = true;
    int from = 0;
    int d = delimiter.length();
    for (int i = 0; i < fields.size(); i++) {
      int at = key.indexOf(delimiter, from);
      boolean last = i == fields.size() - 1;
      if (at < 0 && !last) {
        hasher.putString(key, from, key.length());
        throw new MissingKeyFieldException(topic, fields.get(i + 1), fields);
      }
      if (at >= 0 && last) {
        throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
            + topic + "' has a key with more than the " + fields.size() + " parts "
            + fields + " separated by '" + delimiter + "'; it was not sent");
      }
      int end = last ? key.length() : at;
      hasher.putString(key, from, end);
      if (unordered.active() && fields.get(i).equals(unordered.field)
          && unordered.matches(key, from, end)) {
        ordered = false;
      }
      from = end + d;
    }
    return ordered;
  }

  private KeyPartitioner state(String topic, int n) {
    TopicState s = last;
    if (s.n == n && (s.topic == topic || s.topic.equals(topic))) {
      return s.partitioner;
    }
    KeyPartitioner p = topics.compute(topic, (t, current) ->
        current != null && current.partitions() == n ? current : create(t, n));
    last = new TopicState(topic, n, p);
    return p;
  }

  private KeyPartitioner create(String topic, int n) {
    int fanout = config.fanout(n);
    return KeyPartitioner.create(KeyPartitionerConfig.builder()
        .name(config.name() + "." + topic)
        .partitions(n)
        .hashMode(mode)
        .spreading(config.spreading())
        .fanout(fanout)
        .choices(Math.min(config.choices(), fanout))
        .hotKeyThreshold(config.threshold(n))
        .window(Duration.ofMillis(config.windowMs()))
        .sampleEvery(config.sampleEvery())
        .build());
  }

  /**
   * Declares the {@code headroom.partition.*} meters of every topic sent to so far (named
   * {@code <name>.<topic>}).
   */
  @Override
  public void describeMeters(MeterSink sink) {
    for (KeyPartitioner p : topics().values()) {
      p.describeMeters(sink);
    }
  }

  /** Forgets this partitioner in {@link #find}. */
  @Override
  public void close() {
    if (config != null) {
      REGISTRY.remove(config.name(), this);
    }
  }

  /** The last topic's partitioner, cached so that the hot path skips the map. */
  private static final class TopicState {
    final String topic;
    final int n;
    final KeyPartitioner partitioner;

    TopicState(String topic, int n, KeyPartitioner partitioner) {
      this.topic = topic;
      this.n = n;
      this.partitioner = partitioner;
    }
  }

  /** One sending thread's hasher and the last record it partitioned (identity, not equality). */
  private static final class Memo {
    final KeyHasher hasher;
    private String topic;
    private Object key;
    private byte[] keyBytes;
    private Object value;
    private byte[] valueBytes;
    private int n;
    int partition = -1;

    Memo(KeyHasher hasher) {
      this.hasher = hasher;
    }

    boolean sameRecord(String topic, Object key, byte[] keyBytes, Object value,
        byte[] valueBytes, int n) {
      return partition >= 0 && this.topic == topic && this.key == key
          && this.keyBytes == keyBytes && this.value == value && this.valueBytes == valueBytes
          && this.n == n;
    }

    void remember(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes,
        int n, int partition) {
      this.topic = topic;
      this.key = key;
      this.keyBytes = keyBytes;
      this.value = value;
      this.valueBytes = valueBytes;
      this.n = n;
      this.partition = partition;
    }

    void forget() {
      partition = -1;
    }
  }
}
