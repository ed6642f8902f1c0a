package dev.headroom.partition;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Chooses the partition of each record of one topic from its composite key, finds the hot keys
 * and, when spreading is on, spreads the hot keys that declare no ordering over several
 * partitions.
 *
 * <pre>{@code
 * KeyPartitioner partitioner = KeyPartitioner.create(KeyPartitionerConfig.builder()
 *     .name("enrollment-events").partitions(12).spreading(true).build());
 * KeyHasher key = KeyHasher.create(partitioner.config().hashMode()); // one per thread
 * int p = partitioner.partition(key.reset().putString(memberId).putString(eventType), true);
 * }</pre>
 *
 * <h2>Ordering guarantee</h2>
 *
 * <ul>
 * <li>A record whose key requires ordering ({@code orderingRequired == true}) always goes to its
 *     key's home partition, {@link KeyHasher#partition(int)}: all records of the key stay in one
 *     partition, in send order, hot or not, in both hash modes. With
 *     {@link HashMode#KAFKA_COMPATIBLE} that is the partition Kafka's built-in partitioner picks
 *     for the key's {@linkplain CompositeKey#encode() canonical bytes}.
 * <li>With spreading off, every record goes to its home partition.
 * <li>With spreading on, a record that declares no ordering goes to its home partition while its
 *     key is cold; while the key is hot, to the least loaded of {@code choices} partitions drawn
 *     from the key's {@code fanout} candidates (home first, the others derived from the key's
 *     hash, so they are the same in every JVM). Such a key's records are then in order within
 *     each partition only: consumers must not rely on their relative order.
 * </ul>
 *
 * <h2>Hot keys</h2>
 *
 * One record in {@code sampleEvery} (chosen with {@link ThreadLocalRandom}) feeds a Count-Min
 * sketch (four rows of at least {@code 8 / hotKeyThreshold} counters, conservative update),
 * decaying by half every {@code window}. A partition's load is its exact send count in the same
 * decaying window. A key is hot when its estimated decayed count (never an underestimate)
 * reaches {@code hotKeyThreshold} of the decayed total and the window holds at least
 * {@code 4 / hotKeyThreshold} samples (so that a quiet topic never reports noise); it stays hot
 * until its share falls below half the threshold at a decay step. A key is identified by its hash:
 * two keys whose hashes collide are counted as one.
 *
 * <h2>Concurrency</h2>
 *
 * The hot path takes no lock. Per record it reads the published hot set (one volatile load of an
 * immutable snapshot), increments the chosen partition's {@link LongAdder} and, for a sampled
 * record, tries to take a flag with one CAS: the thread that wins updates the sketch, decays it
 * from the clock and, if the hot keys changed, publishes a new snapshot with a volatile write
 * before releasing the flag (release store). A sampled record whose CAS fails is simply not
 * counted in the sketch: the sample it drops is independent of the key, so the shares stay
 * unbiased. The loads read by the spreading choice are the partitions' {@link LongAdder} sums
 * plus a decayed base that only the flag holder writes (opaque accesses, never torn); a stale
 * base only makes one choice slightly worse.
 * Steady state allocates nothing: a new snapshot is built only when the set of hot keys changes
 * or at a decay step while keys are hot.
 *
 * <p>Metrics ({@link Instrumented}), all tagged {@code name}: {@code headroom.partition.sends}
 * (counter per {@code partition} tag), {@code headroom.partition.spread} (records of hot
 * unordered keys routed by load), {@code headroom.partition.hot_keys} (gauge),
 * {@code headroom.partition.skew} (max/mean of the sends since creation) and
 * {@code headroom.partition.recent_skew} (max/mean of the decayed window's loads).
 *
 * <p>Thread-safety: thread-safe; {@link #partition} may be called from any number of threads.
 */
public final class KeyPartitioner implements Instrumented {

  private static final VarHandle BUSY;

  static {
    try {
      BUSY = MethodHandles.lookup().findVarHandle(KeyPartitioner.class, "busy", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final KeyPartitionerConfig config;
  private final HashMode mode;
  private final int partitions;
  private final boolean spreading;
  private final int choices;
  private final int sampleMask;
  private final double threshold;
  private final double minSamples;
  private final LongAdder[] sends;
  private final LongAdder spread = new LongAdder();
  private final HeavyHitters sketch;
  // Decayed window load of partition p = base[p] + (sends[p].sum() - mark[p]): exact counts,
  // folded into base with the decay factor at each decay step by the flag holder.
  private final double[] base;
  private final long[] mark;

  private volatile HotSet hot = HotSet.EMPTY;
  @SuppressWarnings("unused") // accessed through BUSY
  private volatile int busy;

  private KeyPartitioner(KeyPartitionerConfig config) {
    this.config = config;
    this.mode = config.hashMode();
    this.partitions = config.partitions();
    this.spreading = config.spreading();
    this.choices = config.choices();
    this.sampleMask = config.sampleEvery() - 1;
    this.threshold = config.hotKeyThreshold();
    this.minSamples = 4.0 / threshold;
    this.sends = new LongAdder[partitions];
    for (int p = 0; p < partitions; p++) {
      sends[p] = new LongAdder();
    }
    this.sketch = new HeavyHitters(threshold, config.window().toNanos(),
        config.clock().nanoTime());
    this.base = new double[partitions];
    this.mark = new long[partitions];
  }

  /**
   * Creates a partitioner.
   *
   * @param config the configuration
   * @return the partitioner
   * @throws IllegalArgumentException if {@code config} is null
   */
  public static KeyPartitioner create(KeyPartitionerConfig config) {
    return new KeyPartitioner(Checks.requireNonNull("config", config));
  }

  /**
   * Returns the configuration.
   *
   * @return the config
   */
  public KeyPartitionerConfig config() {
    return config;
  }

  /**
   * Chooses the partition of one record and counts it (one call, one send: call it once per
   * record).
   *
   * @param key the record's key fields, in a hasher of this partitioner's mode
   * @param orderingRequired whether the record must stay in its key's partition, in order
   * @return a partition in {@code [0, partitions)}
   * @throws IllegalArgumentException if {@code key} is null or its mode is not this
   *     partitioner's
   * @throws IllegalStateException if {@code key} has no field
   */
  public int partition(KeyHasher key, boolean orderingRequired) {
    if (key == null || key.mode() != mode) {
      Checks.requireNonNull("key", key);
      throw new IllegalArgumentException(
          Checks.message("key.mode()", "the partitioner's hash mode " + mode, key.mode()));
    }
    long hash = key.hash();
    int p = KeyHasher.partitionOf(mode, hash, partitions);
    HotSet h = hot;
    if (spreading && !orderingRequired && h.size() != 0) {
      int entry = h.indexOf(hash);
      if (entry >= 0) {
        p = leastLoaded(h.candidates[entry]);
        spread.increment();
      }
    }
    sends[p].increment();
    if ((sampleMask == 0 || (ThreadLocalRandom.current().nextInt() & sampleMask) == 0)
        && BUSY.compareAndSet(this, 0, 1)) {
      try {
        sample(hash, p, key, orderingRequired);
      } finally {
        BUSY.setRelease(this, 0);
      }
    }
    return p;
  }

  private int leastLoaded(int[] candidates) {
    int k = candidates.length;
    int best;
    if (choices >= k) {
      best = candidates[0];
      double bestLoad = load(best);
      for (int i = 1; i < k; i++) {
        double load = load(candidates[i]);
        if (load < bestLoad) {
          best = candidates[i];
          bestLoad = load;
        }
      }
    } else {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      best = candidates[random.nextInt(k)];
      double bestLoad = load(best);
      for (int i = 1; i < choices; i++) {
        int c = candidates[random.nextInt(k)];
        double load = load(c);
        if (load < bestLoad) {
          best = c;
          bestLoad = load;
        }
      }
    }
    return best;
  }

  /**
   * A partition's load in the decaying window: exact sends, decayed in steps. Benign race: a
   * reader that overlaps a decay step may pair a new {@code base} with an old {@code mark} (or
   * the reverse) and misjudge one partition's load for one choice; nothing else depends on it.
   */
  private double load(int p) {
    return (double) DOUBLES.getOpaque(base, p) + (sends[p].sum() - (long) LONGS.getOpaque(mark, p));
  }

  private static final VarHandle DOUBLES = MethodHandles.arrayElementVarHandle(double[].class);
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** Runs while holding the flag: the only writer of the sketch, the loads and {@code hot}. */
  private void sample(long hash, int p, KeyHasher key, boolean orderingRequired) {
    double factor = sketch.decayTo(config.clock().nanoTime());
    if (factor < 1.0) {
      for (int i = 0; i < partitions; i++) {
        long now = sends[i].sum();
        double decayed = ((double) DOUBLES.getOpaque(base, i)
            + (now - (long) LONGS.getOpaque(mark, i))) * factor;
        DOUBLES.setOpaque(base, i, decayed);
        LONGS.setOpaque(mark, i, now);
      }
      reassess();
    }
    double total = sketch.total() + 1.0;
    double share = sketch.offer(hash) / total;
    if (share >= threshold && total >= minSamples) {
      HotSet h = hot;
      if (h.indexOf(hash) < 0) {
        int[] candidates = spreading
            ? HotSet.candidates(mode, hash, partitions, config.fanout())
            : new int[] {KeyHasher.partitionOf(mode, hash, partitions)};
        hot = h.with(null, hash, key.toKey(orderingRequired), share, candidates);
      }
    }
  }

  /** After a decay step: drop keys below half the threshold, refresh the others' shares. */
  private void reassess() {
    HotSet h = hot;
    if (h.size() == 0) {
      return;
    }
    double total = sketch.total();
    boolean[] keep = new boolean[h.size()];
    double[] shares = new double[h.size()];
    boolean dropped = false;
    for (int i = 0; i < h.size(); i++) {
      shares[i] = total <= 0 ? 0.0 : sketch.estimate(h.hashes[i]) / total;
      keep[i] = shares[i] >= threshold / 2;
      dropped |= !keep[i];
    }
    HotSet refreshed = h.withShares(shares);
    hot = dropped ? refreshed.with(keep, 0, null, 0, null) : refreshed;
  }

  /**
   * Returns the partition count.
   *
   * @return the configured partitions
   */
  public int partitions() {
    return partitions;
  }

  /**
   * Returns the records counted for one partition since creation.
   *
   * @param partition the partition
   * @return its send count
   * @throws IndexOutOfBoundsException if there is no such partition
   */
  public long sends(int partition) {
    return sends[partition].sum();
  }

  /**
   * Returns the send counts of all partitions since creation.
   *
   * @return a new array indexed by partition
   */
  public long[] sendCounts() {
    long[] out = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      out[p] = sends[p].sum();
    }
    return out;
  }

  /**
   * Returns the records counted since creation, over all partitions.
   *
   * @return the total
   */
  public long totalSends() {
    long total = 0;
    for (LongAdder s : sends) {
      total += s.sum();
    }
    return total;
  }

  /**
   * Returns the records of hot unordered keys that were routed by load rather than hash.
   *
   * @return the count since creation
   */
  public long spreadCount() {
    return spread.sum();
  }

  /**
   * Returns the skew of the sends since creation: the largest partition count over the mean.
   *
   * @return 1.0 when perfectly even (or nothing was sent yet), {@code partitions} when all went
   *     to one partition
   */
  public double skew() {
    return skew(Arrays.stream(sendCounts()).asDoubleStream().toArray());
  }

  /**
   * Returns the skew of the decayed window's loads (sends, halved every {@code window}): the
   * largest over the mean.
   *
   * @return 1.0 when even or empty
   */
  public double recentSkew() {
    double[] loads = new double[partitions];
    for (int p = 0; p < partitions; p++) {
      loads[p] = load(p);
    }
    return skew(loads);
  }

  static double skew(double[] counts) {
    double max = 0;
    double sum = 0;
    for (double c : counts) {
      max = Math.max(max, c);
      sum += c;
    }
    return sum <= 0 ? 1.0 : max / (sum / counts.length);
  }

  /**
   * Returns the current hot keys, hottest first.
   *
   * @return a new list
   */
  public List<HotKey> hotKeys() {
    HotSet h = hot;
    List<HotKey> out = new ArrayList<>(h.size());
    for (int i = 0; i < h.size(); i++) {
      List<Integer> candidates = new ArrayList<>(h.candidates[i].length);
      for (int c : h.candidates[i]) {
        candidates.add(c);
      }
      out.add(new HotKey(h.keys[i], h.hashes[i], h.shares[i], h.candidates[i][0], candidates));
    }
    out.sort((a, b) -> Double.compare(b.share(), a.share()));
    return out;
  }

  /**
   * Returns how many keys are hot now.
   *
   * @return the hot-key count
   */
  public int hotKeyCount() {
    return hot.size();
  }

  /**
   * Returns whether the key with this hash is hot now.
   *
   * @param hash a key's {@link KeyHasher#hash()} in this partitioner's mode
   * @return whether it is hot
   */
  public boolean isHot(long hash) {
    return hot.indexOf(hash) >= 0;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    String name = config.name();
    for (int p = 0; p < partitions; p++) {
      LongAdder s = sends[p];
      sink.counter(MeterId.of("headroom.partition.sends").tag("name", name)
          .tag("partition", Integer.toString(p)).description("records sent to the partition"),
          s::sum);
    }
    sink.counter(MeterId.of("headroom.partition.spread").tag("name", name)
        .description("records of hot unordered keys routed by load"), spread::sum);
    sink.gauge(MeterId.of("headroom.partition.hot_keys").tag("name", name)
        .description("keys at or above the hot-key threshold"), this::hotKeyCount);
    sink.gauge(MeterId.of("headroom.partition.skew").tag("name", name)
        .description("largest partition's sends over the mean, since creation"), this::skew);
    sink.gauge(MeterId.of("headroom.partition.recent_skew").tag("name", name)
        .description("largest partition's load over the mean, decayed window"),
        this::recentSkew);
  }
}
