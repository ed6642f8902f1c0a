package dev.headroom.signal;

/**
 * The Kubernetes HPA's replica formula for one metric, as the HPA controller computes it.
 *
 * <pre>
 * per-pod reading (Pods metric, AverageValue):     ratio = value / target
 * fleet total (External metric, AverageValue):     ratio = value / (target x current)
 * |ratio - 1| &lt;= tolerance                     -&gt;  current
 * otherwise                                     -&gt;  ceil(ratio x current)
 *                                                   (= ceil(value / target) for a fleet total)
 * </pre>
 *
 * <p>With no pod running ({@code current == 0}) a fleet total still gives
 * {@code ceil(value / target)} (KEDA's activation from zero) and a per-pod reading, which no pod
 * can have, gives 0.
 *
 * <p>{@code ceil} is taken after removing a relative error of 1e-12, so that a product that is
 * an integer in exact arithmetic ({@code 3 x 0.7 / 0.7}) does not gain a replica from binary
 * rounding, and the tolerance test allows the same 1e-12, so that a ratio of exactly 1.1 is
 * within a tolerance of 0.1 (in doubles {@code 550 / 500 - 1} is a little above 0.1, and the
 * HPA controller, which does not allow for it, scales there). Results above {@link Integer#MAX_VALUE} saturate.
 *
 * <p>Thread-safety: stateless.
 */
final class Hpa {

  /** Binary rounding allowance: 550 / 500 - 1 is 0.10000000000000009 in doubles. */
  static final double EPSILON = 1e-12;

  private Hpa() {}

  static int proposal(int current, double value, double target, SignalScope scope,
      double tolerance) {
    double exact;
    if (scope == SignalScope.FLEET_TOTAL) {
      exact = value / target;
      if (current > 0 && Math.abs(exact / current - 1.0) <= tolerance + EPSILON) {
        return current;
      }
    } else {
      if (current == 0) {
        return 0;
      }
      double ratio = value / target;
      if (Math.abs(ratio - 1.0) <= tolerance + EPSILON) {
        return current;
      }
      exact = value * current / target;
    }
    return ceil(exact);
  }

  static int ceil(double exact) {
    double c = Math.ceil(exact * (1.0 - 1e-12));
    return c >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0.0, c);
  }
}
