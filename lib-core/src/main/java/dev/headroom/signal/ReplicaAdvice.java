package dev.headroom.signal;

import dev.headroom.core.Checks;
import java.util.List;

/**
 * One evaluation of a {@link ReplicaAdvisor}: how many replicas the service should run, and why.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the advisor's name (usually the service's)
 * @param desiredReplicas the advice: replicas to run, after stabilisation, bounds, database
 *     budget caps and breaker holds
 * @param currentReplicas the pod count the advice was computed from, or -1 if it was unknown
 * @param recommendedReplicas what the signals alone ask for (the HPA formula, maximum over
 *     signals), before stabilisation, bounds, caps and holds; the current count when no signal
 *     had a valid reading
 * @param limitedBy what decided the advice
 * @param reason a sentence for logs and dashboards, e.g.
 *     {@code "capped by database budget 'enrollment-db' at 38 pods (signals ask for 60)"}
 * @param proposals each signal's reading and the replicas it asks for, in the advisor's order
 * @param evaluatedAtNanos the advisor's clock when the advice was computed
 */
public record ReplicaAdvice(String name, int desiredReplicas, int currentReplicas,
    int recommendedReplicas, Limit limitedBy, String reason, List<Proposal> proposals,
    long evaluatedAtNanos) {

  /**
   * Freezes the proposals.
   *
   * @throws IllegalArgumentException if a reference is null
   */
  public ReplicaAdvice {
    Checks.requireNonNull("name", name);
    Checks.requireNonNull("limitedBy", limitedBy);
    Checks.requireNonNull("reason", reason);
    proposals = List.copyOf(Checks.requireNonNull("proposals", proposals));
  }

  /**
   * Returns whether an open breaker held the advice at the current count.
   *
   * @return {@code limitedBy() == BREAKER_OPEN}
   */
  public boolean held() {
    return limitedBy == Limit.BREAKER_OPEN;
  }

  /**
   * Returns whether a database budget capped the advice.
   *
   * @return {@code limitedBy() == DATABASE_BUDGET}
   */
  public boolean capped() {
    return limitedBy == Limit.DATABASE_BUDGET;
  }

  /** What decided an advice. Thread-safety: an enum, immutable. */
  public enum Limit {
    /** The signals' recommendation, unchanged: scale out, scale in, or steady. */
    SIGNALS,
    /** A scale-in kept higher by the scale-down stabilisation window. */
    STABILIZATION,
    /** Raised to the advisor's minimum replicas. */
    MIN_REPLICAS,
    /** Lowered to the advisor's maximum replicas. */
    MAX_REPLICAS,
    /** Lowered to the most pods a database's connection budget was sized for. */
    DATABASE_BUDGET,
    /** Held at the current count while a dependency's breaker is open. */
    BREAKER_OPEN,
    /** No scale-in (or no change at all) because a signal had no valid reading. */
    MISSING_READING,
    /** The pod count was unknown: the previous advice is kept. */
    UNKNOWN_PODS
  }

  /**
   * One signal's part in an advice.
   *
   * <p>Thread-safety: immutable.
   *
   * @param signal the signal's name
   * @param scope the signal's scope
   * @param value the reading, or NaN if it was skipped
   * @param targetPerPod the signal's per-pod target
   * @param replicas the replicas this signal asks for ({@code ceil(current x value / target)}
   *     for a per-pod reading, {@code ceil(value / target)} for a fleet total, the current count
   *     within the tolerance), or -1 if the reading was skipped
   */
  public record Proposal(String signal, SignalScope scope, double value, double targetPerPod,
      int replicas) {

    /**
     * Returns whether the reading was valid.
     *
     * @return {@code replicas() >= 0}
     */
    public boolean valid() {
      return replicas >= 0;
    }
  }
}
