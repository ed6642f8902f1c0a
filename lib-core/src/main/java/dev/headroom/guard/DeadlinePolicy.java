package dev.headroom.guard;

import dev.headroom.core.Checks;
import java.time.Duration;

/**
 * How long a {@link Guard} lets a call run: a fixed deadline, or an adaptive one that follows a
 * high percentile of the dependency's recent successful latency.
 *
 * <p>The adaptive deadline is {@code percentile(recent successes) x headroom}, kept within
 * {@code [floor, ceiling]}. With fewer than 1,000 recent successes it is the ceiling: a 99.9th
 * percentile needs a thousand samples before one of them lies above it, and read from fewer the
 * deadline cuts calls of a healthy dependency (0.2-0.4% of them from 100). A histogram
 * generation closes once it is a {@code window} old and holds a thousand successes, or once it
 * is six windows old, so the histogram holds a thousand successes down to about 17 a second
 * (when generations closed every window whatever they held, below 50 a second the deadline
 * stayed the ceiling). Once every {@code exploreInterval} one call is given the
 * ceiling instead, so that when the dependency's normal latency rises the estimator still sees
 * the slower successes and follows them. Its
 * outcomes are judged ten at a time (every 100 ms at 100 calls/s and more, over several periods
 * below, at most 5 s): when calls were cut short and either at least twice as many were cut
 * as succeeded or an explorer answered slower than the deadline in force, the recent
 * successes describe a normal that is gone; they are dropped, and the deadline is the ceiling
 * until the new normal has 1,000 samples of its own. Twenty calls cut in a row, with no success
 * between them, drop them at once, without waiting for the 100 ms period: a step of the
 * latency past the deadline. (Read against thousands of samples of the old normal, the top 0.1%
 * of a new one is only its 98th percentile, and a deadline built on that cuts for seconds.)
 *
 * <pre>{@code
 * DeadlinePolicy.fixed(Duration.ofMillis(1500));
 * DeadlinePolicy.adaptive().percentile(0.999).headroom(1.1)
 *     .floor(Duration.ofMillis(10)).ceiling(Duration.ofSeconds(10)).build();
 * }</pre>
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class DeadlinePolicy {

  /** Default percentile of recent successful latency. */
  public static final double DEFAULT_PERCENTILE = 0.999;
  /** Default multiplier applied to the percentile. */
  public static final double DEFAULT_HEADROOM = 1.1;
  /** Default lowest adaptive deadline. */
  public static final Duration DEFAULT_FLOOR = Duration.ofMillis(10);
  /** Default highest adaptive deadline. */
  public static final Duration DEFAULT_CEILING = Duration.ofSeconds(10);
  /** Default length of one histogram generation (two are kept). */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  /** Default interval between calls that are given the ceiling. */
  public static final Duration DEFAULT_EXPLORE_INTERVAL = Duration.ofMillis(100);

  private final boolean adaptive;
  private final Duration fixed;
  private final double percentile;
  private final double headroom;
  private final Duration floor;
  private final Duration ceiling;
  private final Duration window;
  private final Duration exploreInterval;

  private DeadlinePolicy(boolean adaptive, Duration fixed, double percentile, double headroom,
      Duration floor, Duration ceiling, Duration window, Duration exploreInterval) {
    this.adaptive = adaptive;
    this.fixed = fixed;
    this.percentile = percentile;
    this.headroom = headroom;
    this.floor = floor;
    this.ceiling = ceiling;
    this.window = window;
    this.exploreInterval = exploreInterval;
  }

  /**
   * A fixed deadline.
   *
   * @param deadline how long each call may run, {@code > 0}
   * @return the policy
   * @throws IllegalArgumentException if {@code deadline} is null, zero or negative
   */
  public static DeadlinePolicy fixed(Duration deadline) {
    Checks.requirePositive("deadline", deadline);
    return new DeadlinePolicy(false, deadline, 0, 0, deadline, deadline, deadline, deadline);
  }

  /**
   * Starts an adaptive deadline with the defaults above.
   *
   * @return a builder
   */
  public static Builder adaptive() {
    return new Builder();
  }

  /**
   * Returns whether the deadline follows the dependency's latency.
   *
   * @return true for {@link #adaptive()}, false for {@link #fixed(Duration)}
   */
  public boolean isAdaptive() {
    return adaptive;
  }

  /**
   * Returns the fixed deadline, or null for an adaptive policy.
   *
   * @return the deadline or null
   */
  public Duration fixedDeadline() {
    return adaptive ? null : fixed;
  }

  /**
   * Returns the percentile of recent successful latency the adaptive deadline follows.
   *
   * @return in (0, 1), or 0 for a fixed policy
   */
  public double percentile() {
    return percentile;
  }

  /**
   * Returns the multiplier applied to the percentile.
   *
   * @return {@code >= 1}, or 0 for a fixed policy
   */
  public double headroom() {
    return headroom;
  }

  /**
   * Returns the lowest deadline (the fixed deadline for a fixed policy).
   *
   * @return the floor
   */
  public Duration floor() {
    return floor;
  }

  /**
   * Returns the highest deadline (the fixed deadline for a fixed policy).
   *
   * @return the ceiling
   */
  public Duration ceiling() {
    return ceiling;
  }

  /**
   * Returns the length of one of the two histogram generations.
   *
   * @return the window
   */
  public Duration window() {
    return window;
  }

  /**
   * Returns the interval between calls that are given the ceiling.
   *
   * @return the interval
   */
  public Duration exploreInterval() {
    return exploreInterval;
  }

  @Override
  public String toString() {
    return adaptive
        ? "DeadlinePolicy[adaptive p" + percentile + " x" + headroom + " in [" + floor + ", "
            + ceiling + "], window " + window + ", explore " + exploreInterval + "]"
        : "DeadlinePolicy[fixed " + fixed + "]";
  }

  /** Builds an adaptive {@link DeadlinePolicy}. Not thread-safe. */
  public static final class Builder {
    private double percentile = DEFAULT_PERCENTILE;
    private double headroom = DEFAULT_HEADROOM;
    private Duration floor = DEFAULT_FLOOR;
    private Duration ceiling = DEFAULT_CEILING;
    private Duration window = DEFAULT_WINDOW;
    private Duration exploreInterval = DEFAULT_EXPLORE_INTERVAL;

    private Builder() {}

    /**
     * Sets the percentile of recent successful latency to follow.
     *
     * @param value in (0, 1)
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder percentile(double value) {
      Checks.requireArgument(value > 0.0 && value < 1.0, "percentile", "in (0, 1)", value);
      this.percentile = value;
      return this;
    }

    /**
     * Sets the multiplier applied to the percentile.
     *
     * @param value in [1, 100]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder headroom(double value) {
      Checks.requireArgument(value >= 1.0 && value <= 100.0, "headroom", "in [1, 100]", value);
      this.headroom = value;
      return this;
    }

    /**
     * Sets the lowest deadline.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder floor(Duration value) {
      this.floor = Checks.requirePositive("floor", value);
      return this;
    }

    /**
     * Sets the highest deadline, also the deadline before enough successes are seen.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder ceiling(Duration value) {
      this.ceiling = Checks.requirePositive("ceiling", value);
      return this;
    }

    /**
     * Sets the shortest life of one histogram generation: it closes once it is this old and
     * holds a thousand successes, or six times this old; at a busy caller's rate the estimate
     * covers one to two windows.
     *
     * @param value {@code >= 100 ms}
     * @return this builder
     * @throws IllegalArgumentException if null or shorter than 100 ms
     */
    public Builder window(Duration value) {
      Checks.requireNonNull("window", value);
      Checks.requireArgument(value.compareTo(Duration.ofMillis(100)) >= 0, "window",
          ">= 100 ms", value);
      this.window = value;
      return this;
    }

    /**
     * Sets the interval between calls given the ceiling (default 100 ms); where that would be
     * more than one call in 20, explorers come 20 calls apart instead.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder exploreInterval(Duration value) {
      this.exploreInterval = Checks.requirePositive("exploreInterval", value);
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if {@code floor > ceiling}
     */
    public DeadlinePolicy build() {
      Checks.requireArgument(floor.compareTo(ceiling) <= 0, "floor",
          "<= ceiling " + ceiling, floor);
      return new DeadlinePolicy(true, null, percentile, headroom, floor, ceiling, window,
          exploreInterval);
    }
  }
}
