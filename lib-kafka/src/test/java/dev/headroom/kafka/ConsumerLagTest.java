package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ConsumerLagTest {

  static TopicPartition tp(String topic, int p) {
    return new TopicPartition(topic, p);
  }

  @Test
  void sumsPartitionsAndFindsTheLargest() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 10L, tp("a", 1), 30L, tp("a", 2), 0L);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.5, 0, 7);
    LagInvariants.check(lag, in, 0.5, 0);
    assertEquals(40, lag.totalLag());
    assertEquals(Optional.of(tp("a", 1)), lag.maxPartition());
    assertEquals(0.75, lag.maxShare());
    assertTrue(lag.hot());
    assertEquals(Optional.of(tp("a", 1)), lag.hotPartition());
    assertEquals(7, lag.measuredAtNanos());
  }

  @Test
  void orderIsByTopicThenPartitionNumber() {
    Map<TopicPartition, Long> in = new LinkedHashMap<>();
    in.put(tp("b", 0), 1L);
    in.put(tp("a", 10), 1L);
    in.put(tp("a", 2), 1L);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.5, 0, 0);
    assertEquals(List.of(tp("a", 2), tp("a", 10), tp("b", 0)),
        List.copyOf(lag.partitionLags().keySet()));
  }

  @Test
  void aShareExactlyAtTheThresholdIsNotHot() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 50L, tp("a", 1), 50L);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.5, 0, 0);
    LagInvariants.check(lag, in, 0.5, 0);
    assertFalse(lag.hot());
    assertEquals(Optional.of(tp("a", 0)), lag.maxPartition(), "ties: the first in order");
  }

  @Test
  void aSinglePartitionIsNeverHot() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 1_000_000L);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.5, 0, 0);
    assertEquals(1.0, lag.maxShare());
    assertFalse(lag.hot());
  }

  @Test
  void lagBelowTheMinimumIsNeverHot() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 999L, tp("a", 1), 0L);
    assertFalse(ConsumerLag.of("g", in, 0.5, 1000, 0).hot());
    Map<TopicPartition, Long> more = Map.of(tp("a", 0), 1000L, tp("a", 1), 0L);
    assertTrue(ConsumerLag.of("g", more, 0.5, 1000, 0).hot());
  }

  @Test
  void zeroLagHasZeroShareAndNoHotPartition() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 0L, tp("a", 1), 0L);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.1, 0, 0);
    LagInvariants.check(lag, in, 0.1, 0);
    assertEquals(0.0, lag.maxShare());
    assertFalse(lag.hot());
  }

  @Test
  void emptyMeasurementHasNothing() {
    ConsumerLag lag = ConsumerLag.empty("g", 0);
    assertEquals(0, lag.totalLag());
    assertEquals(Optional.empty(), lag.maxPartition());
    assertEquals(0, lag.lagOf(tp("a", 0)));
  }

  @Test
  void rejectsNegativeLagAndBadThresholds() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerLag.of("g", Map.of(tp("a", 0), -1L), 0.5, 0, 0));
    assertEquals("lag of a-0 must be >= 0 (was -1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerLag.of("g", Map.of(), 0.0, 0, 0));
    assertEquals("hotShare must be in (0, 1] (was 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new ConsumerLag("g", Map.of(tp("a", 0), -2L), 0, Optional.empty(), 0, 0, false,
            0));
    assertEquals("partitionLags[a-0] must be >= 0 (was -2)", e.getMessage());
  }

  @Test
  void aHandBuiltMeasurementMustBeConsistent() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), 3L, tp("a", 1), 4L);
    assertEquals("totalLag must be the sum of partitionLags, 7 (was 6)", assertThrows(
        IllegalArgumentException.class, () -> new ConsumerLag("g", in, 6,
            Optional.of(tp("a", 1)), 4, 4.0 / 7, false, 0)).getMessage());
    assertEquals("maxLag must be the largest of partitionLags, 4 (was 3)", assertThrows(
        IllegalArgumentException.class, () -> new ConsumerLag("g", in, 7,
            Optional.of(tp("a", 1)), 3, 4.0 / 7, false, 0)).getMessage());
    assertEquals("maxPartition must be a partition with the largest lag (was Optional[a-0])",
        assertThrows(IllegalArgumentException.class, () -> new ConsumerLag("g", in, 7,
            Optional.of(tp("a", 0)), 4, 4.0 / 7, false, 0)).getMessage());
    assertEquals(ConsumerLag.of("g", in, 0.5, 0, 0),
        new ConsumerLag("g", in, 7, Optional.of(tp("a", 1)), 4, 4.0 / 7, true, 0));
  }

  @Test
  void partitionLagsAreUnmodifiable() {
    ConsumerLag lag = ConsumerLag.of("g", Map.of(tp("a", 0), 1L), 0.5, 0, 0);
    assertThrows(UnsupportedOperationException.class,
        () -> lag.partitionLags().put(tp("a", 1), 1L));
  }

  @Test
  void totalSaturatesInsteadOfOverflowing() {
    Map<TopicPartition, Long> in = Map.of(tp("a", 0), Long.MAX_VALUE, tp("a", 1), 5L);
    assertEquals(Long.MAX_VALUE, ConsumerLag.of("g", in, 0.5, 0, 0).totalLag());
  }
}
