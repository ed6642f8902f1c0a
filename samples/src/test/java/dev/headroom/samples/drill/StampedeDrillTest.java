package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static dev.headroom.samples.drill.DrillAssertions.beatsNaiveAndMatchesPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The stampede scenario in lib-core's fleet simulator with a fixed seed: both Caffeine set-ups
 * push the origin past its limit after the deploy; Headroom's defaults keep it under half the
 * limit, draw no 429, make no reader wait, fail no read, and call the origin less often in all
 * than either, at the cost of under 1% of reads answered past the TTL while a refresh ran.
 */
class StampedeDrillTest {

  @Test
  void headroomKeepsTheOriginUnderHalfItsLimitWhereBothCaffeineSetUpsStampede() {
    DrillResult r = new StampedeDrill().run(DrillAssertions.options(1));
    String peak = "origin calls in the busiest second (limit 500)";
    beatsBoth(r, peak);
    assertTrue(r.comparison(peak).naive() > 500 && r.comparison(peak).peer() > 500,
        r.consoleTable());
    assertTrue(r.comparison(peak).headroom() <= 250, r.consoleTable());
    beatsBoth(r, "origin calls refused with 429");
    assertEquals(0, r.comparison("origin calls refused with 429").headroom());
    beatsBoth(r, "reads that waited for a load");
    beatsNaiveAndMatchesPeer(r, "reads that failed");
    assertEquals(0, r.comparison("reads that failed").headroom());
    // The spread costs no origin calls: fewer in all than either Caffeine set-up.
    beatsBoth(r, "origin calls in all");
    // What it costs instead, kept small: reads answered past the TTL while a refresh ran.
    Comparison stale = r.comparison("reads answered past the TTL, while a refresh ran");
    assertTrue(stale.headroom() < 0.01 * 630_000, r.consoleTable());
  }
}
