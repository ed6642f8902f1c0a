package dev.headroom.shed;

import dev.headroom.core.Checks;
import java.time.Duration;

/**
 * How a {@link LoadShedder}'s concurrency limit is chosen: {@link Fixed}, or adapted from the
 * latency and drops of completed requests by {@link Aimd} or {@link Gradient}.
 *
 * <p>Adaptive limits are recomputed once per sample window (at least {@code window} long and
 * holding at least {@code minSamples} completions), by whichever completing thread first sees
 * the window end; between updates admission reads the published limit with one volatile load.
 * A request completed with {@link Permit#onDropped()} (a timeout, an overload error): any drop
 * in a window makes {@link Aimd} back off multiplicatively; {@link Gradient} counts it at the
 * latency it was dropped at, so drops raise the window's mean latency.
 * Requests completed with {@link Permit#onIgnore()} do not count.
 *
 * <p>Thread-safety: the policies are immutable records; their builders are not thread-safe.
 */
public sealed interface LimitPolicy permits LimitPolicy.Fixed, LimitPolicy.Aimd,
    LimitPolicy.Gradient {

  /**
   * Returns the limit a shedder starts with.
   *
   * @return the initial limit, {@code >= 1}
   */
  int initialLimit();

  /**
   * A fixed limit.
   *
   * @param limit the limit
   * @return the policy
   * @throws IllegalArgumentException if {@code limit <= 0}
   */
  static Fixed fixed(int limit) {
    return new Fixed(limit);
  }

  /**
   * Starts an AIMD policy with defaults (initial 20, min 1, max 1000, +1 per healthy window,
   * x0.9 on overload, no latency threshold, windows of 100 ms and at least 10 samples).
   *
   * @return a builder
   */
  static Aimd.Builder aimd() {
    return new Aimd.Builder();
  }

  /**
   * Starts a gradient policy with defaults (initial 20, min 1, max 1000, tolerance 1.3, x0.9
   * when nearly every request of a first window times out, smoothing 0.2, windows of 100 ms and
   * at least 10 samples). The defaults need no number about the backend.
   *
   * @return a builder
   */
  static Gradient.Builder gradient() {
    return new Gradient.Builder();
  }

  /**
   * A limit that never changes.
   *
   * <p>Thread-safety: immutable.
   *
   * @param limit the concurrency limit, {@code > 0}
   */
  record Fixed(int limit) implements LimitPolicy {
    /**
     * Validates the limit.
     *
     * @param limit the concurrency limit
     * @throws IllegalArgumentException {@code "limit must be > 0 (was 0)"}
     */
    public Fixed {
      Checks.requirePositive("limit", limit);
    }

    @Override
    public int initialLimit() {
      return limit;
    }
  }

  /**
   * Additive increase, multiplicative decrease. Per window: if any request was dropped, or the
   * mean latency exceeded {@code latencyThreshold} (when set), the limit is multiplied by
   * {@code backoffRatio}; otherwise, if in-flight reached at least half the limit during the
   * window (the limit was actually in use), it grows by {@code increase}. Kept within
   * {@code [minLimit, maxLimit]}.
   *
   * <p>Thread-safety: immutable.
   *
   * @param initialLimit the starting limit
   * @param minLimit the floor
   * @param maxLimit the ceiling
   * @param increase added per healthy, busy window
   * @param backoffRatio the factor applied on overload, in (0, 1)
   * @param latencyThreshold mean latency above which a window counts as overloaded; zero: off
   * @param window the minimum length of a sample window
   * @param minSamples the minimum number of completions in a window
   */
  record Aimd(int initialLimit, int minLimit, int maxLimit, int increase, double backoffRatio,
      Duration latencyThreshold, Duration window, int minSamples) implements LimitPolicy {

    /**
     * Validates every field and their combination.
     *
     * @param initialLimit the starting limit
     * @param minLimit the floor
     * @param maxLimit the ceiling
     * @param increase added per healthy, busy window
     * @param backoffRatio the factor applied on overload
     * @param latencyThreshold mean latency above which a window is overloaded; zero: off
     * @param window the minimum length of a sample window
     * @param minSamples the minimum number of completions in a window
     * @throws IllegalArgumentException naming the first bad field, in the shared shape
     */
    public Aimd {
      Checks.requirePositive("minLimit", minLimit);
      Checks.requirePositive("maxLimit", maxLimit);
      Checks.requireArgument(minLimit <= maxLimit, "minLimit", "<= maxLimit (" + maxLimit + ")",
          minLimit);
      Checks.requireInRange("initialLimit", initialLimit, minLimit, maxLimit);
      Checks.requirePositive("increase", increase);
      Checks.requireInRange("backoffRatio", backoffRatio, 0.0, false, 1.0, false);
      Checks.requireNonNegative("latencyThreshold", latencyThreshold);
      Checks.requirePositive("window", window);
      Checks.requirePositive("minSamples", minSamples);
    }

    /**
     * Builds an {@link Aimd}. Each setter validates its value and may be called once.
     *
     * <p>Thread-safety: not thread-safe.
     */
    public static final class Builder {
      private Integer initialLimit;
      private Integer minLimit;
      private Integer maxLimit;
      private Integer increase;
      private Double backoffRatio;
      private Duration latencyThreshold;
      private Duration window;
      private Integer minSamples;

      Builder() {}

      /**
       * Sets the starting limit (default 20, or the floor if it is higher).
       *
       * @param value the limit
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder initialLimit(int value) {
        Checks.requireNotSet(initialLimit == null, "initialLimit", initialLimit);
        initialLimit = Checks.requirePositive("initialLimit", value);
        return this;
      }

      /**
       * Sets the floor (default 1).
       *
       * @param value the floor
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder minLimit(int value) {
        Checks.requireNotSet(minLimit == null, "minLimit", minLimit);
        minLimit = Checks.requirePositive("minLimit", value);
        return this;
      }

      /**
       * Sets the ceiling (default 1000).
       *
       * @param value the ceiling
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder maxLimit(int value) {
        Checks.requireNotSet(maxLimit == null, "maxLimit", maxLimit);
        maxLimit = Checks.requirePositive("maxLimit", value);
        return this;
      }

      /**
       * Sets the additive step per healthy, busy window (default 1).
       *
       * @param value the step
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder increase(int value) {
        Checks.requireNotSet(increase == null, "increase", increase);
        increase = Checks.requirePositive("increase", value);
        return this;
      }

      /**
       * Sets the multiplicative factor on overload (default 0.9).
       *
       * @param value the factor, in (0, 1)
       * @return this builder
       * @throws IllegalArgumentException if outside (0, 1)
       * @throws IllegalStateException if already set
       */
      public Builder backoffRatio(double value) {
        Checks.requireNotSet(backoffRatio == null, "backoffRatio", backoffRatio);
        backoffRatio = Checks.requireInRange("backoffRatio", value, 0.0, false, 1.0, false);
        return this;
      }

      /**
       * Sets the mean latency above which a window counts as overloaded (default zero: off).
       *
       * @param value the threshold, {@code >= 0}
       * @return this builder
       * @throws IllegalArgumentException if null or negative
       * @throws IllegalStateException if already set
       */
      public Builder latencyThreshold(Duration value) {
        Checks.requireNotSet(latencyThreshold == null, "latencyThreshold", latencyThreshold);
        latencyThreshold = Checks.requireNonNegative("latencyThreshold", value);
        return this;
      }

      /**
       * Sets the minimum window length (default 100 ms).
       *
       * @param value the length, {@code > 0}
       * @return this builder
       * @throws IllegalArgumentException if null or not positive
       * @throws IllegalStateException if already set
       */
      public Builder window(Duration value) {
        Checks.requireNotSet(window == null, "window", window);
        window = Checks.requirePositive("window", value);
        return this;
      }

      /**
       * Sets the minimum number of completions per window (default 10).
       *
       * @param value the count, {@code > 0}
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder minSamples(int value) {
        Checks.requireNotSet(minSamples == null, "minSamples", minSamples);
        minSamples = Checks.requirePositive("minSamples", value);
        return this;
      }

      /**
       * Builds the policy.
       *
       * @return the policy
       * @throws IllegalArgumentException if the floor exceeds the ceiling or the initial limit
       *     lies outside them
       */
      public Aimd build() {
        int min = minLimit == null ? 1 : minLimit;
        int max = maxLimit == null ? 1000 : maxLimit;
        int initial = initialLimit == null ? Math.min(Math.max(20, min), max) : initialLimit;
        return new Aimd(initial, min, max, increase == null ? 1 : increase,
            backoffRatio == null ? 0.9 : backoffRatio,
            latencyThreshold == null ? Duration.ZERO : latencyThreshold,
            window == null ? Duration.ofMillis(100) : window,
            minSamples == null ? 10 : minSamples);
      }
    }
  }

  /**
   * A gradient controller that needs no number about the backend.
   *
   * <p>Per window it takes the mean latency of completed requests (a dropped request counts at
   * the latency it was dropped at) and smooths it (EWMA, weight one half). The <em>no-load
   * baseline</em> is the lowest smoothed mean seen; it follows the latency up slowly (5% per
   * window) only while the limit is not in use. The limit is <em>in use</em> when in-flight
   * reached half of it or requests were refused; a window where it is not changes nothing.
   *
   * <ul>
   *   <li><b>Above tolerance</b> (smoothed mean above {@code tolerance} times the baseline, or
   *       the quiet latency if that is higher, plus a noise margin of twice the smoothed
   *       window-to-window change, at most a quarter of the band; a running minimum drifts to
   *       the luckiest window, 0.65 of the mean service time at sigma 0.8, where every noisy
   *       window would read as overload): the limit moves half way to {@code limit x band / latency}, or halves at
   *       once when that ratio is under one half.
   *   <li><b>Not load</b>: once the limit has been halved from where the decrease began and
   *       two windows later latency is still at least 80% of its peak, the rise is not caused
   *       by load (a slow replica, a new code path, calls that hang): the baseline takes the
   *       new latency and the limit returns to where the decrease began, or to what the demand
   *       needs if more. A drop share that did not come down with the limit is accepted too:
   *       from then on that many drops per window (plus two binomial deviations) are left out
   *       of the mean, so that how many hung calls time out in a window, which is chance, does
   *       not start the next decrease; the accepted share fades as drops fall. The baseline is
   *       held for two latencies or two deadlines, whichever is longer, since the timeouts of
   *       the calls let in arrive one deadline later. A window lower than the peak but not by
   *       half must be confirmed by the next before the load is blamed and the limit halved
   *       again. No verdict while in-flight stays above 1.5 times the halved limit: work the
   *       limit does not govern (CRITICAL) holds the slots, the experiment did not happen, and
   *       the limit holds at half.
   *   <li><b>Within tolerance</b>, with the limit full or more than 1% of demand refused: the
   *       limit grows by the demand ratio (offered / served, at most double) back up to the
   *       largest in-flight already seen healthy, or in slow start (until demand is first met);
   *       beyond that by {@code max(1, smoothing x sqrt(limit))} per window. The healthy
   *       in-flight memory decays by 10% per window above tolerance.
   *   <li><b>Overloaded, no growth past 1.15 or 1.3 times what the throughput needs</b>:
   *       while a window refused more requests than it completed, the limit does not grow above
   *       1.15 times the concurrency its completions needed at the <em>quiet latency</em>
   *       (throughput times quiet latency, Little's law; the quiet latency is the window mean
   *       averaged, weight 0.1, over windows that followed a smoothed latency within tolerance
   *       and refused no more than they served, and after a "not load" verdict at least the new
   *       normal). Past that point more concurrency only queues in the backend and walks the
   *       limit towards where contention collapses it, which CRITICAL, never shed, then
   *       sustains. The bound is 1.3 while the top priority with demand (with CRITICAL) asks for
   *       fewer calls than the backend completes (smoothed, weight 0.2): its whole demand fits,
   *       only its bursts are refused, and the calls queued inside the backend absorb them.
   *       Only where that count is
   *       sound: a smoothed drop share under 2% (hung calls hold slots whatever the load), and
   *       completed calls holding at least a third of the limit on average.
   *   <li><b>Born busy</b>: if the first window is already full and refusing, its latency is a
   *       loaded one; the limit halves while that lowers latency by a fifth (judging every
   *       second window); the baseline is the latency where that stopped (not the first
   *       window's, which holds only the calls short enough to complete within it).
   *   <li>A first window in which most requests were dropped backs off by {@code backoffRatio}
   *       without setting a baseline.
   * </ul>
   *
   * <p>Measured in the project's overload replay (15x spike, backend collapsing at 1.5x its
   * slots, lognormal service time), the defaults give HIGH 64.3% of an ideal 65.4% during the
   * spike and 100% at 1x afterwards; see the README's "Incidents replayed".
   *
   * <p>Thread-safety: immutable.
   *
   * @param initialLimit the starting limit
   * @param minLimit the floor
   * @param maxLimit the ceiling
   * @param tolerance how much latency above the baseline is tolerated, {@code >= 1}
   * @param backoffRatio the factor applied when a first window is mostly drops, in (0, 1)
   * @param smoothing the scale of additive growth beyond the healthy level, in (0, 1]
   * @param noLoadWindows kept for compatibility; no longer used
   * @param window the minimum length of a sample window
   * @param minSamples the minimum number of completions in a window
   */
  record Gradient(int initialLimit, int minLimit, int maxLimit, double tolerance,
      double backoffRatio, double smoothing, int noLoadWindows, Duration window, int minSamples)
      implements LimitPolicy {

    /**
     * Validates every field and their combination.
     *
     * @param initialLimit the starting limit
     * @param minLimit the floor
     * @param maxLimit the ceiling
     * @param tolerance latency tolerance over the no-load baseline
     * @param backoffRatio the factor applied when a first window is mostly drops
     * @param smoothing the scale of additive growth beyond the healthy level
     * @param noLoadWindows kept for compatibility; no longer used
     * @param window the minimum length of a sample window
     * @param minSamples the minimum number of completions in a window
     * @throws IllegalArgumentException naming the first bad field, in the shared shape
     */
    public Gradient {
      Checks.requirePositive("minLimit", minLimit);
      Checks.requirePositive("maxLimit", maxLimit);
      Checks.requireArgument(minLimit <= maxLimit, "minLimit", "<= maxLimit (" + maxLimit + ")",
          minLimit);
      Checks.requireInRange("initialLimit", initialLimit, minLimit, maxLimit);
      Checks.requireInRange("tolerance", tolerance, 1.0, true, 100.0, true);
      Checks.requireInRange("backoffRatio", backoffRatio, 0.0, false, 1.0, false);
      Checks.requireFraction("smoothing", smoothing);
      Checks.requirePositive("noLoadWindows", noLoadWindows);
      Checks.requirePositive("window", window);
      Checks.requirePositive("minSamples", minSamples);
    }

    /**
     * Builds a {@link Gradient}. Each setter validates its value and may be called once.
     *
     * <p>Thread-safety: not thread-safe.
     */
    public static final class Builder {
      private Integer initialLimit;
      private Integer minLimit;
      private Integer maxLimit;
      private Double tolerance;
      private Double backoffRatio;
      private Double smoothing;
      private Integer noLoadWindows;
      private Duration window;
      private Integer minSamples;

      Builder() {}

      /**
       * Sets the starting limit (default 20, or the floor if it is higher).
       *
       * @param value the limit
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder initialLimit(int value) {
        Checks.requireNotSet(initialLimit == null, "initialLimit", initialLimit);
        initialLimit = Checks.requirePositive("initialLimit", value);
        return this;
      }

      /**
       * Sets the floor (default 1).
       *
       * @param value the floor
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder minLimit(int value) {
        Checks.requireNotSet(minLimit == null, "minLimit", minLimit);
        minLimit = Checks.requirePositive("minLimit", value);
        return this;
      }

      /**
       * Sets the ceiling (default 1000).
       *
       * @param value the ceiling
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder maxLimit(int value) {
        Checks.requireNotSet(maxLimit == null, "maxLimit", maxLimit);
        maxLimit = Checks.requirePositive("maxLimit", value);
        return this;
      }

      /**
       * Sets the latency tolerance (default 1.3: shrink once the smoothed mean latency passes
       * 1.3 times the no-load baseline, plus a noise margin).
       *
       * @param value the tolerance, in [1, 100]
       * @return this builder
       * @throws IllegalArgumentException if outside [1, 100]
       * @throws IllegalStateException if already set
       */
      public Builder tolerance(double value) {
        Checks.requireNotSet(tolerance == null, "tolerance", tolerance);
        tolerance = Checks.requireInRange("tolerance", value, 1.0, true, 100.0, true);
        return this;
      }

      /**
       * Sets the factor applied when a first window is mostly drops (default 0.9).
       *
       * @param value the factor, in (0, 1)
       * @return this builder
       * @throws IllegalArgumentException if outside (0, 1)
       * @throws IllegalStateException if already set
       */
      public Builder backoffRatio(double value) {
        Checks.requireNotSet(backoffRatio == null, "backoffRatio", backoffRatio);
        backoffRatio = Checks.requireInRange("backoffRatio", value, 0.0, false, 1.0, false);
        return this;
      }

      /**
       * Sets the scale of additive growth beyond the healthy level (default 0.2: a limit
       * {@code L} grows by {@code max(1, 0.2 x sqrt(L))} per window).
       *
       * @param value the fraction, in (0, 1]
       * @return this builder
       * @throws IllegalArgumentException if outside (0, 1]
       * @throws IllegalStateException if already set
       */
      public Builder smoothing(double value) {
        Checks.requireNotSet(smoothing == null, "smoothing", smoothing);
        smoothing = Checks.requireFraction("smoothing", value);
        return this;
      }

      /**
       * Kept for compatibility with earlier versions; no longer used (default 300).
       *
       * @param value the count, {@code > 0}
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder noLoadWindows(int value) {
        Checks.requireNotSet(noLoadWindows == null, "noLoadWindows", noLoadWindows);
        noLoadWindows = Checks.requirePositive("noLoadWindows", value);
        return this;
      }

      /**
       * Sets the minimum window length (default 100 ms).
       *
       * @param value the length, {@code > 0}
       * @return this builder
       * @throws IllegalArgumentException if null or not positive
       * @throws IllegalStateException if already set
       */
      public Builder window(Duration value) {
        Checks.requireNotSet(window == null, "window", window);
        window = Checks.requirePositive("window", value);
        return this;
      }

      /**
       * Sets the minimum number of completions per window (default 10).
       *
       * @param value the count, {@code > 0}
       * @return this builder
       * @throws IllegalArgumentException if {@code value <= 0}
       * @throws IllegalStateException if already set
       */
      public Builder minSamples(int value) {
        Checks.requireNotSet(minSamples == null, "minSamples", minSamples);
        minSamples = Checks.requirePositive("minSamples", value);
        return this;
      }

      /**
       * Builds the policy.
       *
       * @return the policy
       * @throws IllegalArgumentException if the floor exceeds the ceiling or the initial limit
       *     lies outside them
       */
      public Gradient build() {
        int min = minLimit == null ? 1 : minLimit;
        int max = maxLimit == null ? 1000 : maxLimit;
        int initial = initialLimit == null ? Math.min(Math.max(20, min), max) : initialLimit;
        return new Gradient(initial, min, max, tolerance == null ? 1.3 : tolerance,
            backoffRatio == null ? 0.9 : backoffRatio, smoothing == null ? 0.2 : smoothing,
            noLoadWindows == null ? 300 : noLoadWindows,
            window == null ? Duration.ofMillis(100) : window,
            minSamples == null ? 10 : minSamples);
      }
    }
  }
}
