package dev.headroom.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.TopicPartition;

class ConsumerLagProperties {

  @Property(tries = 300)
  void invariantsHoldForAnyLags(
      @ForAll @Size(max = 24) List<@LongRange(min = 0, max = 1_000_000_000L) Long> lags,
      @ForAll @DoubleRange(min = 0.01, max = 1.0) double hotShare,
      @ForAll @LongRange(min = 0, max = 5_000) long hotMinLag) {
    Map<TopicPartition, Long> in = new HashMap<>();
    for (int i = 0; i < lags.size(); i++) {
      in.put(new TopicPartition(i % 3 == 0 ? "x" : "y", i), lags.get(i));
    }
    LagInvariants.check(ConsumerLag.of("g", in, hotShare, hotMinLag, 0), in, hotShare,
        hotMinLag);
  }

  @Property(tries = 200)
  void oneDominantPartitionIsAlwaysHot(
      @ForAll @Size(min = 1, max = 24) List<@LongRange(min = 0, max = 1_000) Long> others,
      @ForAll @LongRange(min = 0, max = 1_000) long extra) {
    Map<TopicPartition, Long> in = new HashMap<>();
    long rest = 0;
    for (int i = 0; i < others.size(); i++) {
      in.put(new TopicPartition("t", i + 1), others.get(i));
      rest += others.get(i);
    }
    // Strictly more than all the others together: a share above one half.
    in.put(new TopicPartition("t", 0), rest + 1 + extra);
    ConsumerLag lag = ConsumerLag.of("g", in, 0.5, 0, 0);
    LagInvariants.check(lag, in, 0.5, 0);
    org.junit.jupiter.api.Assertions.assertEquals(
        java.util.Optional.of(new TopicPartition("t", 0)), lag.hotPartition());
  }
}
