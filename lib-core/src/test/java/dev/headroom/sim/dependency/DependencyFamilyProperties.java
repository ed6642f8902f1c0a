package dev.headroom.sim.dependency;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.sim.dependency.Dependency.Phase;
import dev.headroom.sim.dependency.DependencyScenario.Client;
import dev.headroom.sim.dependency.DependencyScenario.Result;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The slow-dependency family: whatever the hang share (0-40%), the degraded latency (median
 * 10-400 ms) and the arrival rate (50-400 calls/s), a breaker on its defaults is never more than
 * 3 points of goodput below a bare deadline in any phase, on the same seed. 20 tries, each a
 * 50 s replay of both clients (a few milliseconds each), keep the property well under 20 s.
 */
class DependencyFamilyProperties {

  @Property(tries = 20, seed = "16")
  void breakerNeverWorseThanBareDeadline(
      @ForAll @DoubleRange(min = 0.0, max = 0.4) double hangShare,
      @ForAll @IntRange(min = 10, max = 400) int medianMillis,
      @ForAll @IntRange(min = 50, max = 400) int rate,
      @ForAll @IntRange(min = 1, max = 3) int seed) {
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 10, 20),
        new Phase("degraded", Dependency.nanos(20), Dependency.millis(medianMillis), hangShare,
            0.0, 0),
        Phase.healthy("recovery", 20, 20).withCapacity(20));
    DependencyScenario s = new DependencyScenario(d, rate, 200, d.start(1));
    Result bare = s.run(Client.BARE, seed);
    Result breaker = s.run(Client.BREAKER, seed);
    for (int phase = 0; phase < 3; phase++) {
      assertTrue(breaker.goodput(phase) >= bare.goodput(phase) - 0.03,
          "hang " + hangShare + ", median " + medianMillis + " ms, " + rate + "/s, seed " + seed
              + ", phase " + phase + ": breaker " + breaker.goodput(phase) + " vs bare "
              + bare.goodput(phase));
    }
  }
}
