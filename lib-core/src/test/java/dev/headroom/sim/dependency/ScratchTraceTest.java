package dev.headroom.sim.dependency;

import dev.headroom.sim.dependency.Dependency.Phase;
import dev.headroom.sim.dependency.DependencyScenario.Client;
import dev.headroom.sim.dependency.DependencyScenario.Result;
import org.junit.jupiter.api.Test;

class ScratchTraceTest {
  @Test
  void trace() {
    double hang = Double.parseDouble(System.getProperty("h", "0.4"));
    int median = Integer.getInteger("m", 10);
    int rate = Integer.getInteger("r", 50);
    Client c = Client.valueOf(System.getProperty("c", "GUARD_ADAPTIVE"));
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 10, 20),
        new Phase("degraded", Dependency.nanos(20), Dependency.millis(median), hang, 0.0, 0),
        Phase.healthy("recovery", 20, 20).withCapacity(20));
    DependencyScenario s = new DependencyScenario(d, rate, 200, d.start(1));
    Result r = s.run(c, Long.getLong("seed", 1));
    System.out.printf("RESULT %.1f / %.1f / %.1f%n", 100 * r.goodput(0), 100 * r.goodput(1), 100 * r.goodput(2));
  }
}
