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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Chooses the partition of each record of one topic from its composite key, finds the hot keys
 * and, when spreading is on, spreads the hot keys that declare no ordering over the least loaded
 * partitions, in proportion to their share of the traffic.
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
 *     from the key's current candidates (below). Such a key's records are then in order within
 *     each partition only: consumers must not rely on their relative order. Keys that are not
 *     hot never move.
 * </ul>
 *
 * <h2>The control loop</h2>
 *
 * <p><b>Signals.</b> (1) Key shares: one record in {@code sampleEvery} (chosen with
 * {@link ThreadLocalRandom}) feeds a Count-Min sketch (four rows of at least
 * {@code 8 / hotKeyThreshold} counters, conservative update) that halves every {@code window};
 * a key's share is its estimate over the sampled total, never an underestimate. (2) Partition
 * loads: every record is counted exactly, and a partition's load is its send count in the same
 * decaying window.
 *
 * <p><b>Hot keys.</b> A key is hot when its share reaches {@code hotKeyThreshold} and the window
 * holds at least {@code 4 / hotKeyThreshold} samples (so that a quiet topic never reports
 * noise); it stays hot until its share falls below half the threshold at a decay step, and then
 * goes home. The default threshold is a sixteenth of one partition's fair share,
 * {@code 1 / (16 x partitions)}: the keys that are left where they hash then add up to at most
 * about 5% over the mean on any one partition in the enrollment simulations. A key is identified by its hash: two keys whose hashes collide are counted
 * as one.
 *
 * <p><b>Update rule.</b> A hot key with share {@code s} may use
 * {@code k = min(fanout, max(2, ceil(2 x s x partitions)))} partitions, so that it fills at most
 * about half of each; its candidates are the {@code k} partitions with the lowest load, taken
 * hottest key first, each key's expected records added to the loads it is given before the next
 * key is placed. Each record then goes to the least loaded of {@code choices} of them, comparing
 * live loads, so the choice corrects the plan record by record.
 *
 * <p><b>How fast it reacts.</b> A key is found hot within about {@code 4 / hotKeyThreshold}
 * samples of its rise, and candidates and shares are recomputed every 16 samples of a sending
 * thread (about 256 records at the default sampling), so a hot key follows the partitions that
 * fall behind within a few hundred records. Shares and loads forget with the window's half-life.
 *
 * <p><b>Why it cannot get stuck.</b> Candidates are recomputed from measured loads, not kept;
 * a key leaves the hot set once its decayed share falls below half the threshold; and cold keys
 * never move, so nothing depends on the spreading having been right before.
 *
 * <p>Measured in virtual time ({@code SpreadingSimulationTest}, the enrollment workload, 12
 * partitions, 200,000 events, defaults, five seeds): keyed on {@code plan_id} declared
 * unordered, max/mean partition share 1.000; keyed on {@code (member_id, event_type)} with the
 * HR-sync events unordered, 1.001. Kafka's partitioner on {@code plan_id} gives about 7.5; the
 * real-broker figures are in the README's hot-partition section.
 *
 * <h2>Concurrency</h2>
 *
 * The hot path takes no lock and allocates nothing. Per record it reads the published hot set
 * (one volatile load of a snapshot), increments the chosen partition's {@link LongAdder} and,
 * for a sampled record, updates the sketch of its thread's stripe. Stripes (a power of two, at
 * least twice the processors, at most 16) each own a sketch and a flag; a thread takes its
 * stripe by a per-thread ordinal, so up to that many sending threads never share one, and
 * sets the flag with one uncontended CAS. A sampled record whose CAS fails (two threads on one
 * stripe) is not counted: the sample it drops is independent of the key, so shares stay
 * unbiased. A key is hot overall only if it is hot in some stripe (a share below the threshold
 * in every stripe is below it in their sum), so only a key hot in its own stripe is checked
 * against the sum of all stripes' estimates, read without their flags (see
 * {@link HeavyHitters}). Promotions and maintenance (decay of the loads, shares, candidates)
 * run under a separate maintenance flag taken with a CAS that never waits: a thread that finds
 * it taken skips, and the next sample retries. Loads read by the spreading choice are
 * {@link LongAdder} sums plus a decayed base that only the maintainer writes (opaque accesses,
 * never torn); a stale base only makes one choice slightly worse. A new snapshot is allocated
 * only when the set of hot keys changes.
 *
 * <p>Metrics ({@link Instrumented}), all tagged {@code name}: {@code headroom.partition.sends}
 * (counter per {@code partition} tag), {@code headroom.partition.spread} (records of hot
 * unordered keys routed by load), {@code headroom.partition.hot_keys} (gauge),
 * {@code headroom.partition.skew} and {@code headroom.partition.gini} (max/mean and Gini
 * coefficient of the sends since creation), {@code headroom.partition.recent_skew} and
 * {@code headroom.partition.recent_gini} (the same over the decayed window's loads, which show a
 * partition turning hot before consumer lag does).
 *
 * <p>Thread-safety: thread-safe; {@link #partition} may be called from any number of threads.
 */
public final class KeyPartitioner implements Instrumented {

  private static final VarHandle MAINTAINING;
  private static final VarHandle DOUBLES = MethodHandles.arrayElementVarHandle(double[].class);
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** How many samples of one stripe between two maintenance passes. */
  static final int MAINTAIN_EVERY = 16;

  // A sending thread's ordinal (0, 1, 2, ... in the order threads first sample): its stripe.
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ThreadLocal<Integer> ORDINAL =
      ThreadLocal.withInitial(THREADS::getAndIncrement);

  static {
    try {
      MAINTAINING = MethodHandles.lookup().findVarHandle(KeyPartitioner.class, "maintaining",
          int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final KeyPartitionerConfig config;
  private final HashMode mode;
  private final int partitions;
  private final boolean spreading;
  private final int choices;
  private final int fanout;
  private final int sampleMask;
  private final double threshold;
  private final double minSamples;
  private final long halfLifeNanos;
  private final long origin;
  private final LongAdder[] sends;
  private final LongAdder spread = new LongAdder();
  private final Stripe[] stripes;
  private final int stripeMask;
  // Decayed window load of partition p = base[p] + (sends[p].sum() - mark[p]): exact counts,
  // folded into base with the decay factor at each epoch by the maintainer.
  private final double[] base;
  private final long[] mark;
  // Maintainer-only scratch: loads, sort keys and the partition order.
  private final double[] projected;
  private final long[] sortKeys;
  private final int[] order;

  private volatile HotSet hot = HotSet.EMPTY;
  private volatile long loadEpoch;
  @SuppressWarnings("unused") // accessed through MAINTAINING
  private volatile int maintaining;

  private KeyPartitioner(KeyPartitionerConfig config) {
    this.config = config;
    this.mode = config.hashMode();
    this.partitions = config.partitions();
    this.spreading = config.spreading();
    this.choices = config.choices();
    this.fanout = config.fanout();
    this.sampleMask = config.sampleEvery() - 1;
    this.threshold = config.hotKeyThreshold();
    this.minSamples = 4.0 / threshold;
    this.halfLifeNanos = config.window().toNanos();
    this.origin = config.clock().nanoTime();
    this.sends = new LongAdder[partitions];
    for (int p = 0; p < partitions; p++) {
      sends[p] = new LongAdder();
    }
    int n = Integer.highestOneBit(Math.max(2, Math.min(16,
        2 * Runtime.getRuntime().availableProcessors())) * 2 - 1);
    this.stripes = new Stripe[n];
    for (int i = 0; i < n; i++) {
      stripes[i] = new Stripe();
    }
    this.stripeMask = n - 1;
    this.base = new double[partitions];
    this.mark = new long[partitions];
    this.projected = new double[partitions];
    this.sortKeys = new long[partitions];
    this.order = new int[partitions];
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
    if (spreading && !orderingRequired) {
      HotSet h = hot;
      if (h.size() != 0) {
        int entry = h.indexOf(hash);
        if (entry >= 0) {
          p = leastLoaded(h, entry);
          spread.increment();
        }
      }
    }
    sends[p].increment();
    if (sampleMask == 0 || (ThreadLocalRandom.current().nextInt() & sampleMask) == 0) {
      sample(hash, key, orderingRequired);
    }
    return p;
  }

  private int leastLoaded(HotSet h, int entry) {
    int k = h.count(entry);
    int best;
    if (choices >= k) {
      best = h.candidate(entry, 0);
      double bestLoad = load(best);
      for (int i = 1; i < k; i++) {
        int c = h.candidate(entry, i);
        double load = load(c);
        if (load < bestLoad) {
          best = c;
          bestLoad = load;
        }
      }
    } else {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      best = h.candidate(entry, random.nextInt(k));
      double bestLoad = load(best);
      for (int i = 1; i < choices; i++) {
        int c = h.candidate(entry, random.nextInt(k));
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

  private long epochOf(long now) {
    long elapsed = now - origin;
    return elapsed <= 0 ? 0 : elapsed / halfLifeNanos;
  }

  /** A sampled record: counted in the calling thread's stripe, unless another thread holds it. */
  private void sample(long hash, KeyHasher key, boolean orderingRequired) {
    Stripe s = stripes[ORDINAL.get() & stripeMask];
    if (!s.tryAcquire()) {
      return;
    }
    try {
      long epoch = epochOf(config.clock().nanoTime());
      HeavyHitters sketch = s.sketch;
      if (sketch == null) {
        sketch = new HeavyHitters(threshold, epoch);
        StripeFields.SKETCH.setRelease(s, sketch); // published whole to other stripes' readers
      }
      sketch.decayTo(epoch);
      double estimate = sketch.offer(hash);
      if (estimate >= threshold * sketch.total() && hot.indexOf(hash) < 0) {
        promote(hash, key, orderingRequired, epoch);
      }
      if (++s.samples >= MAINTAIN_EVERY || epoch != loadEpoch) {
        s.samples = 0;
        maintain(epoch);
      }
    } finally {
      s.release();
    }
  }

  /** The estimate of a key summed over every stripe, as of {@code epoch}. */
  private double estimate(long hash, long epoch) {
    double sum = 0;
    for (Stripe s : stripes) {
      HeavyHitters sketch = s.sketch(); // opaque read: another stripe's, without its flag
      if (sketch != null) {
        sum += sketch.estimateAt(hash, epoch);
      }
    }
    return sum;
  }

  /** The sampled total over every stripe, as of {@code epoch}. */
  private double total(long epoch) {
    double sum = 0;
    for (Stripe s : stripes) {
      HeavyHitters sketch = s.sketch();
      if (sketch != null) {
        sum += sketch.totalAt(epoch);
      }
    }
    return sum;
  }

  /** A key hot in its stripe: hot overall? Then it joins the hot set (maintenance flag). */
  private void promote(long hash, KeyHasher key, boolean orderingRequired, long epoch) {
    double total = total(epoch);
    if (total < minSamples) {
      return;
    }
    double share = estimate(hash, epoch) / total;
    if (share < threshold || !MAINTAINING.compareAndSet(this, 0, 1)) {
      return; // not hot, or another thread maintains: the key's next sample asks again
    }
    try {
      HotSet h = hot;
      if (h.indexOf(hash) >= 0) {
        return;
      }
      HotSet next = h.with(null, hash, key.toKey(orderingRequired), share,
          KeyHasher.partitionOf(mode, hash, partitions), spreading ? fanout : 1);
      if (spreading) {
        plan(next);
      }
      hot = next;
    } finally {
      MAINTAINING.setRelease(this, 0);
    }
  }

  /**
   * Maintenance, if no other thread runs it: at a new epoch, decays the loads and drops the keys
   * whose share fell below half the threshold; always refreshes the hot keys' shares and
   * candidates.
   */
  private void maintain(long epoch) {
    if (!MAINTAINING.compareAndSet(this, 0, 1)) {
      return;
    }
    try {
      long steps = epoch - loadEpoch;
      if (steps > 0) {
        double factor = HeavyHitters.factor(steps);
        for (int i = 0; i < partitions; i++) {
          long now = sends[i].sum();
          double decayed = ((double) DOUBLES.getOpaque(base, i)
              + (now - (long) LONGS.getOpaque(mark, i))) * factor;
          DOUBLES.setOpaque(base, i, decayed);
          LONGS.setOpaque(mark, i, now);
        }
        loadEpoch = epoch;
      }
      HotSet h = hot;
      if (h.size() == 0) {
        return;
      }
      double total = total(epoch);
      boolean dropped = false;
      boolean[] keep = null;
      for (int i = 0; i < h.size(); i++) {
        double share = total <= 0 ? 0.0 : estimate(h.hashes[i], epoch) / total;
        h.setShare(i, share);
        if (steps > 0 && share < threshold / 2) {
          if (keep == null) {
            keep = new boolean[h.size()];
            Arrays.fill(keep, true);
          }
          keep[i] = false;
          dropped = true;
        }
      }
      if (dropped) {
        h = h.with(keep, 0, null, 0, 0, 0);
      }
      if (spreading && h.size() != 0) {
        plan(h);
      }
      if (dropped) {
        hot = h;
      }
    } finally {
      MAINTAINING.setRelease(this, 0);
    }
  }

  /**
   * Maintainer only: gives each hot key its candidates. Keys are placed hottest first on the
   * partitions with the lowest projected load, and each key's expected share of the next
   * records is added to the partitions it is given before the next key is placed, so that two
   * hot keys do not both aim at the same emptiest partition. Allocates nothing.
   */
  private void plan(HotSet h) {
    double sum = 0;
    for (int p = 0; p < partitions; p++) {
      projected[p] = load(p);
      sum += projected[p];
    }
    // The records until the next plan, spread by share: about one mean partition's worth, or
    // at least enough to separate keys while the loads are still small.
    double horizon = Math.max(sum / partitions, 1.0);
    int n = h.size();
    if (done.length < n) {
      done = new boolean[Math.max(n, 2 * done.length)];
    }
    Arrays.fill(done, 0, n, false);
    for (int placed = 0; placed < n; placed++) {
      int e = 0;
      double best = -1;
      for (int i = 0; i < n; i++) { // the hottest key not yet placed (the hot set is small)
        double share = h.share(i);
        if (!done[i] && share > best) {
          best = share;
          e = i;
        }
      }
      done[e] = true;
      int k = fanoutFor(best);
      sortByProjectedLoad();
      h.setCandidates(e, order, k);
      double each = best * horizon / k;
      for (int i = 0; i < k; i++) {
        projected[order[i]] += each;
      }
    }
  }

  // Maintainer only: which hot keys plan() has placed (grown with the hot set).
  private boolean[] done = new boolean[8];

  /** The number of partitions a hot key of this share may use. */
  int fanoutFor(double share) {
    double k = Math.ceil(2.0 * share * partitions);
    return (int) Math.min(fanout, Math.max(2.0, k));
  }

  /** Fills {@code order} with the partitions by ascending projected load (heap sort, in place). */
  private void sortByProjectedLoad() {
    int n = partitions;
    for (int p = 0; p < n; p++) {
      // Loads are >= 0, so their bits order like the values; 20 low bits hold the partition.
      long bits = Double.doubleToRawLongBits(Math.max(0.0, projected[p]));
      sortKeys[p] = (bits & ~0xfffffL) | p;
    }
    for (int i = n / 2 - 1; i >= 0; i--) {
      siftDown(sortKeys, i, n);
    }
    for (int end = n - 1; end > 0; end--) {
      long top = sortKeys[0];
      sortKeys[0] = sortKeys[end];
      sortKeys[end] = top;
      siftDown(sortKeys, 0, end);
    }
    for (int i = 0; i < n; i++) {
      order[i] = (int) (sortKeys[i] & 0xfffffL);
    }
  }

  private static void siftDown(long[] a, int i, int n) {
    while (true) {
      int child = 2 * i + 1;
      if (child >= n) {
        return;
      }
      if (child + 1 < n && a[child + 1] > a[child]) {
        child++;
      }
      if (a[i] >= a[child]) {
        return;
      }
      long t = a[i];
      a[i] = a[child];
      a[child] = t;
      i = child;
    }
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
    return skew(recentLoads());
  }

  /**
   * Returns the Gini coefficient of the sends since creation: 0 when every partition has the
   * same count, {@code 1 - 1/partitions} when one partition has them all.
   *
   * @return in {@code [0, 1)}; 0 when nothing was sent yet
   */
  public double gini() {
    return gini(Arrays.stream(sendCounts()).asDoubleStream().toArray());
  }

  /**
   * Returns the Gini coefficient of the decayed window's loads.
   *
   * @return in {@code [0, 1)}; 0 when even or empty
   */
  public double recentGini() {
    return gini(recentLoads());
  }

  private double[] recentLoads() {
    double[] loads = new double[partitions];
    for (int p = 0; p < partitions; p++) {
      loads[p] = load(p);
    }
    return loads;
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

  /** Gini of non-negative values: {@code sum_i (2i - n - 1) x_(i) / (n sum x)}, x sorted. */
  static double gini(double[] values) {
    double[] x = values.clone();
    Arrays.sort(x);
    int n = x.length;
    double sum = 0;
    double weighted = 0;
    for (int i = 0; i < n; i++) {
      sum += x[i];
      weighted += (2.0 * (i + 1) - n - 1) * x[i];
    }
    return sum <= 0 ? 0.0 : weighted / (n * sum);
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
      int home = KeyHasher.partitionOf(mode, h.hashes[i], partitions);
      out.add(new HotKey(h.keys[i], h.hashes[i], h.share(i), home,
          spreading ? h.candidateList(i) : List.of(home)));
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
    sink.gauge(MeterId.of("headroom.partition.gini").tag("name", name)
        .description("Gini coefficient of the partitions' sends, since creation"), this::gini);
    sink.gauge(MeterId.of("headroom.partition.recent_gini").tag("name", name)
        .description("Gini coefficient of the partitions' loads, decayed window"),
        this::recentGini);
  }

  /** Padding before a stripe's fields, so that two stripes never share a cache line. */
  abstract static class StripePad {
    long p00, p01, p02, p03, p04, p05, p06, p07;
  }

  /** A stripe's fields: its flag, its sketch and its sample count since the last maintenance. */
  abstract static class StripeFields extends StripePad {
    static final VarHandle BUSY;
    static final VarHandle SKETCH;

    static {
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        BUSY = lookup.findVarHandle(StripeFields.class, "busy", int.class);
        SKETCH = lookup.findVarHandle(StripeFields.class, "sketch", HeavyHitters.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // accessed through BUSY
    private volatile int busy;
    HeavyHitters sketch; // written by the flag holder, read by others through sketch()
    int samples; // flag holder only
  }

  /**
   * One stripe of the hot-key sketch: written only by the thread that holds its flag (usually
   * the one thread whose ordinal maps to it), read by any thread through {@link #sketch()}.
   */
  static final class Stripe extends StripeFields {
    long p10, p11, p12, p13, p14, p15, p16, p17;

    /** Takes the flag with one CAS (acquire), never waiting. */
    boolean tryAcquire() {
      return BUSY.compareAndSet(this, 0, 1);
    }

    /** Releases the flag (release store): this holder's writes happen before the next's. */
    void release() {
      BUSY.setRelease(this, 0);
    }

    /** The sketch, read by a thread that may not hold the flag (opaque: whole, maybe late). */
    HeavyHitters sketch() {
      return (HeavyHitters) SKETCH.getOpaque(this);
    }
  }
}
