package dev.headroom.kafka;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The consumer-lag scaling signal: per-partition and total lag of one consumer group, read
 * through the Kafka {@link Admin} API on a schedule, with a hot-partition indicator.
 *
 * <pre>{@code
 * try (Admin admin = Admin.create(props);
 *      ConsumerLagMonitor lag = ConsumerLagMonitor.builder(admin, "enrollment-workers")
 *          .topics(List.of("enrollment-events"))
 *          .interval(Duration.ofSeconds(15))
 *          .build()) {
 *   lag.start();
 *   new HeadroomMeterBinder(lag).bindTo(registry);
 *   long total = lag.totalLag();
 * }
 * }</pre>
 *
 * <h2>What is measured</h2>
 *
 * <p>Each refresh reads, for every partition of the group, the latest offset (the high
 * watermark, {@code OffsetSpec.latest()}) and the group's committed offset; the lag is their
 * difference, never below zero (a committed offset below the log start, records already deleted
 * by retention, counts those records too, as {@code kafka-consumer-groups.sh} does). The
 * partitions measured are the union of those the group has
 * committed offsets for, those assigned to its live members, and every partition of the topics
 * given to {@link Builder#topics}. A partition whose topic no longer exists is left out.
 *
 * <p><b>Partitions with no committed offset</b> (a new partition, a new group) are counted as a
 * consumer that starts now would see them, set by {@link Builder#uncommittedAs}:
 * {@link OffsetReset#EARLIEST} (the default) counts every retained record,
 * {@code latest - earliest}; {@link OffsetReset#LATEST} counts 0. Choose the one matching the
 * group's {@code auto.offset.reset}. The default errs towards scaling out: a consumer group that
 * has not committed anything yet on a topic with a backlog reports that backlog.
 *
 * <h2>Where it runs</h2>
 *
 * <p>{@link #start()} polls on a single daemon thread owned by the monitor, every
 * {@link Builder#interval interval} (default 15 s, the scale-out trigger the design aims for),
 * never on a metrics scrape thread: a scrape reads the last measurement, one volatile load. A
 * failed refresh keeps the previous measurement, counts a failure
 * ({@code headroom.kafka.lag.refreshes{outcome=failure}}) and shows in {@link #age()}, so a
 * stale signal is visible rather than silently reported as fresh. {@link #refresh()} measures
 * once on the caller's thread.
 *
 * <h2>Meters</h2>
 *
 * <ul>
 *   <li>{@code headroom.kafka.lag} (records): total lag of the group;
 *   <li>{@code headroom.kafka.lag.partition} (records), tags {@code topic}, {@code partition}:
 *       one gauge per measured partition. A partition that first appears in a later refresh
 *       (partitions added to a topic, a topic the group starts to commit) gets its gauge from
 *       that refresh, on every sink the monitor was bound to;
 *   <li>{@code headroom.kafka.lag.max} (records) and {@code headroom.kafka.lag.max.share}: the
 *       largest partition lag and its share of the total;
 *   <li>{@code headroom.kafka.lag.hot}: 1 while a hot partition exists, else 0;
 *   <li>{@code headroom.kafka.lag.age} (seconds): time since the last successful refresh;
 *   <li>{@code headroom.kafka.lag.refreshes}, tag {@code outcome} = {@code success} or
 *       {@code failure}.
 * </ul>
 *
 * <p>Every meter is tagged {@code name} (the monitor's name, the group id unless set) and
 * {@code group}.
 *
 * <p>Thread-safety: safe for concurrent use. Getters read the latest immutable
 * {@link ConsumerLag} through one atomic reference; refreshes are serialised by the polling
 * thread, and a concurrent {@link #refresh()} from another thread is safe too: each publishes a
 * complete measurement, and the one measured later wins whatever the order of the writes. The {@link Admin} client is thread-safe and is
 * not closed by the monitor.
 */
public final class ConsumerLagMonitor implements Instrumented, AutoCloseable {

  /** How a partition without a committed offset is counted. */
  public enum OffsetReset {
    /** As a consumer reading from the earliest retained offset: {@code latest - earliest}. */
    EARLIEST,
    /** As a consumer starting at the latest offset: 0. */
    LATEST
  }

  private final Admin admin;
  private final String group;
  private final String name;
  private final Set<String> topics;
  private final OffsetReset uncommittedAs;
  private final Duration interval;
  private final Duration timeout;
  private final double hotShare;
  private final long hotMinLag;
  private final NanoClock clock;

  // Every sink describeMeters was called with, and the partitions it has a gauge for. A refresh
  // that measures a partition for the first time declares its gauge on each (under this map's
  // monitor: binding and refreshes are rare, never on a read path).
  private final Map<MeterSink, Set<TopicPartition>> bound = new IdentityHashMap<>();
  private final LongAdder successes = new LongAdder();
  private final LongAdder gaugeFailures = new LongAdder();
  private final LongAdder failures = new LongAdder();
  // start() and close() change the lifecycle under this lock, so a close() racing with start()
  // either prevents the start or sees the scheduler to stop. Never held by a refresh or a read.
  private final Object lifecycle = new Object();
  private boolean started;
  // The newest measurement. Refreshes from the polling thread and from callers of refresh() may
  // race; each publishes with accumulateAndGet keeping whichever was measured later (a pure
  // function of the two), so a slow, older refresh never replaces a newer one.
  private final AtomicReference<ConsumerLag> latest;
  private volatile boolean measured;
  private volatile boolean closed;
  private volatile Throwable lastFailure;
  private ScheduledExecutorService scheduler; // guarded by lifecycle

  private ConsumerLagMonitor(Builder b) {
    this.admin = b.admin;
    this.group = b.group;
    this.name = b.name == null ? b.group : b.name;
    this.topics = Set.copyOf(b.topics);
    this.uncommittedAs = b.uncommittedAs;
    this.interval = b.interval;
    this.timeout = b.timeout;
    this.hotShare = b.hotShare;
    this.hotMinLag = b.hotMinLag;
    this.clock = b.clock;
    this.latest = new AtomicReference<>(ConsumerLag.empty(group, clock.nanoTime()));
  }

  /**
   * Starts building a monitor for one consumer group.
   *
   * @param admin the admin client to read offsets with; not closed by the monitor
   * @param group the consumer group id
   * @return a builder
   * @throws IllegalArgumentException if {@code admin} is null or {@code group} is blank
   */
  public static Builder builder(Admin admin, String group) {
    return new Builder(admin, group);
  }

  /**
   * Starts polling every {@link Builder#interval interval} on the monitor's own daemon thread;
   * the first refresh runs at once.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    synchronized (lifecycle) {
      Checks.requireState(!started,
          "ConsumerLagMonitor " + name + " was already started or closed");
      started = true;
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "headroom-lag-" + name);
        t.setDaemon(true);
        return t;
      });
      scheduler = s;
      s.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Measures once on the calling thread and publishes the result.
   *
   * @return the new measurement (published unless a concurrent refresh measured later)
   * @throws KafkaException if the offsets cannot be read within the timeout; the previous
   *     measurement stays published
   */
  public ConsumerLag refresh() {
    ConsumerLag lag = measureAndPublish();
    declarePartitionGauges(lag); // outside: a sink's failure is not a failure of the measurement
    return lag;
  }

  private ConsumerLag measureAndPublish() {
    try {
      ConsumerLag lag = measure();
      latest.accumulateAndGet(lag, (current, fresh) ->
          fresh.measuredAtNanos() - current.measuredAtNanos() >= 0 ? fresh : current);
      measured = true;
      successes.increment();
      return lag;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (!closed) { // close() interrupting a refresh in flight is not a failure of the signal
        failures.increment();
        lastFailure = e;
      }
      throw new KafkaException("interrupted while reading the offsets of group " + group, e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      failures.increment();
      Throwable cause = e instanceof ExecutionException && e.getCause() != null
          ? e.getCause() : e;
      lastFailure = cause;
      throw new KafkaException("cannot read the offsets of group " + group + ": " + cause,
          cause);
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (KafkaException e) {
      // Counted and kept in lastFailure(); the previous measurement stays published and age()
      // grows, which is how a scaler sees that the signal is stale.
    }
  }

  private ConsumerLag measure()
      throws InterruptedException, ExecutionException, TimeoutException {
    long timeoutMs = timeout.toMillis();
    int timeoutInt = (int) Math.min(Integer.MAX_VALUE, timeoutMs);

    Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    Set<TopicPartition> partitions = new LinkedHashSet<>();
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin
          .listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions()
              .timeoutMs(timeoutInt))
          .partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS);
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
        if (e.getValue() != null) {
          committed.put(e.getKey(), e.getValue());
        }
        partitions.add(e.getKey());
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
      // No such group yet: nothing committed, every partition counts as uncommitted.
    }
    try {
      ConsumerGroupDescription description = admin
          .describeConsumerGroups(List.of(group),
              new DescribeConsumerGroupsOptions().timeoutMs(timeoutInt))
          .describedGroups().get(group).get(timeoutMs, TimeUnit.MILLISECONDS);
      for (MemberDescription member : description.members()) {
        partitions.addAll(member.assignment().topicPartitions());
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
    }
    if (!topics.isEmpty()) {
      Map<String, KafkaFuture<TopicDescription>> described = admin
          .describeTopics(topics, new DescribeTopicsOptions().timeoutMs(timeoutInt))
          .topicNameValues();
      for (Map.Entry<String, KafkaFuture<TopicDescription>> e : described.entrySet()) {
        TopicDescription topic;
        try {
          topic = e.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException ex) {
          if (ex.getCause() instanceof UnknownTopicOrPartitionException) {
            continue; // not created yet: nothing to lag behind
          }
          throw ex;
        }
        for (int p = 0; p < topic.partitions().size(); p++) {
          partitions.add(new TopicPartition(e.getKey(), topic.partitions().get(p).partition()));
        }
      }
    }

    Map<TopicPartition, Long> latestOffsets = listOffsets(partitions, OffsetSpec.latest());
    Set<TopicPartition> uncommitted = new HashSet<>();
    if (uncommittedAs == OffsetReset.EARLIEST) {
      for (TopicPartition tp : latestOffsets.keySet()) {
        if (!committed.containsKey(tp)) {
          uncommitted.add(tp);
        }
      }
    }
    Map<TopicPartition, Long> earliestOffsets = uncommitted.isEmpty()
        ? Map.of() : listOffsets(uncommitted, OffsetSpec.earliest());

    Map<TopicPartition, Long> lags = new HashMap<>();
    for (Map.Entry<TopicPartition, Long> e : latestOffsets.entrySet()) {
      TopicPartition tp = e.getKey();
      long end = e.getValue();
      OffsetAndMetadata c = committed.get(tp);
      long from;
      if (c != null) {
        from = c.offset();
      } else if (uncommittedAs == OffsetReset.LATEST) {
        from = end;
      } else {
        Long earliest = earliestOffsets.get(tp);
        if (earliest == null) {
          continue; // deleted between the two requests
        }
        from = earliest;
      }
      lags.put(tp, Math.max(0, end - from));
    }
    return ConsumerLag.of(group, lags, hotShare, hotMinLag, clock.nanoTime());
  }

  private Map<TopicPartition, Long> listOffsets(Collection<TopicPartition> partitions,
      OffsetSpec spec) throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (TopicPartition tp : partitions) {
      request.put(tp, spec);
    }
    Map<TopicPartition, Long> offsets = new HashMap<>();
    if (request.isEmpty()) {
      return offsets;
    }
    ListOffsetsResult result = admin.listOffsets(request,
        new ListOffsetsOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    for (TopicPartition tp : partitions) {
      try {
        offsets.put(tp, result.partitionResult(tp).get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .offset());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        // The topic was deleted while its committed offsets remain: not lag anyone can consume.
      }
    }
    return offsets;
  }

  /**
   * Returns the latest measurement: an empty one (no partitions, zero lag) until the first
   * refresh succeeds.
   *
   * @return the latest measurement
   */
  public ConsumerLag lag() {
    return latest.get();
  }

  /**
   * Returns the group's total lag at the latest measurement.
   *
   * @return records not yet committed by the group, summed over its partitions
   */
  public long totalLag() {
    return latest.get().totalLag();
  }

  /**
   * Returns one partition's lag at the latest measurement.
   *
   * @param partition the partition
   * @return its lag, 0 if it was not measured
   * @throws IllegalArgumentException if {@code partition} is null
   */
  public long partitionLag(TopicPartition partition) {
    return latest.get().lagOf(partition);
  }

  /**
   * Returns every measured partition's lag.
   *
   * @return an unmodifiable map ordered by topic and partition
   */
  public Map<TopicPartition, Long> partitionLags() {
    return latest.get().partitionLags();
  }

  /**
   * Returns whether one partition holds more than the configured share of the lag.
   *
   * @return the hot-partition indicator of the latest measurement
   */
  public boolean hasHotPartition() {
    return latest.get().hot();
  }

  /**
   * Returns how long ago the last successful refresh read the offsets (since construction if
   * none has succeeded yet).
   *
   * @return the age of {@link #lag()}
   */
  public Duration age() {
    return Duration.ofNanos(Math.max(0, clock.nanoTime() - latest.get().measuredAtNanos()));
  }

  /**
   * Returns whether at least one refresh has succeeded.
   *
   * @return true once {@link #lag()} holds a real measurement
   */
  public boolean hasMeasured() {
    return measured;
  }

  /**
   * Returns the cause of the most recent failed refresh.
   *
   * @return the failure, or null if none has failed
   */
  public Throwable lastFailure() {
    return lastFailure;
  }

  /**
   * Returns the consumer group measured.
   *
   * @return the group id
   */
  public String group() {
    return group;
  }

  /**
   * Returns the monitor's name, the {@code name} tag of its meters.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The sink is remembered: a later refresh that measures a new partition declares that
   * partition's gauge on it, from the refreshing thread.
   */
  @Override
  public void describeMeters(MeterSink sink) {
    MeterId base = baseId();
    sink.gauge(base.description("Records the consumer group has not committed, all partitions")
        .baseUnit("records"), () -> latest.get().totalLag());
    synchronized (bound) {
      Set<TopicPartition> declared = bound.computeIfAbsent(sink, s -> new HashSet<>());
      declarePartitionGauges(sink, declared, latest.get());
    }
    sink.gauge(new MeterId("headroom.kafka.lag.max", "Largest partition lag", "records",
        base.tags()), () -> latest.get().maxLag());
    sink.gauge(new MeterId("headroom.kafka.lag.max.share",
        "Share of the total lag held by the largest partition", "", base.tags()),
        () -> latest.get().maxShare());
    sink.gauge(new MeterId("headroom.kafka.lag.hot",
        "1 while one partition holds more than the hot share of the lag", "", base.tags()),
        () -> latest.get().hot() ? 1.0 : 0.0);
    sink.gauge(new MeterId("headroom.kafka.lag.age", "Time since the last successful refresh",
        "seconds", base.tags()), () -> age().toNanos() / 1e9);
    MeterId refreshes = new MeterId("headroom.kafka.lag.refreshes", "Offset reads", "",
        base.tags());
    sink.counter(refreshes.tag("outcome", "success"), successes::sum);
    sink.counter(refreshes.tag("outcome", "failure"), failures::sum);
  }

  /**
   * Returns how many times a sink the monitor was bound to refused a partition's gauge (each
   * refused gauge is offered again at the next refresh).
   *
   * @return refused gauge declarations
   */
  public long gaugeDeclarationFailures() {
    return gaugeFailures.sum();
  }

  private MeterId baseId() {
    return MeterId.of("headroom.kafka.lag").tag("name", name).tag("group", group);
  }

  /** Declares, on every bound sink, the gauges of partitions {@code lag} measures first. */
  private void declarePartitionGauges(ConsumerLag lag) {
    synchronized (bound) {
      for (Map.Entry<MeterSink, Set<TopicPartition>> e : bound.entrySet()) {
        declarePartitionGauges(e.getKey(), e.getValue(), lag);
      }
    }
  }

  /**
   * Declares the gauges {@code sink} lacks. A sink that throws (a registry rejecting the meter)
   * leaves the partition undeclared on that sink, to be tried again at the next refresh; the
   * measurement itself has been published already and the other sinks still get their gauges.
   */
  private void declarePartitionGauges(MeterSink sink, Set<TopicPartition> declared,
      ConsumerLag lag) {
    for (TopicPartition tp : lag.partitionLags().keySet()) {
      if (declared.contains(tp)) {
        continue;
      }
      try {
        sink.gauge(new MeterId("headroom.kafka.lag.partition",
                "Records the consumer group has not committed, one partition", "records",
                baseId().tags()).tag("topic", tp.topic()).tag("partition",
                Integer.toString(tp.partition())),
            () -> latest.get().lagOf(tp));
        declared.add(tp);
      } catch (RuntimeException e) {
        gaugeFailures.increment();
        return; // this sink again at the next refresh
      }
    }
  }

  /**
   * Stops polling, waiting up to the refresh timeout for a refresh in progress. Does not close
   * the {@link Admin} client. Idempotent.
   */
  @Override
  public void close() {
    ScheduledExecutorService s;
    synchronized (lifecycle) {
      closed = true;
      started = true; // a closed monitor cannot be started
      s = scheduler;
    }
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Builds a {@link ConsumerLagMonitor}. Each setter validates its argument at once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final Admin admin;
    private final String group;
    private String name;
    private Set<String> topics = Set.of();
    private boolean topicsSet;
    private OffsetReset uncommittedAs = OffsetReset.EARLIEST;
    private Duration interval = Duration.ofSeconds(15);
    private Duration timeout = Duration.ofSeconds(10);
    private double hotShare = 0.5;
    private long hotMinLag = 1000;
    private NanoClock clock = NanoClock.system();

    private Builder(Admin admin, String group) {
      this.admin = Checks.requireNonNull("admin", admin);
      this.group = Checks.requireNonBlank("group", group);
    }

    /**
     * Sets the name tag of the meters; the group id by default.
     *
     * @param name the name
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder name(String name) {
      this.name = Checks.requireNonBlank("name", name);
      return this;
    }

    /**
     * Adds every partition of these topics to the measurement, also those the group has never
     * committed and no member is assigned (for example while the group is down: exactly when
     * the lag matters). Without it, only committed and assigned partitions are measured.
     *
     * @param topics topic names
     * @return this builder
     * @throws IllegalArgumentException if null, empty or holding a blank name
     * @throws IllegalStateException if already set
     */
    public Builder topics(Collection<String> topics) {
      Checks.requireNotSet(!topicsSet, "topics", this.topics);
      Checks.requireNonNull("topics", topics);
      Checks.requireArgument(!topics.isEmpty(), "topics", "non-empty", topics);
      for (String t : topics) {
        Checks.requireNonBlank("topic", t);
      }
      this.topics = Set.copyOf(topics);
      this.topicsSet = true;
      return this;
    }

    /**
     * Sets how a partition without a committed offset is counted; {@link OffsetReset#EARLIEST}
     * by default. Match the group's {@code auto.offset.reset}.
     *
     * @param reset the policy
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder uncommittedAs(OffsetReset reset) {
      this.uncommittedAs = Checks.requireNonNull("uncommittedAs", reset);
      return this;
    }

    /**
     * Sets the delay between refreshes on the polling thread; 15 s by default.
     *
     * @param interval the delay
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     */
    public Builder interval(Duration interval) {
      this.interval = Checks.requirePositive("interval", interval);
      return this;
    }

    /**
     * Sets the timeout of each Admin request in a refresh; 10 s by default.
     *
     * @param timeout the timeout
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Checks.requirePositive("timeout", timeout);
      return this;
    }

    /**
     * Sets the share of the total lag above which the largest partition is hot; 0.5 ("most of
     * the lag") by default.
     *
     * @param share a fraction in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if not in (0, 1]
     */
    public Builder hotShare(double share) {
      this.hotShare = Checks.requireFraction("hotShare", share);
      return this;
    }

    /**
     * Sets the smallest total lag for which a partition can be hot; 1000 records by default, so
     * that a handful of records on one partition of an idle group is not reported.
     *
     * @param records the minimum total lag
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder hotMinLag(long records) {
      this.hotMinLag = Checks.requireNonNegative("hotMinLag", records);
      return this;
    }

    /**
     * Sets the clock that stamps measurements and computes {@link #age()}; the system clock by
     * default.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder clock(NanoClock clock) {
      this.clock = Checks.requireNonNull("clock", clock);
      return this;
    }

    /**
     * Builds the monitor; it does not poll until {@link ConsumerLagMonitor#start()}.
     *
     * @return the monitor
     */
    public ConsumerLagMonitor build() {
      return new ConsumerLagMonitor(this);
    }
  }
}
