package dev.headroom.signal;

/**
 * What a {@link Signal}'s reading covers, which decides how it turns into a replica count.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum SignalScope {

  /**
   * The reading is this pod's own: its waiting requests, its executor queue, its in-flight over
   * its limit. The fleet's total is estimated as the reading times the current pod count, and
   * the autoscaler aggregates the pods' readings by summing them (Prometheus {@code sum},
   * KEDA {@code aggregationType: sum}).
   */
  PER_POD,

  /**
   * The reading is the whole fleet's and every pod sees the same: a queue's depth, a consumer
   * group's lag. The autoscaler reads it from any one pod (Prometheus {@code max}, KEDA
   * {@code aggregationType: max}, or one pod answering).
   */
  FLEET_TOTAL;

  /**
   * Returns the lowercase name used in JSON and in the {@code scope} tag.
   *
   * @return {@code "per_pod"} or {@code "fleet_total"}
   */
  public String label() {
    return this == PER_POD ? "per_pod" : "fleet_total";
  }
}
