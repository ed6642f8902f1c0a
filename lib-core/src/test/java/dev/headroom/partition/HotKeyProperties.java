package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class HotKeyProperties {

  /**
   * Count-Min guarantee: an estimate is never below the true count, so a key whose share is
   * above the threshold when it is sampled (here 1.5 x the threshold or more overall, and the last
   * record) is found once the window holds enough samples.
   */
  @Property(tries = 60)
  void aKeyAboveTheThresholdIsFound(
      @ForAll @DoubleRange(min = 0.001, max = 0.3) @net.jqwik.api.constraints.Scale(4) double threshold,
      @ForAll @DoubleRange(min = 1.5, max = 3.0) double factor,
      @ForAll @IntRange(min = 2, max = 64) int partitions, @ForAll long seed) {
    double share = Math.min(0.95, threshold * factor);
    int n = (int) Math.max(2_000, 200 / threshold);
    KeyPartitioner p = KeyPartitioner.create(KeyPartitionerConfig.builder().name("p")
        .partitions(partitions).hotKeyThreshold(threshold).sampleEvery(1)
        .clock(new ManualClock()).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    Random random = new Random(seed);
    for (int i = 0; i < n - 1; i++) {
      if (random.nextDouble() < share) {
        h.reset().putString("HOT");
      } else {
        h.reset().putString("cold").putLong(random.nextInt(1_000_000));
      }
      p.partition(h, true);
    }
    long hot = h.reset().putString("HOT").hash();
    p.partition(h, true);
    assertTrue(p.isHot(hot), () -> "share " + share + " threshold " + threshold);
    PartitionInvariants.assertCountsConsistent(p, n);
  }

  /** A key far below the threshold among many others is never reported. */
  @Property(tries = 30)
  void uniformTrafficHasNoHotKey(@ForAll @DoubleRange(min = 0.05, max = 0.5) double threshold,
      @ForAll long seed) {
    KeyPartitioner p = KeyPartitioner.create(KeyPartitionerConfig.builder().name("p")
        .partitions(12).hashMode(HashMode.FAST).hotKeyThreshold(threshold).sampleEvery(1)
        .clock(new ManualClock())
        .build());
    KeyHasher h = KeyHasher.create(HashMode.FAST);
    Random random = new Random(seed);
    for (int i = 0; i < 5_000; i++) {
      p.partition(h.reset().putLong(random.nextInt(10_000)), true);
    }
    assertEquals(0, p.hotKeyCount(), () -> p.hotKeys().toString());
  }
}
