package dev.headroom.sim.overload;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.shed.Priority;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The overload incident (1x, 15x, 1x in front of a backend that collapses above 75 in flight)
 * replayed with the shedder's defaults: the targets of the README's table, as medians over
 * seeds 1-10, and across the scenario family.
 */
class OverloadScenarioTest {

  @Test
  void defaultsMeetTheTargetsInTheIncident() {
    OverloadScenario scenario = OverloadScenario.builder().build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 10);
    String report = OverloadReport.table(scenario, 1, 10);
    if (Boolean.getBoolean("sim.report")) {
      System.out.println(report);
    }
    double idealHigh = scenario.idealDuringSpike(Priority.HIGH);
    assertTrue(m[0] >= 0.99, "CRITICAL during the spike\n" + report);
    assertTrue(m[1] >= 0.9 * idealHigh, "HIGH during the spike\n" + report);
    assertTrue(m[4] >= 0.99, "1x from 5 s after the spike\n" + report);
    assertTrue(m[5] >= 0.99, "1x before the spike\n" + report);
  }

  @Test
  void withoutALimitTheBackendStaysCollapsedAfterTheSpike() {
    OverloadScenario scenario = OverloadScenario.builder().build();
    OverloadScenario.Result r = scenario.run(1, clock -> null);
    assertTrue(r.goodput(OverloadScenario.Phase.SPIKE) < 0.01, r.toString());
    assertTrue(r.goodput(OverloadScenario.Phase.AFTER) < 0.05, "metastable\n" + r);
  }

  /**
   * A backend of 20 slots under a 20x spike collapses (CRITICAL, never shed, alone keeps more
   * than 30 inside); the limit halves, but the concurrency does not come down with it. That is
   * no verdict: the limit used to read "latency did not come down" as "not load" and open to
   * its maximum, and after the spike the 1x load then found it open and kept the backend
   * collapsed (0% served). It holds at half now, and the load after the spike is served.
   */
  @Test
  void aCollapseCriticalWorkSustainsDoesNotOpenTheLimit() {
    OverloadScenario scenario = OverloadScenario.builder().sigma(0.2).slots(20).spike(20)
        .phases(8, 12, 12).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    assertTrue(m[4] >= 0.99, "1x after the spike: " + m[4]);
  }

  @Test
  void reRunsAreIdentical() {
    OverloadScenario scenario = OverloadScenario.builder().phases(4, 6, 8).build();
    assertTrue(scenario.run(3, OverloadReport::defaults).toString()
        .equals(scenario.run(3, OverloadReport::defaults).toString()));
  }

  /**
   * The family: service-time sigma 0.2-0.8, 40-200 slots, a 5x-20x spike. (Below 40 slots
   * the margin between the limit the tolerance allows, 1.3x the slots, and the collapse point,
   * 1.5x, is a few requests; with sigma 0.2, 20 slots and an 18x spike, an overshoot collapses
   * the backend and CRITICAL alone keeps it collapsed: a known gap, listed in the README.) Per member, the
   * median of three seeds. CRITICAL is never starved, the load after the spike is served, and
   * HIGH gets at least 90% of its ideal share, the project's target. The shares are bands of
   * one limit (HIGH may fill 95% of it, NORMAL 80%), not strict priority, so NORMAL takes some
   * slots whenever in-flight dips below 80% of the limit, which costs HIGH most where the limit
   * is small: on a grid of sigma 0.2/0.5/0.8, 40/100/200 slots and 5/10/20x, the lowest was
   * 91% (40 slots, 10x); 40 tries with another seed passed too.
   */
  @Property(tries = 12, seed = "16")
  void defaultsHoldAcrossTheFamily(@ForAll @DoubleRange(min = 0.2, max = 0.8) double sigma,
      @ForAll @IntRange(min = 40, max = 200) int slots,
      @ForAll @DoubleRange(min = 5, max = 20) double spike) {
    OverloadScenario scenario = OverloadScenario.builder().sigma(sigma).slots(slots)
        .spike(spike).phases(8, 12, 12).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    String what = String.format("sigma %.2f slots %d spike %.1f: CRITICAL %.3f HIGH %.3f"
        + " (ideal %.3f) after %.3f", sigma, slots, spike, m[0], m[1],
        scenario.idealDuringSpike(Priority.HIGH), m[4]);
    assertTrue(m[0] >= 0.99, what);
    assertTrue(m[1] >= 0.9 * scenario.idealDuringSpike(Priority.HIGH), what);
    assertTrue(m[4] >= 0.99, what);
  }
}
