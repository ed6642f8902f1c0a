package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.atLeastBoth;
import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static dev.headroom.samples.drill.DrillAssertions.beatsNaiveAndMatchesPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.Priority;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The overload scenario in lib-core's simulator with fixed seeds: Headroom's defaults keep
 * CRITICAL whole, give HIGH more than the hand-tuned limit over seeds (within half a point on
 * each), and serve the 1x load before and after the spike, where no limit leaves the backend
 * collapsed.
 */
class OverloadDrillTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void headroomBeatsNoLimitAndTheHandTunedLimit(long seed) {
    DrillResult r = new OverloadDrill().run(DrillAssertions.options(seed));
    beatsNaiveAndMatchesPeer(r, "CRITICAL goodput during the spike (%)");
    assertEquals(100.0, r.comparison("CRITICAL goodput during the spike (%)").headroom(), 0.5);
    // HIGH against the hand-tuned limit: ahead (both are within two points of the ideal
    // 65.4%); the next test asks for it on every seed of seven.
    beatsBoth(r, "HIGH goodput during the spike (%)");
    beatsBoth(r, "goodput at 1x, from 5 s after the spike (%)");
    // Latency of the good requests: without a limit none is good during the spike. Where HIGH
    // alone asks for more than the backend completes, the adaptive limit stops at 1.15 times
    // what the throughput needs, near the hand-tuned 60: its p99 is within a tenth of the
    // peer's on every seed and below it on the drill's default seed (it was 1.3 times, 79 ms
    // against 70, before).
    Comparison p99 = r.comparison("CRITICAL p99 latency during the spike (ms)");
    Comparison highP99 = r.comparison("HIGH p99 latency during the spike (ms)");
    assertTrue(Double.isNaN(p99.naive()), "no CRITICAL request is good without a limit");
    assertTrue(p99.headroom() <= 1.1 * p99.peer(), "CRITICAL p99 " + p99.headroom() + " ms");
    assertTrue(highP99.headroom() <= 1.1 * highP99.peer(), "HIGH p99 " + highP99.headroom());
    if (seed == 1) {
      assertTrue(p99.headroom() < p99.peer() && highP99.headroom() < highP99.peer(),
          r.consoleTable());
    }
    atLeastBoth(r, "goodput at 1x before the spike (%)");
    assertTrue(r.comparison("goodput at 1x, from 5 s after the spike (%)").naive() < 5,
        "without a limit the backend stays collapsed\n" + r.consoleTable());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2})
  void theSampledUnlimitedRunIsTheRunWithoutAShedder(long seed) {
    Object scenario = OverloadDrill.scenario();
    OverloadDrill.Result nothing = OverloadDrill.simulate(scenario, seed, clock -> null);
    OverloadDrill.Run sampled = OverloadDrill.run(scenario, seed,
        b -> b.limit(LimitPolicy.fixed(OverloadDrill.ADMIT_ALL)));
    for (String phase : new String[] {"BEFORE", "SPIKE", "AFTER"}) {
      for (Priority p : Priority.values()) {
        assertEquals(nothing.goodput(phase, p), sampled.result().goodput(phase, p),
            phase + " " + p);
      }
    }
    assertEquals(500, sampled.inFlight().size(), "one sample per 100 ms of the 50 s replay");
    assertTrue(sampled.inFlight().stream().mapToInt(Integer::intValue).max().orElse(0) > 1_000,
        "the collapse shows in the series");
  }

  /**
   * On every seed of 1-7 HIGH gets more than under the hand-tuned limit: 64.7-66.0% against
   * 63.2-65.0%, 1.1 points more on average. Before the bands' squeeze (under pressure each band
   * shrinks by the concurrency refused above it) NORMAL took slots HIGH needed and HIGH was
   * behind by 0.1-0.3 point on seeds 1, 2 and 4.
   */
  @org.junit.jupiter.api.Test
  void onEverySeedHighGetsMoreThanUnderTheHandTunedLimit() {
    double headroom = 0;
    double peer = 0;
    int ahead = 0;
    StringBuilder seen = new StringBuilder();
    for (long seed = 1; seed <= 7; seed++) {
      Comparison c = new OverloadDrill().run(DrillAssertions.options(seed))
          .comparison("HIGH goodput during the spike (%)");
      headroom += c.headroom();
      peer += c.peer();
      ahead += c.headroom() > c.peer() ? 1 : 0;
      seen.append(String.format(" seed %d: %.1f vs %.1f", seed, c.headroom(), c.peer()));
    }
    assertTrue(headroom >= peer + 7 * 0.5, seen.toString());
    assertEquals(7, ahead, seen.toString());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {4})
  void reRunsAreIdentical(long seed) {
    String a = new OverloadDrill().run(DrillAssertions.options(seed)).comparisons().toString();
    String b = new OverloadDrill().run(DrillAssertions.options(seed)).comparisons().toString();
    assertEquals(a, b);
  }
}
