package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

/**
 * The shedder's invariants, shared by the unit tests, the jqwik properties, the stateful model
 * test and the hammer, so that every one of them checks the same rules.
 */
final class ShedInvariants {

  private ShedInvariants() {}

  /** The capacity rule, computed independently of the shedder's own arithmetic. */
  static int expectedCapacity(Priority priority, double share, int limit) {
    return expectedCapacity(priority, share, limit, 0.0);
  }

  /** The capacity rule with the bands open by {@code open} (adaptive limits). */
  static int expectedCapacity(Priority priority, double share, int limit, double open) {
    if (priority == Priority.CRITICAL) {
      return Integer.MAX_VALUE;
    }
    if (open >= 1.0) {
      return limit; // fully open: every priority may fill the limit
    }
    return Math.max(1, (int) Math.floor(limit * (share + open * (1.0 - share))));
  }

  /**
   * Checks one admission decision made when in-flight was {@code inFlightBefore}, the limit
   * {@code limit} and the bands open by {@code open} (single-threaded callers know all three
   * exactly).
   */
  static void checkDecision(LoadShedder shedder, Priority priority, Permit permit,
      int inFlightBefore, int limit, double open) {
    int[] rule = new int[4];
    for (Priority p : Priority.values()) {
      rule[p.ordinal()] = expectedCapacity(p, shedder.share(p), limit, open);
    }
    checkDecision(shedder, priority, permit, inFlightBefore, limit, open, rule);
  }

  /**
   * Checks one admission decision against {@code capacities}, the shedder's capacities at the
   * moment of the decision ({@link LoadShedder#capacitySnapshot()} taken just before). They
   * must be those of the share rule, except that with the bands closed an adaptive limit may
   * squeeze them (to make room for a higher priority), never below 1 and never out of order.
   */
  static void checkDecision(LoadShedder shedder, Priority priority, Permit permit,
      int inFlightBefore, int limit, double open, int[] capacities) {
    boolean squeezable = open == 0.0 && !(shedder.policy() instanceof LimitPolicy.Fixed);
    for (Priority p : Priority.values()) {
      int rule = expectedCapacity(p, shedder.share(p), limit, open);
      int c = capacities[p.ordinal()];
      assertTrue(squeezable ? c >= 1 && c <= rule : c == rule, p + " capacity " + c
          + " against the rule's " + rule + " (limit " + limit + ", bands " + open + ")");
      if (p.ordinal() > 1) {
        assertTrue(c <= capacities[p.ordinal() - 1], "capacities out of order: "
            + java.util.Arrays.toString(capacities));
      }
    }
    assertEquals(priority, permit.priority());
    int capacity = capacities[priority.ordinal()];
    if (permit.isAdmitted()) {
      assertNull(permit.reason());
      assertFalse(permit.isCompleted());
      assertTrue(priority == Priority.CRITICAL || inFlightBefore < capacity,
          priority + " admitted at inFlight " + inFlightBefore + " >= capacity " + capacity);
      // A lower priority is never admitted at a moment a higher one would be refused.
      for (Priority higher : Priority.values()) {
        if (higher.ordinal() < priority.ordinal() && higher != Priority.CRITICAL) {
          int higherCapacity = capacities[higher.ordinal()];
          assertTrue(inFlightBefore < higherCapacity, priority + " admitted at inFlight "
              + inFlightBefore + " while " + higher + " (capacity " + higherCapacity
              + ") would be refused");
        }
      }
    } else {
      assertTrue(priority != Priority.CRITICAL, "CRITICAL refused");
      assertNotNull(permit.reason());
      assertTrue(permit.isCompleted(), "a refusal is born completed");
      assertTrue(permit.retryAfterSeconds() >= 1);
      if (permit.reason() == ShedReason.LIMIT) {
        assertTrue(inFlightBefore >= capacity,
            priority + " refused at inFlight " + inFlightBefore + " < capacity " + capacity);
      }
    }
  }

  /**
   * Checks the state: never negative, never over the limit except through CRITICAL. (An
   * adaptive limit may shrink below what is already in flight; then only admissions are
   * checked, by {@link #checkDecision}.)
   */
  static void checkState(LoadShedder shedder, int criticalInFlight) {
    assertTrue(shedder.inFlight() >= 0, "inFlight negative: " + shedder);
    assertTrue(shedder.waiting() >= 0, "waiting negative: " + shedder);
    boolean fixed = shedder.policy() instanceof LimitPolicy.Fixed;
    assertTrue(!fixed || shedder.inFlight() - criticalInFlight <= shedder.limit(),
        "inFlight over the limit other than through CRITICAL: " + shedder + ", critical "
            + criticalInFlight);
    checkCapacitiesOrdered(shedder);
  }

  /** Capacities shrink with priority and never pass the limit. */
  static void checkCapacitiesOrdered(LoadShedder shedder) {
    int high = shedder.capacity(Priority.HIGH);
    int normal = shedder.capacity(Priority.NORMAL);
    int low = shedder.capacity(Priority.LOW);
    assertTrue(high <= shedder.limit() && high >= normal && normal >= low && low >= 1,
        "capacities not ordered: " + high + ", " + normal + ", " + low + " at limit "
            + shedder.limit());
    assertEquals(Integer.MAX_VALUE, shedder.capacity(Priority.CRITICAL));
  }

  /** Everything admitted has been released and nobody waits. */
  static void checkDrained(LoadShedder shedder) {
    assertEquals(0, shedder.inFlight(), "inFlight after all completions: " + shedder);
    assertEquals(0, shedder.waiting(), "waiting after all completions: " + shedder);
  }

  /** Every offered request was either admitted or refused with a reason: nothing lost. */
  static void checkTotals(LoadShedder shedder, Map<Priority, Long> offered) {
    for (Priority priority : Priority.values()) {
      long refused = 0;
      for (ShedReason reason : ShedReason.values()) {
        refused += shedder.rejected(priority, reason);
      }
      assertEquals(offered.getOrDefault(priority, 0L).longValue(),
          shedder.admitted(priority) + refused, "admitted + refused for " + priority);
    }
    for (ShedReason reason : ShedReason.values()) {
      assertEquals(0, shedder.rejected(Priority.CRITICAL, reason), "CRITICAL shed");
    }
  }
}
