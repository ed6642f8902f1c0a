package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cascade scenario in lib-core's dependency simulator with fixed seeds. During the full
 * outage the breaker stops sending to the failing dependency; on the slow replica it neither
 * helps nor hurts at its defaults (the replay's known gap: the 800 ms answers are inside the
 * deadline, so nothing trips it), and it recovers without a relapse.
 */
class CascadeDrillTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void theBreakerStopsSendingToAFailingDependencyAndNeverCostsTheSlowReplicaGoodput(long seed) {
    DrillResult r = new CascadeDrill().run(DrillAssertions.options(seed));
    beatsBoth(r, "outage: calls sent to the failing dependency (%)");
    assertTrue(r.comparison("outage: calls sent to the failing dependency (%)").headroom() < 25,
        r.consoleTable());
    for (String phase : new String[] {"healthy", "degraded", "recovery"}) {
      Comparison c = r.comparison("slow replica, " + phase + ": goodput (%)");
      assertTrue(c.headroom() >= c.naive() - 0.5, phase + "\n" + r.consoleTable());
    }
    assertTrue(r.comparison("slow replica, recovery: goodput (%)").headroom() >= 99.5,
        r.consoleTable());
    assertTrue(r.comparison("outage: goodput in the 10 s after recovery (%)").headroom() >= 99,
        r.consoleTable());
  }
}
