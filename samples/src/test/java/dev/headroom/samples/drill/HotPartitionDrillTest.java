package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hot-partition scenario on the real in-process Kafka broker with a fixed seed: Kafka's
 * partitioner puts the big plan's events on one partition; Headroom, configured by properties
 * only, spreads them within 20% of an even share and leaves no partition idle.
 */
class HotPartitionDrillTest {

  @Test
  @Timeout(180)
  void headroomEvensOutThePartitionKafkasPartitionerKeepsHot() throws Exception {
    DrillResult r = new HotPartitionDrill().run(DrillAssertions.options(1));
    String ratio = "busiest partition / mean partition";
    beatsBoth(r, ratio);
    assertTrue(r.comparison(ratio).naive() > 5, r.consoleTable());
    assertTrue(r.comparison(ratio).headroom() <= 1.2, r.consoleTable());
    beatsBoth(r, "busiest partition's share of all events (%)");
    assertEquals(0, r.comparison("idle partitions (no event)").headroom(), r.consoleTable());
  }
}
