package dev.headroom.shed;

import static dev.headroom.shed.OverloadSimulation.MS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import org.junit.jupiter.api.Test;

/**
 * The overload drill in virtual time: 15x the backend's capacity, offered with a priority mix.
 * With the shedder, CRITICAL and HIGH keep at least 95% good put and a p99 within 2x of
 * unloaded while LOW absorbs the shedding; without it, every tier collapses.
 */
class OverloadSimulationTest {

  static final double CORES = 20;
  static final long WORK = 10 * MS;
  static final long TIMEOUT = 200 * MS;
  static final long DURATION = 20_000 * MS;
  static final long WARM_UP = 2_000 * MS;

  static OverloadSimulation simulation(double load) {
    return new OverloadSimulation(WORK, TIMEOUT, CORES, t -> CORES, t -> load, 7);
  }

  static LoadShedder gradientShedder(ManualClock clock) {
    return LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(20).minLimit(2).maxLimit(500).build())
        .build();
  }

  @Test
  void criticalAndHighSurvive15xWhileLowAbsorbsTheShedding() {
    ManualClock unloadedClock = new ManualClock(0);
    OverloadSimulation.Result unloaded = simulation(0.3)
        .run(gradientShedder(unloadedClock), unloadedClock, DURATION, WARM_UP);
    ManualClock clock = new ManualClock(0);
    OverloadSimulation.Result loaded = simulation(15)
        .run(gradientShedder(clock), clock, DURATION, WARM_UP);
    String report = "unloaded:\n" + unloaded + "15x with shedder:\n" + loaded;
    if (Boolean.getBoolean("shed.report")) {
      System.out.println(report);
    }

    for (Priority p : new Priority[] {Priority.CRITICAL, Priority.HIGH}) {
      assertTrue(unloaded.goodput(p) >= 0.999, p + " unloaded\n" + report);
      assertTrue(loaded.goodput(p) >= 0.95, p + " good put under 15x\n" + report);
      assertTrue(loaded.p99(p) <= 2 * unloaded.p99(p), p + " p99 under 15x\n" + report);
    }
    assertTrue(loaded.shedFraction(Priority.LOW) > 0.9, "LOW absorbs the shedding\n" + report);
    assertTrue(loaded.shedFraction(Priority.LOW) > loaded.shedFraction(Priority.NORMAL)
        && loaded.shedFraction(Priority.NORMAL) > loaded.shedFraction(Priority.HIGH),
        "shedding ordered by priority\n" + report);
    assertTrue(loaded.counts.get(Priority.CRITICAL)[2] == 0, "CRITICAL shed\n" + report);
  }

  @Test
  void withoutTheShedderEveryTierCollapses() {
    OverloadSimulation.Result loaded =
        simulation(15).run(null, new ManualClock(0), 5_000 * MS, 1_000 * MS);
    for (Priority p : Priority.values()) {
      assertTrue(loaded.goodput(p) < 0.2, p + " did not collapse\n" + loaded);
    }
  }
}
