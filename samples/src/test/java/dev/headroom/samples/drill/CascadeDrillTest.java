package dev.headroom.samples.drill;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cascade scenario in lib-core's dependency simulator with fixed seeds, beside Resilience4j's
 * breaker at its defaults. During the full outage the breaker stops sending to the failing
 * dependency, later than the peer, which then stays open for 60 s: the breaker is back within
 * the 10 s after recovery, the peer is not. The peer also opens on the slow replica, which still
 * answers a third of the calls, and stays open through its recovery. On the slow replica the
 * breaker neither helps nor hurts at its defaults (the replay's known gap: the 800 ms answers
 * are inside the deadline, so nothing trips it), and it recovers without a relapse.
 */
class CascadeDrillTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void theBreakerStopsSendingToAFailingDependencyAndNeverCostsTheSlowReplicaGoodput(long seed) {
    DrillResult r = new CascadeDrill().run(DrillAssertions.options(seed));
    Comparison sent = r.comparison("outage: calls sent to the failing dependency (%)");
    assertTrue(sent.headroom() < 25 && sent.headroom() < sent.naive(), r.consoleTable());
    // The peer at its defaults stops sooner and probes never (the trade the README names)...
    assertTrue(sent.peer() < sent.headroom(), r.consoleTable());
    // ...and is still open 10 s after the dependency is back, and opens on the slow replica,
    // a dependency still answering a third of the calls, until after it recovered.
    beatsPeer(r, "outage: goodput in the 10 s after recovery (%)");
    // Each of those two rows favours one side; together, the calls that went wrong over the
    // outage and the 10 s after it, the breaker beats both by far.
    Comparison wrong = r.comparison(
        "outage and the 10 s after: calls sent while down or not served once back (%)");
    assertTrue(wrong.headroom() * 4 < wrong.naive() && wrong.headroom() * 4 < wrong.peer(),
        r.consoleTable());
    beatsPeer(r, "slow replica, degraded: goodput (%)");
    beatsPeer(r, "slow replica, recovery: goodput (%)");
    for (String phase : new String[] {"healthy", "degraded", "recovery"}) {
      Comparison c = r.comparison("slow replica, " + phase + ": goodput (%)");
      assertTrue(c.headroom() >= c.naive() - 0.5, phase + "\n" + r.consoleTable());
    }
    assertTrue(r.comparison("slow replica, recovery: goodput (%)").headroom() >= 99.5,
        r.consoleTable());
    assertTrue(r.comparison("outage: goodput in the 10 s after recovery (%)").headroom() >= 99,
        r.consoleTable());
  }

  private static void beatsPeer(DrillResult r, String figure) {
    Comparison c = r.comparison(figure);
    assertTrue(c.headroom() > c.peer() + 10, figure + "\n" + r.consoleTable());
  }
}
