package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Spreading at the defaults, in virtual time, on the enrollment workload (fixed seeds): the
 * figures the README quotes for the partitioner alone (the real-broker replay is in lib-kafka).
 */
class SpreadingSimulationTest {

  private static KeyPartitioner partitioner(ManualClock clock) {
    return KeyPartitioner.create(KeyPartitionerConfig.builder().name("sim").partitions(12)
        .spreading(true).clock(clock).build());
  }

  @Test
  void planIdKeysDeclaredUnorderedReachAnEvenSpreadWithTheDefaults() {
    System.out.println("plan_id keys, unordered, defaults (12 partitions, 200,000 events):");
    for (long seed : new long[] {2026, 1, 2, 3, 4}) {
      ManualClock clock = new ManualClock();
      KeyPartitioner p = partitioner(clock);
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
      List<EnrollmentWorkload.Event> events = EnrollmentWorkload.events(200_000, seed);
      Map<String, Integer> home = new HashMap<>();
      int moved = 0;
      int i = 0;
      for (EnrollmentWorkload.Event e : events) {
        if (++i % 100 == 0) {
          clock.advance(Duration.ofMillis(1)); // 100,000 events a second
        }
        int homePartition = h.reset().putString(e.plan()).partition(12);
        int chosen = p.partition(h, false);
        if (chosen != homePartition) {
          home.merge(e.plan(), 1, Integer::sum);
          moved++;
        }
      }
      double skew = p.skew();
      System.out.printf("  seed %d: max/mean %.3f, gini %.3f, hot keys %s, moved %d%n", seed,
          skew, p.gini(), p.hotKeys().stream().map(k -> k.key() + " " + k.partitions().size())
              .toList(), moved);
      assertTrue(skew <= 1.05, "seed " + seed + " max/mean " + skew);
      // Keys that never became hot never left home.
      for (String plan : home.keySet()) {
        assertTrue(p.hotKeys().stream().anyMatch(k -> k.key().field(0).equals(plan))
            || home.get(plan) < 50, plan + " moved " + home.get(plan));
      }
      PartitionInvariants.assertCountsConsistent(p, 200_000);
    }
  }

  @Test
  void compositeKeysWithUnorderedSyncAccountsReachAnEvenSpreadWithTheDefaults() {
    for (long seed : new long[] {2026, 1, 2}) {
      ManualClock clock = new ManualClock();
      KeyPartitioner p = partitioner(clock);
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
      int i = 0;
      for (EnrollmentWorkload.Event e : EnrollmentWorkload.events(200_000, seed)) {
        if (++i % 100 == 0) {
          clock.advance(Duration.ofMillis(1));
        }
        int home = h.reset().putString(e.member()).putString(e.type()).partition(12);
        int chosen = p.partition(h, e.ordered());
        if (e.ordered()) {
          assertEquals(home, chosen, "an ordered key never moves");
        }
      }
      System.out.printf("composite keys, seed %d: max/mean %.3f, gini %.3f, hot %d%n", seed,
          p.skew(), p.gini(), p.hotKeyCount());
      assertTrue(p.skew() <= 1.05, "seed " + seed + " max/mean " + p.skew());
    }
  }

  @Test
  void giniAndSkewOfKnownCounts() {
    assertEquals(0.0, KeyPartitioner.gini(new double[] {5, 5, 5, 5}), 1e-12);
    assertEquals(0.75, KeyPartitioner.gini(new double[] {0, 0, 0, 8}), 1e-12);
    assertEquals(4.0, KeyPartitioner.skew(new double[] {0, 0, 0, 8}), 1e-12);
    assertEquals(0.0, KeyPartitioner.gini(new double[] {0, 0}), 1e-12);
  }
}
