package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static dev.headroom.samples.drill.DrillAssertions.beatsNaiveAndMatchesPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The scaling scenario (a deterministic model driving the real ReplicaAdvisor): queue depth asks
 * for pods in the first evaluation after the spike, CPU a minute later; capped by the database
 * budget, every pod Headroom asks for can work, where the uncapped fleet's pools exceed the
 * database and most of its pods meet the wall.
 */
class ScalingLeadTimeDrillTest {

  @Test
  void queueDepthCappedByTheBudgetReactsFirstAndKeepsEveryPodWorking() {
    DrillResult r = new ScalingLeadTimeDrill().run(DrillAssertions.options(1));
    String first = "first scale-out after the spike began (s)";
    beatsNaiveAndMatchesPeer(r, first);
    assertTrue(r.comparison(first).headroom() <= ScalingLeadTimeDrill.EVALUATE_EVERY,
        r.consoleTable());
    assertTrue(r.comparison(first).naive() >= 60, "CPU waits for a published period\n"
        + r.consoleTable());
    beatsBoth(r, "pods working (with database connections) at the end");
    beatsBoth(r, "messages worked off per second at the end (83 arrive)");
    beatsBoth(r, "peak backlog (messages)");
    String connections = "peak connections the pools ask for (the service's budget is 92)";
    beatsBoth(r, connections);
    assertTrue(r.comparison(connections).headroom() <= 92, r.consoleTable());
    assertEquals(30, r.comparison("pods working (with database connections) at the end")
        .headroom(), r.consoleTable());
  }
}
