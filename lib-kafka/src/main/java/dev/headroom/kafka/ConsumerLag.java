package dev.headroom.kafka;

import dev.headroom.core.Checks;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * One measurement of a consumer group's lag: records written to each partition that the group
 * has not committed yet, their sum, and whether one partition holds most of it.
 *
 * <p>A partition's lag is {@code latest offset - committed offset}, never below zero (a committed
 * offset past the latest one, possible after a topic is recreated, counts as no lag). How a
 * partition without a committed offset is counted is a {@link ConsumerLagMonitor} setting.
 *
 * <p>The hot-partition indicator: the group has a hot partition when it reads at least two
 * partitions, the total lag is at least {@code hotMinLag} records, and the partition with the
 * largest lag holds strictly more than {@code hotShare} of the total. A single partition, or a
 * few records of lag, never count as hot: neither is something more consumers could fix or a
 * different key could spread.
 *
 * <p>Thread-safety: immutable.
 *
 * @param group the consumer group
 * @param partitionLags lag per partition, ordered by topic then partition; unmodifiable
 * @param totalLag the sum of {@code partitionLags}
 * @param maxPartition the partition with the largest lag (the first in order on ties), or empty
 *     when no partition is measured
 * @param maxLag the largest partition lag, 0 when none is measured
 * @param maxShare {@code maxLag / totalLag}, or 0 when the total is 0
 * @param hot whether {@code maxPartition} is a hot partition by the rule above
 * @param measuredAtNanos the {@link dev.headroom.core.NanoClock} reading when the offsets were
 *     read
 */
public record ConsumerLag(
    String group,
    Map<TopicPartition, Long> partitionLags,
    long totalLag,
    Optional<TopicPartition> maxPartition,
    long maxLag,
    double maxShare,
    boolean hot,
    long measuredAtNanos) {

  /** Orders partitions by topic, then partition number: stable output for logs and gauges. */
  static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  /**
   * Validates and freezes the measurement.
   *
   * @throws IllegalArgumentException if a field is null, a lag is negative, or the totals do
   *     not match {@code partitionLags}
   */
  public ConsumerLag {
    Checks.requireNonNull("group", group);
    Checks.requireNonNull("partitionLags", partitionLags);
    Checks.requireNonNull("maxPartition", maxPartition);
    Checks.requireNonNegative("totalLag", totalLag);
    Checks.requireNonNegative("maxLag", maxLag);
    Map<TopicPartition, Long> sorted = new TreeMap<>(ORDER);
    for (Map.Entry<TopicPartition, Long> e : partitionLags.entrySet()) {
      Checks.requireNonNull("partitionLags key", e.getKey());
      Checks.requireNonNull("partitionLags[" + e.getKey() + "]", e.getValue());
      Checks.requireNonNegative("partitionLags[" + e.getKey() + "]", e.getValue());
      sorted.put(e.getKey(), e.getValue());
    }
    partitionLags = Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
    long sum = 0;
    long max = 0;
    for (long lag : partitionLags.values()) {
      sum = saturatedAdd(sum, lag);
      max = Math.max(max, lag);
    }
    Checks.requireArgument(totalLag == sum, "totalLag", "the sum of partitionLags, " + sum,
        totalLag);
    Checks.requireArgument(maxLag == max, "maxLag", "the largest of partitionLags, " + max,
        maxLag);
    Long lagOfMax = maxPartition.isPresent() ? sorted.get(maxPartition.get()) : null;
    Checks.requireArgument(maxPartition.isEmpty() == sorted.isEmpty()
            && (lagOfMax == null ? maxPartition.isEmpty() : lagOfMax == maxLag),
        "maxPartition", "a partition with the largest lag", maxPartition);
    Checks.requireInRange("maxShare", maxShare, 0.0, true, 1.0, true);
    Checks.requireArgument(!hot || maxPartition.isPresent(), "hot",
        "false without a maxPartition", hot);
  }

  /**
   * Computes totals, the largest partition and the hot-partition indicator from per-partition
   * lags.
   *
   * @param group the consumer group
   * @param lags lag per partition, each {@code >= 0}
   * @param hotShare the share of the total above which the largest partition is hot, in (0, 1]
   * @param hotMinLag the smallest total lag for which a partition can be hot, {@code >= 0}
   * @param measuredAtNanos when the offsets were read
   * @return the measurement
   * @throws IllegalArgumentException if a lag is negative or a threshold is out of range
   */
  static ConsumerLag of(String group, Map<TopicPartition, Long> lags, double hotShare,
      long hotMinLag, long measuredAtNanos) {
    Checks.requireFraction("hotShare", hotShare);
    Checks.requireNonNegative("hotMinLag", hotMinLag);
    Map<TopicPartition, Long> sorted = new TreeMap<>(ORDER);
    sorted.putAll(lags);
    long total = 0;
    long max = 0;
    TopicPartition maxPartition = null;
    for (Map.Entry<TopicPartition, Long> e : sorted.entrySet()) {
      long lag = Checks.requireNonNegative("lag of " + e.getKey(), e.getValue());
      total = saturatedAdd(total, lag);
      if (maxPartition == null || lag > max) {
        max = lag;
        maxPartition = e.getKey();
      }
    }
    double share = total == 0 ? 0.0 : (double) max / total;
    boolean hot = sorted.size() >= 2 && total > 0 && total >= hotMinLag && share > hotShare;
    return new ConsumerLag(group, sorted, total, Optional.ofNullable(maxPartition), max, share,
        hot, measuredAtNanos);
  }

  /** An empty measurement: nothing read yet. */
  static ConsumerLag empty(String group, long nanos) {
    return new ConsumerLag(group, Map.of(), 0, Optional.empty(), 0, 0.0, false, nanos);
  }

  /**
   * Returns the lag of one partition.
   *
   * @param partition the partition
   * @return its lag, or 0 if it was not measured
   * @throws IllegalArgumentException if {@code partition} is null
   */
  public long lagOf(TopicPartition partition) {
    Checks.requireNonNull("partition", partition);
    Long lag = partitionLags.get(partition);
    return lag == null ? 0 : lag;
  }

  /**
   * Returns the hot partition, if there is one.
   *
   * @return {@link #maxPartition()} when {@link #hot()}, else empty
   */
  public Optional<TopicPartition> hotPartition() {
    return hot ? maxPartition : Optional.empty();
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
