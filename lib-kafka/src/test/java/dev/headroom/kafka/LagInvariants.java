package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Invariants of a {@link ConsumerLag} computed from per-partition lags; shared by the unit
 * tests and the properties. */
final class LagInvariants {

  private LagInvariants() {}

  static void check(ConsumerLag lag, Map<TopicPartition, Long> input, double hotShare,
      long hotMinLag) {
    assertEquals(input, lag.partitionLags(), "partition lags are the input");
    long total = input.values().stream().mapToLong(Long::longValue).sum();
    assertEquals(total, lag.totalLag(), "total is the sum");
    long max = input.values().stream().mapToLong(Long::longValue).max().orElse(0);
    assertEquals(max, lag.maxLag(), "max is the largest partition lag");
    assertEquals(input.isEmpty(), lag.maxPartition().isEmpty());
    lag.maxPartition().ifPresent(p -> assertEquals(max, (long) input.get(p)));
    assertEquals(total == 0 ? 0.0 : (double) max / total, lag.maxShare(), 1e-12);
    boolean hot = input.size() >= 2 && total > 0 && total >= hotMinLag
        && (double) max / total > hotShare;
    assertEquals(hot, lag.hot(), "hot iff >= 2 partitions, total >= min and share > threshold");
    assertEquals(hot ? lag.maxPartition() : java.util.Optional.empty(), lag.hotPartition());
    for (Map.Entry<TopicPartition, Long> e : input.entrySet()) {
      assertEquals((long) e.getValue(), lag.lagOf(e.getKey()));
    }
    if (hot && hotShare >= 0.5) {
      // Above half the total, the hot partition is the only one that could be.
      for (Map.Entry<TopicPartition, Long> e : input.entrySet()) {
        if (!e.getKey().equals(lag.maxPartition().orElseThrow())) {
          assertTrue((double) e.getValue() / total < hotShare);
        }
      }
    }
    assertFalse(lag.totalLag() < 0);
  }
}
