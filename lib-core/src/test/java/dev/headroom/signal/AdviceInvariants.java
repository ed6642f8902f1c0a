package dev.headroom.signal;

import java.util.ArrayList;
import java.util.List;

/**
 * What every {@link ReplicaAdvice} must satisfy, and a reference model of the HPA controller's
 * replica calculation written the way the controller's code is (a list of every recommendation,
 * scanned in full), shared by the unit tests and the properties.
 */
final class AdviceInvariants {

  private AdviceInvariants() {}

  /**
   * Checks one advice against the bounds it was configured with.
   *
   * @param a the advice
   * @param min minReplicas
   * @param max maxReplicas
   * @param cap the smallest database cap (Integer.MAX_VALUE for none)
   * @param anyOpen whether a hold's breaker was open
   */
  static void check(ReplicaAdvice a, int min, int max, int cap, boolean anyOpen) {
    int d = a.desiredReplicas();
    require(d <= cap, "above the database cap " + cap, a);
    require(d <= max, "above maxReplicas " + max, a);
    require(d >= Math.min(min, cap), "below minReplicas " + min, a);
    if (anyOpen && a.currentReplicas() >= 0) {
      require(d <= Math.max(a.currentReplicas(), min), "scaled out while a breaker was open", a);
    }
    if (a.held()) {
      require(anyOpen, "held without an open breaker", a);
    }
    if (a.capped()) {
      require(d == cap, "capped but not at the cap", a);
    }
    int best = -1;
    for (ReplicaAdvice.Proposal p : a.proposals()) {
      best = Math.max(best, p.replicas());
    }
    if (a.currentReplicas() >= 0) {
      require(a.recommendedReplicas() == (best < 0 ? a.currentReplicas() : best),
          "recommendation is not the maximum over valid proposals", a);
    }
    require(!a.reason().isEmpty(), "no reason", a);
  }

  private static void require(boolean ok, String what, ReplicaAdvice a) {
    if (!ok) {
      throw new AssertionError(what + ": " + a);
    }
  }

  /** The HPA controller's algorithm, literally: every recommendation kept with its time. */
  static final class HpaModel {
    final int min;
    final int max;
    final int cap;
    final double tolerance;
    final long windowNanos;
    final List<long[]> recommendations = new ArrayList<>();

    HpaModel(int min, int max, int cap, double tolerance, long windowNanos) {
      this.min = min;
      this.max = max;
      this.cap = cap;
      this.tolerance = tolerance;
      this.windowNanos = windowNanos;
    }

    int desired(long now, int current, double[] values, double[] targets, SignalScope[] scopes,
        boolean open) {
      int raw = -1;
      for (int i = 0; i < values.length; i++) {
        raw = Math.max(raw, Hpa.proposal(current, values[i], targets[i], scopes[i], tolerance));
      }
      // stabilizeRecommendationWithBehaviors, scale-up window 0.
      int down = raw;
      for (long[] r : recommendations) {
        if (now - r[0] < windowNanos) {
          down = (int) Math.max(down, r[1]);
        }
      }
      recommendations.add(new long[] {now, raw});
      int rec = current;
      if (rec < raw) {
        rec = raw;
      }
      if (rec > down) {
        rec = down;
      }
      rec = Math.max(rec, min);
      rec = Math.min(rec, max);
      rec = Math.min(rec, cap);
      if (open && rec > current && rec > min) {
        rec = Math.max(current, min);
      }
      return rec;
    }
  }
}
