package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Invariants of a {@link CircuitBreaker} shared by the unit tests, the jqwik properties and the
 * hammer tests, so that they cannot drift apart.
 */
final class BreakerInvariants {

  private BreakerInvariants() {}

  /** Checks what must hold between the getters of a breaker at rest (no call in flight). */
  static void check(CircuitBreaker breaker) {
    BreakerState state = breaker.state();
    double fraction = breaker.admittedFraction();
    Duration remaining = breaker.remainingOpen();
    assertTrue(!remaining.isNegative(), "remainingOpen " + remaining);
    switch (state) {
      case CLOSED, DISABLED -> {
        assertEquals(1.0, fraction, breaker.toString());
        assertEquals(Duration.ZERO, remaining);
        assertEquals(-1, breaker.rampStep());
      }
      case OPEN -> {
        assertEquals(0.0, fraction, breaker.toString());
        assertTrue(remaining.toNanos() > 0, "open with no time left: " + breaker);
      }
      case FORCED_OPEN -> {
        assertEquals(0.0, fraction);
        assertEquals(Duration.ZERO, remaining);
      }
      case HALF_OPEN -> {
        int step = breaker.rampStep();
        List<Double> ramp = breaker.config().rampSteps();
        assertTrue(step >= 0 && step < ramp.size(), "step " + step);
        assertEquals(ramp.get(step), fraction);
        assertEquals(Duration.ZERO, remaining);
      }
      default -> throw new AssertionError(state);
    }
    if (state == BreakerState.CLOSED) {
      assertEquals(0, breaker.relapses());
    }
    assertTrue(breaker.successCount() >= 0 && breaker.failureCount() >= 0
        && breaker.slowCount() >= 0 && breaker.rejectedCount() >= 0
        && breaker.ignoredCount() >= 0);
  }

  /** Transitions the automaton may make by itself; manual controls may go anywhere. */
  private static final Set<String> AUTOMATIC = Set.of("CLOSED>OPEN", "OPEN>HALF_OPEN",
      "HALF_OPEN>OPEN", "HALF_OPEN>CLOSED");

  /**
   * Checks that a listener's sequence of transitions is legal: each starts where the previous
   * ended, and every automatic one is an edge of the state machine.
   *
   * @param transitions "FROM>TO" strings in delivery order
   * @param manual whether manual controls were used (then edges into or out of the manual
   *     states, and resets to CLOSED, are legal too)
   */
  static void checkSequence(List<String> transitions, boolean manual) {
    String current = "CLOSED";
    for (String t : transitions) {
      String[] parts = t.split(">");
      assertEquals(current, parts[0], "sequence breaks at " + t + " in " + transitions);
      boolean legal = AUTOMATIC.contains(t) || (manual && (parts[1].equals("CLOSED")
          || EnumSet.of(BreakerState.FORCED_OPEN, BreakerState.DISABLED)
              .contains(BreakerState.valueOf(parts[1]))));
      assertTrue(legal, "illegal transition " + t + " in " + transitions);
      current = parts[1];
    }
  }
}
