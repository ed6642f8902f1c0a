package dev.headroom.kafka;

import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.partition.CompositeKey;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import dev.headroom.partition.KeyPartitioner;
import dev.headroom.partition.KeyPartitionerConfig;
import java.time.Duration;
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
 * key.serializer=dev.headroom.kafka.CompositeKeySerializer
 * headroom.partitioner.hash.mode=kafka-compatible
 * headroom.partitioner.spread.enabled=true
 * }</pre>
 *
 * <p>Every setting is a producer property prefixed {@code headroom.partitioner.}, listed with
 * its default and validator in {@link HeadroomPartitionerConfig}. The key comes either from the
 * record key, a {@link CompositeKey} ({@code key.source=key}, the default), or from a
 * {@link KeyExtractor} that reads the fields named in {@code key.fields} from the record
 * ({@code key.source=extractor}). A record whose key is not a {@code CompositeKey}, or that
 * lacks a key field, fails {@code send()} with a {@link MissingKeyFieldException}: it is never
 * sent to a default partition.
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
    HeadroomPartitionerConfig c = new HeadroomPartitionerConfig(configs);
    this.config = c;
    this.mode = c.hashMode();
    this.fields = List.copyOf(c.keyFields());
    if (c.keyFromExtractor()) {
      KeyExtractor e = Utils.newInstance(c.getClass(HeadroomPartitionerConfig.KEY_EXTRACTOR_CONFIG),
          KeyExtractor.class);
      e.configure(fields);
      this.extractor = e;
    }
    HashMode m = mode;
    this.memo = ThreadLocal.withInitial(() -> new Memo(KeyHasher.create(m)));
    REGISTRY.put(c.name(), this);
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
    if (extractor == null) {
      if (!(key instanceof CompositeKey)) {
        throw new MissingKeyFieldException(topic, "headroom partitioner: the record for topic '"
            + topic + "' needs a " + CompositeKey.class.getName() + " key with "
            + HeadroomPartitionerConfig.KEY_SOURCE_CONFIG + "=key (was "
            + (key == null ? "null" : key.getClass().getName()) + "); it was not sent");
      }
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
      ordered = composite.orderingRequired();
    } else {
      extractor.extract(key, value, hasher);
      if (hasher.fieldCount() < fields.size()) {
        throw new MissingKeyFieldException(topic, fields.get(hasher.fieldCount()), fields);
      }
      ordered = extractor.orderingRequired(key, value);
    }
    int partition = state(topic, n).partition(hasher, ordered);
    hasher.reset(); // drop the references to the record's fields
    m.remember(topic, key, keyBytes, value, valueBytes, n, partition);
    return partition;
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
    int fanout = Math.min(config.fanout(), Math.max(2, n));
    return KeyPartitioner.create(KeyPartitionerConfig.builder()
        .name(config.name() + "." + topic)
        .partitions(n)
        .hashMode(mode)
        .spreading(config.spreading())
        .fanout(fanout)
        .choices(Math.min(config.choices(), fanout))
        .hotKeyThreshold(config.threshold())
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
