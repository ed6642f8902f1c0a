package dev.headroom.breaker;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The immutable configuration of a {@link CircuitBreaker}, shared by every breaker of a
 * {@link BreakerRegistry}. Built with {@link #builder()}; {@link Builder#from(BreakerConfig)}
 * derives one configuration from another.
 *
 * <p>Trip rules (defaults read volume):
 * <ul>
 *   <li>{@code failureRateThreshold} (default 0.5; 0 turns it off): trip when at least this
 *       fraction of the newest calls failed, with confidence: the Wilson lower bound
 *       (z = {@value #TRIP_Z}) of the fraction must reach the threshold, or every judged call
 *       failed. The rate is judged over the newest window buckets that together hold at least
 *       {@code minimumCalls} calls (default 100, in a 10 s window of 50 buckets) and span twice
 *       the calls' recent latency (one bucket to a tenth of the window), so a busy breaker of
 *       fast calls reacts within a fraction of a second and a quiet one still judges enough
 *       calls. Failures are compared with the successes of the calls that began when they began
 *       (their completions shifted back by the difference in latency), unless at least 90% (or
 *       the threshold, if higher) of the completed calls failed, which trips it whenever they
 *       began. At 400 calls/s with 30% failing it never trips: a dependency that answers most
 *       calls is not treated as down. The rate is judged again at every failure, so the bound
 *       is one-sided 99%, not 95%: at 45% errors (threshold 50%) the 95% bound was reached by
 *       chance every few seconds; now 2 times in 300 s at 400 calls/s, never at 20, 50 and
 *       2,000 calls/s (seeds 1-10), while 55% errors still trip within 0.8 s at 400 and 2,000
 *       calls/s.
 *   <li>{@code consecutiveFailures} (default 5; 0 turns it off): trip after this many failures
 *       in a row. When a rate rule is configured it applies only at low volume, while the window
 *       holds fewer than {@code minimumCalls} calls (at 2 calls/s a full outage trips after 5
 *       failures), and there a run must be no chance: where the calls before the run failed often
 *       (the newest four times this number of them, or the window's if it holds fewer), the
 *       run needed is longer, so that its chance at that failure fraction is at most
 *       {@value #LOW_VOLUME_RUN_CHANCE}, up to three times this number (12 where 45% failed).
 *       Without a rate rule it always applies, as configured.
 *   <li>{@code slowCallRateThreshold} (off by default): the same as the failure rate for calls
 *       slower than the slow-call threshold.
 * </ul>
 *
 * <p>The slow-call rule is off by default on purpose. A threshold learned while the dependency
 * was healthy treats a new normal (a dependency that now answers in 800 ms instead of 20 ms) as
 * failure, and can hold a breaker open against a dependency that answers; a fixed threshold
 * needs a number only someone who knows the dependency can choose. When it is configured, the
 * threshold is either fixed ({@code slowCallThreshold}) or, when that is null, adaptive:
 * {@code slowCallMultiple} times a running estimate of the mean latency of successful calls,
 * never below {@code slowCallFloor}. The estimate is an exponentially weighted mean with a time
 * constant of {@code slowCallLearningPeriod}, fed by successful calls in every state (closed
 * and half-open), so it follows a lasting shift within a few learning periods. Slow calls never
 * fail half-open probes: the slow rule can trip a closed breaker, never keep one open.
 *
 * <p>Open duration: {@code openDuration} (default 1 s) after a trip from closed, times
 * {@code openDurationMultiplier} (default 2) to the power of a backoff level, capped at
 * {@code maxOpenDuration} (default 30 s), then jittered by {@code +-openJitter} (drawn from a
 * mix of the clock reading and the breaker's name: spread across instances, reproducible under
 * a manual clock). The level follows the evidence of each relapse's failed step: up one where
 * no probe of the step answered although it lasted twice the longest answer of the ramp's
 * earlier steps, down one where a probe of the step answered, unchanged where the step was
 * younger than that (fast errors complete before the answers of the probes that began with
 * them, so a young step's failures say nothing of its answers). A dependency that answers
 * some probes is not shut out for ever longer: after 30 s of 60% fast errors at 400 calls/s
 * the breaker served 23.5% of the next 10 s (seeds 1-5) while every relapse of a step without
 * an answer doubled it, 91% now (seeds 1-10). A full recovery resets it.
 *
 * <p>Half-open ramp: the fractions in {@code rampSteps} (strictly increasing, ending at 1).
 * Besides the fraction, one call is admitted as a probe whenever no probe is in flight and
 * {@code probeInterval} (default 50 ms) passed since the last one, so low traffic is not starved
 * by a 1% step. (At 25 ms the breaker sent 13.5% of the calls of a 10 s outage at 400 calls/s
 * to the failing dependency, most of them probes; at 50 ms 8.4%, and the 10 s after it still
 * served 99.5%, median of seeds 1-10.) Probes are judged on failures only:
 * <ul>
 *   <li>a step relapses when the continuity-corrected Wilson lower bound
 *       (z = {@value #RELAPSE_Z}) of its failure rate exceeds the threshold
 *       ({@code failureRateThreshold}, or {@link #DEFAULT_PROBE_FAILURE_RATE} when it is off):
 *       confidence, not a raw ratio. On a small sample the corrected bound errs as the exact
 *       binomial test does: 5 failures of 5 exceed one half, 3 of 3 (a one-in-eight chance at
 *       one half) do not;
 *   <li>"still down": when step 0 fails without a single success (judged on the plain Wilson
 *       bound: restarting costs nothing), it restarts in place (stays half-open, admits its
 *       small fraction plus probes, no new open event, no backoff growth);
 *   <li>the first success after failures in step 0 moves to step 1;
 *   <li>a step passes early once it has {@code minProbesPerStep} judged probes and the Wilson
 *       upper bound (z = {@value #PASS_Z}) of the ramp's cumulative failure rate is below the
 *       threshold; otherwise it passes once it lasted {@code stepDuration} with
 *       {@code minProbesPerStep} judged probes of which fewer than the threshold failed.
 * </ul>
 *
 * <p>Classification of a throwable reported by {@code onFailure}: if {@code ignoreWhen}
 * matches, the call is ignored (it counts for nothing); else if {@code failureWhen} matches it
 * is a failure; else it is a success (the dependency answered, e.g. with a "not found").
 *
 * <p>Thread-safety: immutable. The predicates must be thread-safe and side-effect free.
 *
 * @param consecutiveFailures failures in a row that trip; 0 turns the rule off
 * @param failureRateThreshold failure fraction in (0, 1] that trips; 0 turns the rule off
 * @param slowCallRateThreshold slow-call fraction in (0, 1] that trips; 0 turns the rule off
 * @param slowCallThreshold a fixed slow-call threshold, or null for the adaptive one
 * @param slowCallMultiple the adaptive threshold's multiple of the latency estimate
 * @param slowCallFloor the adaptive threshold's floor
 * @param slowCallLearningPeriod the time constant of the adaptive latency estimate
 * @param window the length of the sliding time window of the rate rules
 * @param windowBuckets how many time buckets the window is split into (its granularity)
 * @param minimumCalls calls the window must hold before a rate rule is judged
 * @param openDuration how long the breaker stays open after a trip from closed
 * @param openDurationMultiplier the growth of the open duration on each relapse
 * @param maxOpenDuration the cap of the open duration
 * @param openJitter the relative jitter of the open duration, in [0, 1)
 * @param rampSteps the admitted fractions of the half-open ramp, increasing, ending at 1
 * @param stepDuration the minimum duration of a ramp step
 * @param minProbesPerStep the minimum number of judged probes of a ramp step
 * @param probeInterval the half-open interval after which a probe is admitted whatever the
 *     fraction, when none is in flight
 * @param failureWhen which throwables are failures
 * @param ignoreWhen which throwables are ignored (checked first)
 * @param rejectionStackTrace whether rejections capture a stack trace
 * @param clock the clock: window buckets, open durations, ramp steps, and the durations the
 *     wrappers measure
 */
public record BreakerConfig(
    int consecutiveFailures,
    double failureRateThreshold,
    double slowCallRateThreshold,
    Duration slowCallThreshold,
    double slowCallMultiple,
    Duration slowCallFloor,
    Duration slowCallLearningPeriod,
    Duration window,
    int windowBuckets,
    int minimumCalls,
    Duration openDuration,
    double openDurationMultiplier,
    Duration maxOpenDuration,
    double openJitter,
    List<Double> rampSteps,
    Duration stepDuration,
    int minProbesPerStep,
    Duration probeInterval,
    Predicate<Throwable> failureWhen,
    Predicate<Throwable> ignoreWhen,
    boolean rejectionStackTrace,
    NanoClock clock) {

  /** Default {@code consecutiveFailures}: 5. */
  public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
  /** Default adaptive {@code slowCallMultiple}: 4. */
  public static final double DEFAULT_SLOW_CALL_MULTIPLE = 4.0;
  /** Default adaptive {@code slowCallFloor}: 50 ms. */
  public static final Duration DEFAULT_SLOW_CALL_FLOOR = Duration.ofMillis(50);
  /** Default {@code slowCallLearningPeriod}: 60 s. */
  public static final Duration DEFAULT_SLOW_CALL_LEARNING_PERIOD = Duration.ofSeconds(60);
  /** Default {@code window}: 10 s. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  /** Default {@code windowBuckets}: 50 (200 ms buckets). */
  public static final int DEFAULT_WINDOW_BUCKETS = 50;
  /** Default {@code failureRateThreshold}: 0.5. */
  public static final double DEFAULT_FAILURE_RATE_THRESHOLD = 0.5;
  /** Default {@code minimumCalls}: 100. */
  public static final int DEFAULT_MINIMUM_CALLS = 100;
  /** Default {@code openDuration}: 1 s. */
  public static final Duration DEFAULT_OPEN_DURATION = Duration.ofSeconds(1);
  /** Default {@code openDurationMultiplier}: 2. */
  public static final double DEFAULT_OPEN_DURATION_MULTIPLIER = 2.0;
  /** Default {@code maxOpenDuration}: 30 s. */
  public static final Duration DEFAULT_MAX_OPEN_DURATION = Duration.ofSeconds(30);
  /** Default {@code openJitter}: 0.1. */
  public static final double DEFAULT_OPEN_JITTER = 0.1;
  /**
   * Default {@code rampSteps}: 1%, 50%, 100%. Step 0 holds the breaker nearly shut while the
   * dependency is still down; once probes succeed, each further step costs about
   * {@code minProbesPerStep x (1 - f) / f} refused calls whatever the rate, so a 10% step alone
   * would refuse about 45 calls of a recovered dependency (over 1% of 10 s at 400 calls/s in the
   * dependency-incident simulator, where 1%, 10%, 50%, 100% let through 98.6%).
   */
  public static final List<Double> DEFAULT_RAMP_STEPS = List.of(0.01, 0.5, 1.0);
  /** Default {@code stepDuration}: 2 s. */
  public static final Duration DEFAULT_STEP_DURATION = Duration.ofSeconds(2);
  /** Default {@code minProbesPerStep}: 5. */
  public static final int DEFAULT_MIN_PROBES_PER_STEP = 5;
  /** Default {@code probeInterval}: 50 ms. */
  public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofMillis(50);
  /**
   * How many probe intervals without a probe admitted make a half-open breaker admit one more
   * although probes are in flight: those are taken to hang. With one probe at a time, a probe
   * let in just before a hanging dependency recovered held the recovery's discovery back by up
   * to a whole deadline: after 10 s of hanging calls at 50 calls/s (1.5 s deadline) the 10 s
   * after it were served 91.8% on average over seeds 1-30, 83.3% at worst; with this rule 98.6%
   * and 97.2%, for 42% of the outage's calls sent instead of 37% (most before the breaker
   * opens). At 400 calls/s, 99.0% and 9.2% (98.4% and 8.5%). 5 intervals gave 97.8%; 2 no more
   * than 3.
   */
  public static final int HUNG_PROBE_INTERVALS = 3;
  /**
   * The failure fraction of a ramp step's judged probes that makes it relapse when no
   * {@code failureRateThreshold} is configured: a breaker with only the consecutive-failures rule
   * must not pass a step in which 4 of 5 probes failed.
   */
  public static final double DEFAULT_PROBE_FAILURE_RATE = 0.5;
  /**
   * The z of the Wilson lower bound a closed breaker's failure (or slow-call) rate must reach
   * to trip (one-sided 99%). The rate is judged again at every failure, so a 95% bound is
   * reached by chance by a dependency failing just below the threshold.
   */
  public static final double TRIP_Z = 2.326;
  /**
   * The chance, at the failure fraction of the calls before it, of a run of failures that trips
   * at low volume (while the window holds fewer than {@code minimumCalls} calls): the run needed
   * is {@code consecutiveFailures} where those calls failed rarely, and up to three times that
   * where a run so long is likely by chance (12 where 45% failed). The calls before it are the
   * newest four times {@code consecutiveFailures} of the window: a dependency that has been
   * failing for a few seconds is judged by that, not by the healthy calls before it.
   */
  public static final double LOW_VOLUME_RUN_CHANCE = 1e-4;
  /** The z of the Wilson lower bound that makes a ramp step relapse (one-sided 95%). */
  public static final double RELAPSE_Z = 1.645;
  /** The z of the Wilson upper bound that lets a ramp step pass early (one-sided 80%). */
  public static final double PASS_Z = 0.84;

  private static final int MAX_BUCKETS = 1_000;
  private static final int MAX_STEPS = 64;

  /**
   * Validates every component and freezes the ramp.
   *
   * @throws IllegalArgumentException with the shared message for any bad component
   * @throws IllegalStateException if no trip rule is on, or a rate rule has no slow-call
   *     classification to judge
   */
  public BreakerConfig {
    Checks.requireNonNegative("consecutiveFailures", consecutiveFailures);
    requireRateOrOff("failureRateThreshold", failureRateThreshold);
    requireRateOrOff("slowCallRateThreshold", slowCallRateThreshold);
    if (slowCallThreshold != null) {
      Checks.requirePositive("slowCallThreshold", slowCallThreshold);
    }
    Checks.requireArgument(slowCallMultiple >= 1.0 && Double.isFinite(slowCallMultiple),
        "slowCallMultiple", "finite and >= 1", slowCallMultiple);
    Checks.requirePositive("slowCallFloor", slowCallFloor);
    Checks.requirePositive("slowCallLearningPeriod", slowCallLearningPeriod);
    Checks.requirePositive("window", window);
    Checks.requireInRange("windowBuckets", windowBuckets, 1, MAX_BUCKETS);
    Checks.requirePositive("minimumCalls", minimumCalls);
    Checks.requirePositive("openDuration", openDuration);
    Checks.requireArgument(openDurationMultiplier >= 1.0 && Double.isFinite(openDurationMultiplier),
        "openDurationMultiplier", "finite and >= 1", openDurationMultiplier);
    Checks.requirePositive("maxOpenDuration", maxOpenDuration);
    Checks.requireInRange("openJitter", openJitter, 0.0, true, 1.0, false);
    rampSteps = requireRamp(rampSteps);
    Checks.requirePositive("stepDuration", stepDuration);
    Checks.requirePositive("minProbesPerStep", minProbesPerStep);
    Checks.requirePositive("probeInterval", probeInterval);
    Checks.requireNonNull("failureWhen", failureWhen);
    Checks.requireNonNull("ignoreWhen", ignoreWhen);
    Checks.requireNonNull("clock", clock);
    Checks.requireArgument(window.toNanos() / windowBuckets >= 1_000_000L, "window / windowBuckets",
        ">= 1 ms", window.dividedBy(windowBuckets));
    Checks.requireState(maxOpenDuration.compareTo(openDuration) >= 0,
        "maxOpenDuration must be >= openDuration (was " + maxOpenDuration + " < " + openDuration
            + ")");
    Checks.requireState(consecutiveFailures > 0 || failureRateThreshold > 0
            || slowCallRateThreshold > 0,
        "at least one trip rule must be on (consecutiveFailures, failureRateThreshold or "
            + "slowCallRateThreshold)");
  }

  /**
   * Returns a builder with every default: failure rate 0.5 over at least 100 calls in a 10 s
   * window of 50 buckets, 5 consecutive failures at low volume, no slow-call rule, 1 s open
   * duration doubling per relapse without success up to 30 s with 10% jitter, ramp 1%, 50%,
   * 100% with steps of at most 2 s and at least 5 probes, a probe every 50 ms when none is
   * in flight, every throwable a failure, none ignored, the coarse clock.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the configuration with every default.
   *
   * @return the default configuration
   */
  public static BreakerConfig defaults() {
    return builder().build();
  }

  /**
   * Returns whether the slow-call threshold is learned rather than fixed.
   *
   * @return true when {@link #slowCallThreshold()} is null
   */
  public boolean adaptiveSlowCallThreshold() {
    return slowCallThreshold == null;
  }

  private static void requireRateOrOff(String option, double value) {
    Checks.requireArgument(value == 0.0 || (value > 0.0 && value <= 1.0), option,
        "0 (off) or in (0, 1]", value);
  }

  private static List<Double> requireRamp(List<Double> steps) {
    Checks.requireNonNull("rampSteps", steps);
    Checks.requireInRange("rampSteps.size()", steps.size(), 1, MAX_STEPS);
    double previous = 0.0;
    for (int i = 0; i < steps.size(); i++) {
      Double step = steps.get(i);
      Checks.requireNonNull("rampSteps[" + i + "]", step);
      Checks.requireFraction("rampSteps[" + i + "]", step);
      Checks.requireArgument(step > previous, "rampSteps[" + i + "]",
          "> rampSteps[" + (i - 1) + "] (increasing)", step);
      previous = step;
    }
    Checks.requireArgument(previous == 1.0, "rampSteps[" + (steps.size() - 1) + "]",
        "1 (the ramp ends at 100%)", previous);
    return List.copyOf(steps);
  }

  /**
   * Builds a {@link BreakerConfig}. Each setter validates its argument at once and may be
   * called only once per builder ({@link #from(BreakerConfig)} counts as setting nothing).
   *
   * <p>Thread-safety: not thread-safe; confine a builder to one thread.
   */
  public static final class Builder {
    private int consecutiveFailures = DEFAULT_CONSECUTIVE_FAILURES;
    private double failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
    private double slowCallRateThreshold;
    private Duration slowCallThreshold;
    private double slowCallMultiple = DEFAULT_SLOW_CALL_MULTIPLE;
    private Duration slowCallFloor = DEFAULT_SLOW_CALL_FLOOR;
    private Duration slowCallLearningPeriod = DEFAULT_SLOW_CALL_LEARNING_PERIOD;
    private Duration window = DEFAULT_WINDOW;
    private int windowBuckets = DEFAULT_WINDOW_BUCKETS;
    private int minimumCalls = DEFAULT_MINIMUM_CALLS;
    private Duration openDuration = DEFAULT_OPEN_DURATION;
    private double openDurationMultiplier = DEFAULT_OPEN_DURATION_MULTIPLIER;
    private Duration maxOpenDuration = DEFAULT_MAX_OPEN_DURATION;
    private double openJitter = DEFAULT_OPEN_JITTER;
    private List<Double> rampSteps = DEFAULT_RAMP_STEPS;
    private Duration stepDuration = DEFAULT_STEP_DURATION;
    private int minProbesPerStep = DEFAULT_MIN_PROBES_PER_STEP;
    private Duration probeInterval = DEFAULT_PROBE_INTERVAL;
    private Predicate<Throwable> failureWhen = t -> true;
    private Predicate<Throwable> ignoreWhen = t -> false;
    private boolean rejectionStackTrace;
    private NanoClock clock;

    private final java.util.Set<String> set = new java.util.HashSet<>();

    Builder() {}

    private void once(String option, Object current) {
      Checks.requireNotSet(!set.contains(option), option, current);
      set.add(option);
    }

    /**
     * Starts from every value of {@code base}; later setters override single values.
     *
     * @param base the configuration to copy
     * @return this builder
     * @throws IllegalArgumentException if {@code base} is null
     * @throws IllegalStateException if any option was already set on this builder
     */
    public Builder from(BreakerConfig base) {
      Checks.requireNonNull("base", base);
      Checks.requireState(set.isEmpty(), "from(base) must come before any other setting (was "
          + "after " + set + ")");
      consecutiveFailures = base.consecutiveFailures;
      failureRateThreshold = base.failureRateThreshold;
      slowCallRateThreshold = base.slowCallRateThreshold;
      slowCallThreshold = base.slowCallThreshold;
      slowCallMultiple = base.slowCallMultiple;
      slowCallFloor = base.slowCallFloor;
      slowCallLearningPeriod = base.slowCallLearningPeriod;
      window = base.window;
      windowBuckets = base.windowBuckets;
      minimumCalls = base.minimumCalls;
      openDuration = base.openDuration;
      openDurationMultiplier = base.openDurationMultiplier;
      maxOpenDuration = base.maxOpenDuration;
      openJitter = base.openJitter;
      rampSteps = base.rampSteps;
      stepDuration = base.stepDuration;
      minProbesPerStep = base.minProbesPerStep;
      probeInterval = base.probeInterval;
      failureWhen = base.failureWhen;
      ignoreWhen = base.ignoreWhen;
      rejectionStackTrace = base.rejectionStackTrace;
      clock = base.clock;
      return this;
    }

    /**
     * Trips after this many failures in a row; 0 turns the rule off.
     *
     * @param count failures in a row, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder consecutiveFailures(int count) {
      Checks.requireNonNegative("consecutiveFailures", count);
      once("consecutiveFailures", consecutiveFailures);
      consecutiveFailures = count;
      return this;
    }

    /**
     * Trips when at least this fraction of the newest calls failed (default 0.5); 0 turns the
     * rule off.
     *
     * @param rate in (0, 1], or 0 for off
     * @return this builder
     * @throws IllegalArgumentException if outside (0, 1] and not 0
     * @throws IllegalStateException if already set
     */
    public Builder failureRateThreshold(double rate) {
      requireRateOrOff("failureRateThreshold", rate);
      once("failureRateThreshold", failureRateThreshold);
      failureRateThreshold = rate;
      return this;
    }

    /**
     * Trips when at least this fraction of the window's calls were slow.
     *
     * @param rate in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if outside (0, 1]
     * @throws IllegalStateException if already set
     */
    public Builder slowCallRateThreshold(double rate) {
      Checks.requireFraction("slowCallRateThreshold", rate);
      once("slowCallRateThreshold", slowCallRateThreshold);
      slowCallRateThreshold = rate;
      return this;
    }

    /**
     * Fixes the slow-call threshold: a call at least this long is slow.
     *
     * @param threshold {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set, or if an adaptive setting was made
     */
    public Builder slowCallThreshold(Duration threshold) {
      Checks.requirePositive("slowCallThreshold", threshold);
      once("slowCallThreshold", slowCallThreshold);
      Checks.requireState(!set.contains("adaptiveSlowCallThreshold"),
          "slowCallThreshold conflicts with adaptiveSlowCallThreshold (set both)");
      slowCallThreshold = threshold;
      return this;
    }

    /**
     * Learns the slow-call threshold: {@code multiple} times the running mean latency of
     * successful calls, never below {@code floor}. This is the default (4x, 50 ms).
     *
     * @param multiple {@code >= 1}
     * @param floor {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code multiple < 1} or not finite, or {@code floor}
     *     is null, zero or negative
     * @throws IllegalStateException if already set, or if a fixed threshold was set
     */
    public Builder adaptiveSlowCallThreshold(double multiple, Duration floor) {
      Checks.requireArgument(multiple >= 1.0 && Double.isFinite(multiple), "slowCallMultiple",
          "finite and >= 1", multiple);
      Checks.requirePositive("slowCallFloor", floor);
      once("adaptiveSlowCallThreshold", slowCallMultiple + "x, floor " + slowCallFloor);
      Checks.requireState(!set.contains("slowCallThreshold"),
          "adaptiveSlowCallThreshold conflicts with slowCallThreshold (set both)");
      slowCallThreshold = null;
      slowCallMultiple = multiple;
      slowCallFloor = floor;
      return this;
    }

    /**
     * Sets the time constant of the adaptive latency estimate.
     *
     * @param period {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder slowCallLearningPeriod(Duration period) {
      Checks.requirePositive("slowCallLearningPeriod", period);
      once("slowCallLearningPeriod", slowCallLearningPeriod);
      slowCallLearningPeriod = period;
      return this;
    }

    /**
     * Sets the sliding time window of the rate rules and its granularity.
     *
     * @param length {@code > 0}
     * @param buckets in [1, 1000]; {@code length / buckets} must be at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder window(Duration length, int buckets) {
      Checks.requirePositive("window", length);
      Checks.requireInRange("windowBuckets", buckets, 1, MAX_BUCKETS);
      once("window", window);
      window = length;
      windowBuckets = buckets;
      return this;
    }

    /**
     * Sets how many calls the window must hold before a rate rule is judged.
     *
     * @param calls {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder minimumCalls(int calls) {
      Checks.requirePositive("minimumCalls", calls);
      once("minimumCalls", minimumCalls);
      minimumCalls = calls;
      return this;
    }

    /**
     * Sets the open duration after a trip from closed.
     *
     * @param duration {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder openDuration(Duration duration) {
      Checks.requirePositive("openDuration", duration);
      once("openDuration", openDuration);
      openDuration = duration;
      return this;
    }

    /**
     * Sets the relapse backoff: each relapse multiplies the open duration by {@code multiplier},
     * up to {@code max}.
     *
     * @param multiplier {@code >= 1} (1 turns growth off)
     * @param max {@code > 0}, and {@code >= openDuration} at build time
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder relapseBackoff(double multiplier, Duration max) {
      Checks.requireArgument(multiplier >= 1.0 && Double.isFinite(multiplier),
          "openDurationMultiplier", "finite and >= 1", multiplier);
      Checks.requirePositive("maxOpenDuration", max);
      once("relapseBackoff", openDurationMultiplier + "x up to " + maxOpenDuration);
      openDurationMultiplier = multiplier;
      maxOpenDuration = max;
      return this;
    }

    /**
     * Sets the relative jitter of the open duration: it is multiplied by a uniform factor in
     * {@code [1 - jitter, 1 + jitter]} (and capped).
     *
     * @param jitter in [0, 1)
     * @return this builder
     * @throws IllegalArgumentException if outside [0, 1)
     * @throws IllegalStateException if already set
     */
    public Builder openJitter(double jitter) {
      Checks.requireInRange("openJitter", jitter, 0.0, true, 1.0, false);
      once("openJitter", openJitter);
      openJitter = jitter;
      return this;
    }

    /**
     * Sets the half-open ramp's admitted fractions.
     *
     * @param fractions strictly increasing, each in (0, 1], the last exactly 1
     * @return this builder
     * @throws IllegalArgumentException if null, empty, not increasing or not ending at 1
     * @throws IllegalStateException if already set
     */
    public Builder rampSteps(double... fractions) {
      Checks.requireNonNull("rampSteps", fractions);
      List<Double> steps = new ArrayList<>(fractions.length);
      for (double f : fractions) {
        steps.add(f);
      }
      List<Double> valid = requireRamp(steps);
      once("rampSteps", rampSteps);
      rampSteps = valid;
      return this;
    }

    /**
     * Sets how long each ramp step lasts at least, and how many judged probes it needs at
     * least.
     *
     * @param minDuration {@code > 0}
     * @param minProbes {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder rampStep(Duration minDuration, int minProbes) {
      Checks.requirePositive("stepDuration", minDuration);
      Checks.requirePositive("minProbesPerStep", minProbes);
      once("rampStep", stepDuration + ", " + minProbesPerStep + " probes");
      stepDuration = minDuration;
      minProbesPerStep = minProbes;
      return this;
    }

    /**
     * Sets the half-open probe interval: when no probe is in flight and this long passed since
     * the last one, one call is admitted as a probe whatever the step's fraction, so low traffic
     * still recovers (default 50 ms).
     *
     * @param interval {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder probeInterval(Duration interval) {
      Checks.requirePositive("probeInterval", interval);
      once("probeInterval", probeInterval);
      probeInterval = interval;
      return this;
    }

    /**
     * Sets which throwables are failures (default: all). Others, unless ignored, are successes.
     *
     * @param predicate side-effect free and thread-safe
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder failureWhen(Predicate<Throwable> predicate) {
      Checks.requireNonNull("failureWhen", predicate);
      once("failureWhen", failureWhen);
      failureWhen = predicate;
      return this;
    }

    /**
     * Sets which throwables are ignored (default: none): such a call counts for nothing.
     *
     * @param predicate side-effect free and thread-safe
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder ignoreWhen(Predicate<Throwable> predicate) {
      Checks.requireNonNull("ignoreWhen", predicate);
      once("ignoreWhen", ignoreWhen);
      ignoreWhen = predicate;
      return this;
    }

    /**
     * Ignores throwables that are instances of any of these classes (or their subclasses).
     *
     * @param types the classes to ignore, at least one
     * @return this builder
     * @throws IllegalArgumentException if null, empty, or holding null or a non-throwable class
     * @throws IllegalStateException if an ignore rule was already set
     */
    public Builder ignore(Class<?>... types) {
      return ignoreWhen(instanceOfAny("ignore", types));
    }

    /**
     * Counts as failures only throwables that are instances of any of these classes (or their
     * subclasses); other throwables are successes unless ignored.
     *
     * @param types the failure classes, at least one
     * @return this builder
     * @throws IllegalArgumentException if null, empty, or holding null or a non-throwable class
     * @throws IllegalStateException if a failure rule was already set
     */
    public Builder failOn(Class<?>... types) {
      return failureWhen(instanceOfAny("failOn", types));
    }

    /**
     * Sets whether rejections capture a stack trace (default false: cheap rejections).
     *
     * @param capture true to capture
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder rejectionStackTrace(boolean capture) {
      once("rejectionStackTrace", rejectionStackTrace);
      rejectionStackTrace = capture;
      return this;
    }

    /**
     * Sets the clock (default {@link NanoClock#coarse()}, about 1 ms resolution).
     *
     * @param nanoClock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock nanoClock) {
      Checks.requireNonNull("clock", nanoClock);
      once("clock", clock);
      clock = nanoClock;
      return this;
    }

    /**
     * Builds the configuration, checking the combinations.
     *
     * @return a new immutable configuration
     * @throws IllegalArgumentException if a value is out of range in combination, e.g. a window
     *     bucket shorter than 1 ms
     * @throws IllegalStateException if no trip rule is on, or {@code maxOpenDuration <
     *     openDuration}
     */
    public BreakerConfig build() {
      return new BreakerConfig(consecutiveFailures, failureRateThreshold, slowCallRateThreshold,
          slowCallThreshold, slowCallMultiple, slowCallFloor, slowCallLearningPeriod, window,
          windowBuckets, minimumCalls, openDuration, openDurationMultiplier, maxOpenDuration,
          openJitter, rampSteps, stepDuration, minProbesPerStep, probeInterval, failureWhen,
          ignoreWhen,
          rejectionStackTrace, clock == null ? NanoClock.coarse() : clock);
    }

    private static Predicate<Throwable> instanceOfAny(String option, Class<?>[] types) {
      Checks.requireNonNull(option, types);
      Checks.requireArgument(types.length > 0, option, "at least one class", "none");
      List<Class<?>> copy = new ArrayList<>(types.length);
      for (int i = 0; i < types.length; i++) {
        Class<?> type = Checks.requireNonNull(option + "[" + i + "]", types[i]);
        Checks.requireArgument(Throwable.class.isAssignableFrom(type), option + "[" + i + "]",
            "a Throwable class", type.getName());
        copy.add(type);
      }
      List<Class<?>> frozen = List.copyOf(copy);
      return t -> {
        for (Class<?> type : frozen) {
          if (type.isInstance(t)) {
            return true;
          }
        }
        return false;
      };
    }
  }
}
