package dev.headroom.shed;

/**
 * Computes the next concurrency limit from one window of samples. Package-private: users pick
 * a {@link LimitPolicy}; this is its executable form.
 *
 * <p>Thread-safety: {@link #next} is called by one thread at a time, the window owner in
 * {@link LoadShedder} (ownership is a CAS on a flag, released with a release store, so each
 * owner sees the state the previous owner left, including {@link Gradient}'s ring). Instances
 * are not otherwise shared.
 */
abstract class LimitController {

  final int minLimit;
  final int maxLimit;
  final long windowNanos;
  final int minSamples;

  LimitController(int minLimit, int maxLimit, long windowNanos, int minSamples) {
    this.minLimit = minLimit;
    this.maxLimit = maxLimit;
    this.windowNanos = windowNanos;
    this.minSamples = minSamples;
  }

  static LimitController of(LimitPolicy policy) {
    if (policy instanceof LimitPolicy.Fixed fixed) {
      return new Fixed(fixed.limit());
    }
    if (policy instanceof LimitPolicy.Aimd aimd) {
      return new Aimd(aimd);
    }
    return new Gradient((LimitPolicy.Gradient) policy);
  }

  /** Whether completions must record the window minimum latency and maximum in-flight. */
  abstract boolean adaptive();

  /**
   * Returns the next limit, within {@code [minLimit, maxLimit]}.
   *
   * @param current the current (unrounded) limit
   * @param successes successful completions in the window
   * @param meanNanos their mean latency, 0 if none
   * @param minNanos their minimum latency, {@code Long.MAX_VALUE} if none
   * @param drops dropped completions in the window
   * @param maxInFlight the largest in-flight count seen at a completion in the window
   */
  abstract double next(double current, long successes, double meanNanos, long minNanos,
      long drops, int maxInFlight);

  final double clamp(double value) {
    return Math.max(minLimit, Math.min(maxLimit, value));
  }

  /** Whether the limit was in use: in-flight reached at least half of it. */
  static boolean busy(double current, int maxInFlight) {
    return maxInFlight * 2.0 >= current;
  }

  static final class Fixed extends LimitController {
    Fixed(int limit) {
      super(limit, limit, 100_000_000L, 1);
    }

    @Override
    boolean adaptive() {
      return false;
    }

    @Override
    double next(double current, long successes, double meanNanos, long minNanos, long drops,
        int maxInFlight) {
      return current;
    }
  }

  static final class Aimd extends LimitController {
    private final int increase;
    private final double backoffRatio;
    private final long latencyThresholdNanos;

    Aimd(LimitPolicy.Aimd policy) {
      super(policy.minLimit(), policy.maxLimit(), policy.window().toNanos(),
          policy.minSamples());
      this.increase = policy.increase();
      this.backoffRatio = policy.backoffRatio();
      this.latencyThresholdNanos = policy.latencyThreshold().toNanos();
    }

    @Override
    boolean adaptive() {
      return true;
    }

    @Override
    double next(double current, long successes, double meanNanos, long minNanos, long drops,
        int maxInFlight) {
      boolean slow = latencyThresholdNanos > 0 && successes > 0
          && meanNanos > latencyThresholdNanos;
      if (drops > 0 || slow) {
        return clamp(current * backoffRatio);
      }
      if (successes > 0 && busy(current, maxInFlight)) {
        return clamp(current + increase);
      }
      return clamp(current);
    }
  }

  static final class Gradient extends LimitController {
    /** The limit is multiplied by this during a no-load probe window. */
    static final double PROBE_FACTOR = 0.5;

    private final double tolerance;
    private final double backoffRatio;
    private final double smoothing;
    /** Window minima of the last {@code ring.length} windows with successes; owner-only. */
    private final long[] ring;
    private final int probeEvery;
    private int ringNext;
    private int ringSize;
    private int windowsSinceProbe;
    /** 0: not probing; k: the last window ran at {@code beforeProbe * PROBE_FACTOR^k}. */
    private int probeDepth;
    private double beforeProbe;
    /** The minimum latency of the window before the current probe level. */
    private long levelMin;
    /** Windows left at the current probe level. */
    private int probeHold;

    Gradient(LimitPolicy.Gradient policy) {
      super(policy.minLimit(), policy.maxLimit(), policy.window().toNanos(),
          policy.minSamples());
      this.tolerance = policy.tolerance();
      this.backoffRatio = policy.backoffRatio();
      this.smoothing = policy.smoothing();
      this.ring = new long[policy.noLoadWindows()];
      this.probeEvery = Math.max(1, policy.noLoadWindows() / 2);
      this.windowsSinceProbe = probeEvery - 1; // the first busy window probes
    }

    @Override
    boolean adaptive() {
      return true;
    }

    /** The no-load latency estimate: the smallest remembered window minimum, 0 if none. */
    long noLoadNanos() {
      long min = Long.MAX_VALUE;
      for (int i = 0; i < ringSize; i++) {
        min = Math.min(min, ring[i]);
      }
      return ringSize == 0 ? 0 : min;
    }

    boolean probing() {
      return probeDepth > 0;
    }

    @Override
    double next(double current, long successes, double meanNanos, long minNanos, long drops,
        int maxInFlight) {
      if (successes > 0 && minNanos != Long.MAX_VALUE) {
        ring[ringNext] = Math.max(1L, minNanos);
        ringNext = (ringNext + 1) % ring.length;
        ringSize = Math.min(ringSize + 1, ring.length);
      }
      if (probeDepth > 0 && --probeHold > 0) {
        return clamp(current); // hold the level until requests admitted before it are done
      }
      if (probeDepth > 0) {
        // A probe window is over and its minimum is in the ring. If the lower limit made
        // latency markedly lower, the limit was still above the no-load region: go a level
        // deeper. Otherwise resume where we were (backing off if the probe saw drops); the
        // refreshed no-load estimate does the rest.
        double deeper = beforeProbe * Math.pow(PROBE_FACTOR, probeDepth + 1);
        if (drops == 0 && successes > 0 && minNanos < 0.8 * levelMin && deeper >= minLimit) {
          levelMin = minNanos;
          probeDepth++;
          probeHold = holdFor(meanNanos);
          return clamp(deeper);
        }
        probeDepth = 0;
        return clamp(drops > 0 ? beforeProbe * backoffRatio : beforeProbe);
      }
      double next;
      if (drops > 0) {
        // Overload evidence: back off at once, never probe up (the steady-timeout guard).
        next = clamp(current * backoffRatio);
      } else if (successes == 0) {
        next = clamp(current);
      } else {
        double gradient = tolerance * noLoadNanos() / Math.max(1.0, meanNanos);
        gradient = Math.max(0.5, Math.min(1.0, gradient));
        double probe = busy(current, maxInFlight) ? Math.sqrt(current) : 0.0;
        double target = current * gradient + probe;
        next = clamp(current + smoothing * (target - current));
      }
      // Under sustained load every window minimum is a loaded latency; once the ring forgot
      // the last unloaded one, the estimate would drift up with the load and the limit would
      // follow it. So, at the first busy window and then half way through the ring's memory,
      // spend a window at half the limit (deeper while that keeps lowering latency) to
      // measure the no-load latency afresh.
      if (++windowsSinceProbe >= probeEvery && successes > 0 && busy(current, maxInFlight)
          && next * PROBE_FACTOR >= minLimit) {
        windowsSinceProbe = 0;
        probeDepth = 1;
        beforeProbe = next;
        levelMin = minNanos;
        probeHold = holdFor(meanNanos);
        return clamp(next * PROBE_FACTOR);
      }
      return next;
    }

    /**
     * How many windows a probe level lasts: long enough for the requests admitted before it
     * (which take about the mean latency) to finish, plus one window measured at the level.
     */
    private int holdFor(double meanNanos) {
      return 1 + (int) Math.min(50, Math.ceil(meanNanos / windowNanos));
    }
  }
}
