package dev.headroom.breaker;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A circuit breaker that trips on a failure rate judged with confidence over the newest calls
 * (consecutive failures where the volume is too low for a rate), and recovers along a ramp
 * whose steps pass on the probes' evidence instead of flipping from a few probes to all traffic.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.builder("replica-db").build(); // the defaults
 * Member m = breaker.call(() -> replica.load(id), error -> cache.get(id));
 * }</pre>
 *
 * <h2>States</h2>
 * <ul>
 *   <li>{@link BreakerState#CLOSED}: every call is admitted. Each failure judges the rate rules
 *       over the newest window buckets that together hold {@code minimumCalls} calls (100 by
 *       default) and span twice the calls' recent latency (at least a bucket, at most a tenth
 *       of the window): the breaker trips when the Wilson lower bound of the failure (or
 *       slow-call) fraction reaches the threshold, or every judged call failed. Failures are
 *       compared with the successes of calls that began when they began (see the window). While
 *       the window holds fewer than {@code minimumCalls} calls, {@code consecutiveFailures} in
 *       a row trip instead (more where the calls before the run failed so often that such a
 *       run is likely by chance, see {@link BreakerConfig}). At 400 calls/s with 30% failing
 *       the default breaker never trips, and with 45% failing (the threshold is 50%) it
 *       opened twice in 300 s; at 400 calls/s a full outage of fast errors trips it in about
 *       0.2 s (20 ms calls), one where every call hangs about 0.35 s after the first timeout,
 *       at 2 calls/s after 5 failures.
 *   <li>{@link BreakerState#OPEN}: every call is rejected at once, without calling the
 *       dependency, for the open duration (1 s by default; doubles on a relapse in whose failed
 *       step no probe answered in twice the time the ramp's answers took, halves on one in
 *       whose step a probe answered; capped, jittered, reset by a full recovery). The first
 *       call after it turns the breaker half-open.
 *   <li>{@link BreakerState#HALF_OPEN}: the ramp. Step {@code k} admits the fraction
 *       {@code rampSteps[k]} of calls (deterministically: 1% admits the 1st, 101st, 201st...
 *       arrival) plus one probe whenever none is in flight and {@code probeInterval} passed since
 *       the last, or {@link BreakerConfig#HUNG_PROBE_INTERVALS} intervals passed (those in
 *       flight are taken to hang), so low traffic still makes progress. Probes are judged on
 *       failures only (a slow probe is a success): a step relapses when the
 *       continuity-corrected Wilson lower bound of its failure rate exceeds the threshold (5
 *       failures of 5 at one half); step 0 that fails without any success restarts in place
 *       (the dependency is still down: no new open event, no backoff growth), and its first
 *       success after failures moves to step 1. A step passes once it has
 *       {@code minProbesPerStep} judged probes, fewer than the threshold of them failed, and
 *       either the Wilson upper bound of the ramp's cumulative failure rate is below the
 *       threshold (early) or it has lasted {@code stepDuration}; passing the last step closes.
 *   <li>{@link BreakerState#FORCED_OPEN}, {@link BreakerState#DISABLED}: manual overrides,
 *       left by {@link #reset()}.
 * </ul>
 *
 * <h2>Permits</h2>
 * {@link #tryAcquire()} returns a permit token (the generation of the state that admitted the
 * call) or {@link #REJECTED}. The outcome methods take the token, so a call admitted in one
 * generation and finished in another (a slow call admitted while closed that ends during the
 * ramp) is counted in the totals but judged by nobody. Complete each permit exactly once, with
 * {@link #onSuccess}, {@link #onFailure} or {@link #onIgnore}; the token is a number, so a
 * second completion cannot be detected and would be counted twice.
 *
 * <h2>Cost</h2>
 * In the closed state, {@code tryAcquire} is one volatile read; an outcome is a few volatile
 * reads, one clock read (the rate rule is on by default) and one striped increment
 * ({@link LongAdder}), plus, with the adaptive threshold, one more read (a latency sample is
 * taken about once per millisecond); nothing allocates and nothing locks. Failures also
 * increment the consecutive-failure counter and judge the window: a scan of its bucket
 * snapshots (50 by default) and, near the threshold, one square root. The clock is the injected
 * {@link NanoClock}, by default {@link NanoClock#coarse()} (about 1 ms resolution); the wrappers
 * measure call durations with the same clock.
 *
 * <h2>Concurrency</h2>
 * The whole state is one immutable {@code Phase} object in a volatile field, replaced by
 * compare-and-set: each transition installs generation {@code g + 1} over generation {@code g},
 * so of two threads that see the same reason to transition exactly one wins, and side effects
 * (transition counters, listener events) run once, after the winning CAS. Per-generation
 * counters (consecutive failures, half-open probes) live in the phase, so a new generation
 * starts clean without resetting anything under concurrency. Counters of the sliding window are
 * cumulative striped adders (see {@code SlidingWindow}).
 *
 * <p>Thread-safety: safe for concurrent use by any number of threads.
 */
public final class CircuitBreaker implements Instrumented {

  /** Returned by {@link #tryAcquire()} when the call must not go to the dependency. */
  public static final long REJECTED = -1L;

  private static final VarHandle PHASE;

  static {
    try {
      PHASE = MethodHandles.lookup().findVarHandle(CircuitBreaker.class, "phase", Phase.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String name;
  private final BreakerConfig config;
  private final NanoClock clock;
  private final SlidingWindow window;
  private final TransitionLog log;

  // Rules, copied out of the config for the hot path.
  private final int consecutiveLimit;
  private final double failureRate;
  private final double slowRate;
  // The failure fraction that makes a ramp step relapse: the configured rate rule, or
  // BreakerConfig.DEFAULT_PROBE_FAILURE_RATE when none is configured.
  private final double probeFailureRate;
  private final boolean rateRules;
  private final boolean windowed;
  private final boolean adaptive;
  private final int minimumCalls;
  private final Predicate<Throwable> failureWhen;
  private final Predicate<Throwable> ignoreWhen;
  private final double[] ramp;
  private final long stepNanos;
  private final long probeIntervalNanos;
  private final long hungProbeNanos;
  private final int minProbes;
  private final long openNanos;
  private final long maxOpenNanos;
  private final double openMultiplier;
  private final double jitter;
  private final long nameHash;

  // Outcomes not judged by the closed window (half-open, disabled, stale permits).
  private final LongAdder otherSuccess = new LongAdder();
  private final LongAdder otherSlow = new LongAdder();
  private final LongAdder otherFailure = new LongAdder();
  private final LongAdder ignored = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder restarts = new LongAdder();
  private final LongAdder[] transitionsTo = new LongAdder[BreakerState.values().length];

  @SuppressWarnings("unused") // through PHASE
  private volatile Phase phase;

  private CircuitBreaker(String name, BreakerConfig config, List<BreakerListener> listeners) {
    this.name = name;
    this.config = config;
    this.clock = config.clock();
    long now = clock.nanoTime();
    this.window = new SlidingWindow(now, config.window().toNanos(), config.windowBuckets(),
        config.slowCallThreshold() == null ? 0L : config.slowCallThreshold().toNanos(),
        config.slowCallMultiple(), config.slowCallFloor().toNanos(),
        config.slowCallLearningPeriod().toNanos());
    this.consecutiveLimit = config.consecutiveFailures();
    this.failureRate = config.failureRateThreshold();
    this.slowRate = config.slowCallRateThreshold();
    this.probeFailureRate = failureRate > 0 ? failureRate : BreakerConfig.DEFAULT_PROBE_FAILURE_RATE;
    this.rateRules = failureRate > 0 || slowRate > 0;
    this.adaptive = config.adaptiveSlowCallThreshold();
    this.windowed = rateRules || adaptive;
    this.minimumCalls = config.minimumCalls();
    this.failureWhen = config.failureWhen();
    this.ignoreWhen = config.ignoreWhen();
    this.ramp = config.rampSteps().stream().mapToDouble(Double::doubleValue).toArray();
    this.stepNanos = config.stepDuration().toNanos();
    this.minProbes = config.minProbesPerStep();
    this.probeIntervalNanos = config.probeInterval().toNanos();
    this.hungProbeNanos = BreakerConfig.HUNG_PROBE_INTERVALS * probeIntervalNanos;
    this.openNanos = config.openDuration().toNanos();
    this.maxOpenNanos = config.maxOpenDuration().toNanos();
    this.openMultiplier = config.openDurationMultiplier();
    this.jitter = config.openJitter();
    this.nameHash = mix64(name.hashCode());
    for (int i = 0; i < transitionsTo.length; i++) {
      transitionsTo[i] = new LongAdder();
    }
    this.log = new TransitionLog(0L);
    for (BreakerListener l : listeners) {
      log.add(l);
    }
    this.phase = Phase.closed(0L, now, window.epochOf(now), 0L, 0L, 0L);
  }

  /**
   * Starts a builder for a breaker with the given name and the default configuration.
   *
   * @param name the breaker's name, used in messages and as the {@code name} metric tag
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  public static Builder builder(String name) {
    return new Builder(Checks.requireNonBlank("name", name));
  }

  /**
   * Creates a breaker with the given configuration.
   *
   * @param name the breaker's name
   * @param config the configuration
   * @return a new closed breaker
   * @throws IllegalArgumentException if {@code name} is null or blank or {@code config} null
   */
  public static CircuitBreaker of(String name, BreakerConfig config) {
    Checks.requireNonBlank("name", name);
    Checks.requireNonNull("config", config);
    return new CircuitBreaker(name, config, List.of());
  }

  // ---------------------------------------------------------------------------------------------
  // Permission

  /**
   * Asks whether a call may go to the dependency. On a permit, the caller must report the
   * call's outcome with exactly one of {@link #onSuccess}, {@link #onFailure},
   * {@link #onIgnore}.
   *
   * @return a permit token ({@code >= 0}), or {@link #REJECTED}
   */
  public long tryAcquire() {
    Phase p = (Phase) PHASE.getVolatile(this);
    if (p.state == BreakerState.CLOSED) {
      return p.generation;
    }
    return acquireSlow(p);
  }

  private long acquireSlow(Phase p) {
    while (true) {
      switch (p.state) {
        case CLOSED:
        case DISABLED:
          return p.generation;
        case FORCED_OPEN:
          rejected.increment();
          return REJECTED;
        case OPEN: {
          long now = clock.nanoTime();
          if (now - p.openUntil < 0) {
            rejected.increment();
            return REJECTED;
          }
          toHalfOpen(p, now);
          break;
        }
        case HALF_OPEN: {
          long now = clock.nanoTime();
          if (stepPassed(p, now)) {
            advance(p, now);
            break;
          }
          return admitProbe(p, now);
        }
        default:
          throw new AssertionError(p.state);
      }
      p = (Phase) PHASE.getVolatile(this);
    }
  }

  private long admitProbe(Phase p, long now) {
    double f = p.fraction;
    if (f >= 1.0) {
      return p.generation; // the last step admits everything: no shared counter to bump
    }
    long arrival = p.nextArrival();
    // Admits ceil(n * f) of the first n arrivals, spread evenly, the first one included.
    boolean admit = Math.ceil((arrival + 1) * f) > Math.ceil(arrival * f);
    if (admit) {
      p.soLastProbe(now);
      p.incrementInFlight();
      return p.generation;
    }
    long last = p.lvLastProbe();
    long since = now - last;
    if (since >= probeIntervalNanos
        && (p.lvInFlight() <= 0L || since >= hungProbeNanos)
        && p.casLastProbe(last, now)) {
      p.incrementInFlight();
      // Low-traffic progress: no probe in flight for a probe interval, or those in flight were
      // let in at least HUNG_PROBE_INTERVALS ago and are taken to hang.
      return p.generation;
    }
    rejected.increment();
    return REJECTED;
  }

  // ---------------------------------------------------------------------------------------------
  // Outcomes

  /**
   * Reports that a permitted call succeeded.
   *
   * @param permit the token from {@link #tryAcquire()}
   * @param durationNanos how long the call took, {@code >= 0}
   * @throws IllegalArgumentException if {@code permit} is {@link #REJECTED} (or negative) or
   *     {@code durationNanos} is negative
   */
  public void onSuccess(long permit, long durationNanos) {
    Phase p = (Phase) PHASE.getVolatile(this);
    if (permit == p.generation && p.state == BreakerState.CLOSED && durationNanos >= 0) {
      closedSuccess(p, durationNanos);
    } else {
      otherSuccess(p, permit, durationNanos);
    }
  }

  private void closedSuccess(Phase p, long durationNanos) {
    SlidingWindow w = window;
    long now = 0L;
    if (windowed) {
      now = clock.nanoTime();
      w.tick(now);
    }
    long threshold = w.slowThresholdNanos();
    boolean slow = durationNanos >= threshold;
    if (slow) {
      w.slowSuccess.increment();
    } else {
      w.fastSuccess.increment();
    }
    if (windowed) {
      w.offerLatency(now, slow ? threshold : durationNanos, durationNanos);
    }
    if (p.lvConsecutive() != 0L) {
      p.clearConsecutive();
    }
    if (slow && slowRate > 0
        && w.judge(p, minimumCalls, failureRate, slowRate, durationNanos, 0L, 0)
        == SlidingWindow.TRIP) {
      open(p, 0, 0);
    }
  }

  private void otherSuccess(Phase p, long permit, long durationNanos) {
    requirePermit(permit, durationNanos);
    boolean slow = durationNanos >= window.slowThresholdNanos();
    (slow ? otherSlow : otherSuccess).increment();
    if (adaptive && p.state != BreakerState.CLOSED) {
      // Keep learning outside the closed state, so a lasting shift is followed.
      long now = clock.nanoTime();
      window.tick(now);
      window.offerLatency(now, slow ? window.slowThresholdNanos() : durationNanos,
          durationNanos);
    }
    if (permit == p.generation && p.state == BreakerState.HALF_OPEN) {
      judgeProbe(p, false, durationNanos);
    }
  }

  /**
   * Reports that a permitted call failed. The throwable is classified first: an ignored one
   * makes this {@link #onIgnore}, one that is not a failure makes this {@link #onSuccess}.
   *
   * @param permit the token from {@link #tryAcquire()}
   * @param durationNanos how long the call took, {@code >= 0}
   * @param error what went wrong; null counts as a failure
   * @throws IllegalArgumentException if {@code permit} is {@link #REJECTED} (or negative) or
   *     {@code durationNanos} is negative
   */
  public void onFailure(long permit, long durationNanos, Throwable error) {
    if (error != null) {
      if (ignoreWhen.test(error)) {
        onIgnore(permit);
        return;
      }
      if (!failureWhen.test(error)) {
        onSuccess(permit, durationNanos);
        return;
      }
    }
    requirePermit(permit, durationNanos);
    Phase p = (Phase) PHASE.getVolatile(this);
    boolean slow = durationNanos >= window.slowThresholdNanos();
    if (permit == p.generation && p.state == BreakerState.CLOSED) {
      closedFailure(p, slow, durationNanos);
    } else {
      otherFailure.increment();
      if (permit == p.generation && p.state == BreakerState.HALF_OPEN) {
        judgeProbe(p, true, durationNanos);
      }
    }
  }

  private void closedFailure(Phase p, boolean slow, long durationNanos) {
    SlidingWindow w = window;
    if (windowed) {
      w.tick(clock.nanoTime());
    }
    w.failureNanos.add(durationNanos);
    (slow ? w.slowFailure : w.fastFailure).increment();
    long consecutive = p.incrementConsecutive();
    boolean trip;
    if (rateRules) {
      int verdict = w.judge(p, minimumCalls, failureRate, slowRate, durationNanos, consecutive,
          consecutiveLimit);
      // Consecutive failures only where the volume is too low for a rate, and a run that long
      // is no chance given the failures before it.
      trip = verdict == SlidingWindow.TRIP || verdict == SlidingWindow.LOW_VOLUME_RUN;
    } else {
      trip = consecutive >= consecutiveLimit;
    }
    if (trip) {
      open(p, 0, 0);
    }
  }

  /**
   * Reports that a permitted call counts for nothing (e.g. it was cancelled by the caller).
   *
   * @param permit the token from {@link #tryAcquire()}
   * @throws IllegalArgumentException if {@code permit} is {@link #REJECTED} (or negative)
   */
  public void onIgnore(long permit) {
    requirePermit(permit, 0L);
    ignored.increment();
    Phase p = (Phase) PHASE.getVolatile(this);
    if (permit == p.generation && p.state == BreakerState.HALF_OPEN) {
      p.decrementInFlight(); // no longer in flight, judged by nobody
    }
  }

  private static void requirePermit(long permit, long durationNanos) {
    // Test first, build the message only on failure: the checks box their value.
    if (permit < 0) {
      Checks.requireNonNegative("permit", permit);
    }
    if (durationNanos < 0) {
      Checks.requireNonNegative("durationNanos", durationNanos);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Half-open judging and transitions

  private void judgeProbe(Phase p, boolean failure, long durationNanos) {
    p.decrementInFlight();
    if (!failure) {
      p.recordAnswer(durationNanos);
    }
    long failures = failure ? p.incrementFailures() : p.lvFailures();
    long judged = p.incrementJudged();
    long successes = judged - failures;
    long now = clock.nanoTime();
    if (failure) {
      // Still down (step 0, no success yet): restarting in place costs nothing, so the plain
      // bound decides. A relapse reopens the breaker, so it takes the corrected one: near the
      // threshold, a short run of failures is no evidence.
      boolean stillDown = p.step == 0 && successes <= 0;
      double lower = stillDown
          ? wilsonLower(failures, judged, BreakerConfig.RELAPSE_Z)
          : wilsonLowerCorrected(failures, judged, BreakerConfig.RELAPSE_Z);
      if (lower > probeFailureRate) {
        if (stillDown) {
          // Still down: restart step 0 in place, no new open event, no backoff growth.
          if (install(p, Phase.halfOpen(p.generation + 1, now, p.relapses, p.backoff, 0,
              ramp[0], 0L, 0L, true, 0L))) {
            restarts.increment();
          }
        } else {
          // The open duration follows the evidence: a level down where a probe of the step
          // answered, a level up where none did in twice the time the ramp's answers took,
          // and where the step was younger than that, it stays: fast errors complete before
          // the answers of the probes that began with them.
          int backoff = successes > 0 ? Math.max(0, p.backoff - 1)
              : now - p.since >= 2L * p.answerNanos ? p.backoff + 1 : p.backoff;
          open(p, p.relapses + 1, backoff);
        }
        return;
      }
    } else if (p.step == 0 && (p.restarted || failures > 0) && ramp.length > 1) {
      advance(p, now); // the first success after failures: the dependency is back
      return;
    }
    if (stepPassed(p, now)) {
      advance(p, now);
    }
  }

  /** Wilson score interval lower bound of {@code k} failures in {@code n} trials. */
  static double wilsonLower(long k, long n, double z) {
    return wilson(k, n, z, -1.0);
  }

  /**
   * The continuity-corrected Wilson lower bound of {@code k} failures in {@code n} trials
   * (Newcombe 1998). Near the threshold of a small sample it errs as the exact binomial test
   * does: at z = 1.645 it takes 5 failures of 5 to exceed 0.5, where the uncorrected bound
   * exceeds it after 3 of 3 (a 12.5% chance for a dependency failing half its calls).
   */
  static double wilsonLowerCorrected(long k, long n, double z) {
    if (n <= 0 || k <= 0) {
      return 0.0;
    }
    double p = Math.min(1.0, (double) k / n);
    double z2 = z * z;
    double root = z2 - 2.0 - 1.0 / n + 4.0 * p * (n * (1.0 - p) + 1.0);
    double lower = (2.0 * n * p + z2 - 1.0 - z * Math.sqrt(Math.max(0.0, root)))
        / (2.0 * (n + z2));
    return Math.max(0.0, lower);
  }

  /** Wilson score interval upper bound of {@code k} failures in {@code n} trials. */
  static double wilsonUpper(long k, long n, double z) {
    return wilson(k, n, z, 1.0);
  }

  private static double wilson(long k, long n, double z, double sign) {
    if (n <= 0) {
      return sign < 0 ? 0.0 : 1.0;
    }
    double p = Math.min(1.0, Math.max(0.0, (double) k / n));
    double z2n = z * z / n;
    double centre = p + z2n / 2.0;
    double spread = z * Math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n));
    return (centre + sign * spread) / (1.0 + z2n);
  }

  private boolean stepPassed(Phase p, long now) {
    long judged = p.lvJudged();
    if (judged < minProbes) {
      return false;
    }
    long failures = p.lvFailures();
    if (failures >= probeFailureRate * judged) {
      return false; // the step's own probes fail too often, whatever came before
    }
    return now - p.since >= stepNanos
        || wilsonUpper(p.rampFailures + failures, p.rampJudged + judged, BreakerConfig.PASS_Z)
            < probeFailureRate; // healthy probes: pass early

  }

  /** From CLOSED (relapses 0) or HALF_OPEN (relapses + 1) to OPEN. */
  private void open(Phase from, int relapses, int backoff) {
    long now = clock.nanoTime();
    Phase next = Phase.open(from.generation + 1, now, openNanosFor(backoff), relapses, backoff);
    install(from, next);
  }

  private void toHalfOpen(Phase from, long now) {
    install(from, Phase.halfOpen(from.generation + 1, now, from.relapses, from.backoff, 0,
        ramp[0], 0L, 0L, false, 0L));
  }

  private void advance(Phase from, long now) {
    int step = from.step + 1;
    Phase next = step < ramp.length
        ? Phase.halfOpen(from.generation + 1, now, from.relapses, from.backoff, step, ramp[step],
            from.rampJudged + from.lvJudged(), from.rampFailures + from.lvFailures(), false,
            Math.max(from.answerNanos, from.lvAnswered()))
        : closedPhase(from.generation + 1, now);
    install(from, next);
  }

  private Phase closedPhase(long generation, long now) {
    return Phase.closed(generation, now, window.epochOf(now), window.calls(), window.failures(),
        window.slow());
  }

  long openNanosFor(int backoff) {
    double d = Math.min(openNanos * Math.pow(openMultiplier, backoff), maxOpenNanos);
    if (jitter > 0) {
      // Jitter from a mix of the clock reading and the name: spread across instances in
      // production, reproducible under a manual clock.
      double u = (mix64(clock.nanoTime() ^ nameHash) >>> 11) * 0x1.0p-53;
      d *= 1.0 + jitter * (2.0 * u - 1.0);
      d = Math.min(d, maxOpenNanos);
    }
    return Math.max(1L, (long) d);
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Installs {@code next} over {@code from}; on winning, counts and posts the event once. */
  private boolean install(Phase from, Phase next) {
    if (!PHASE.compareAndSet(this, from, next)) {
      return false; // another thread moved the breaker first; it posts its own event
    }
    // Same state, same step (a reset in place, step 0 restarted while still down): silent.
    boolean silent = from.state == next.state
        && (next.state != BreakerState.HALF_OPEN || from.step == next.step);
    if (from.state != next.state) {
      transitionsTo[next.state.ordinal()].increment();
    }
    log.post(this, new TransitionLog.Event(next.generation, from.state, next.state, next.step,
        next.fraction, silent));
    return true;
  }

  private void moveTo(BreakerState target) {
    while (true) {
      Phase p = (Phase) PHASE.getVolatile(this);
      if (target != BreakerState.CLOSED && p.state == target) {
        return;
      }
      long now = clock.nanoTime();
      Phase next = target == BreakerState.CLOSED
          ? closedPhase(p.generation + 1, now)
          : Phase.manual(target, p.generation + 1, now);
      if (install(p, next)) {
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Manual controls

  /**
   * Opens the breaker until {@link #reset()}: every call is rejected.
   */
  public void forceOpen() {
    moveTo(BreakerState.FORCED_OPEN);
  }

  /**
   * Disables the breaker until {@link #reset()}: every call is admitted and counted, nothing
   * trips.
   */
  public void disable() {
    moveTo(BreakerState.DISABLED);
  }

  /**
   * Closes the breaker with an empty window, a fresh consecutive-failure count and no relapse
   * history, whatever its state.
   */
  public void reset() {
    moveTo(BreakerState.CLOSED);
  }

  // ---------------------------------------------------------------------------------------------
  // Wrappers

  /**
   * Runs {@code callable} if the breaker admits it, timing it with the breaker's clock and
   * recording its outcome.
   *
   * @param <T> the result type
   * @param callable the call to the dependency
   * @return what {@code callable} returned
   * @throws CallNotPermittedException if the breaker rejects the call ({@code callable} is not
   *     run)
   * @throws Exception whatever {@code callable} threw, after recording it
   */
  public <T> T call(Callable<T> callable) throws Exception {
    Checks.requireNonNull("callable", callable);
    long permit = tryAcquire();
    if (permit == REJECTED) {
      throw rejection();
    }
    long start = clock.nanoTime();
    T result;
    try {
      result = callable.call();
    } catch (Throwable t) {
      onFailure(permit, elapsedSince(start), t);
      throw t;
    }
    onSuccess(permit, elapsedSince(start));
    return result;
  }

  /**
   * Runs {@code callable} if the breaker admits it; on rejection or on any exception, returns
   * what {@code fallback} makes of it (for example cached data while the breaker is open).
   * Errors ({@link Error}) are recorded and rethrown, not passed to the fallback.
   *
   * @param <T> the result type
   * @param callable the call to the dependency
   * @param fallback turns a {@link CallNotPermittedException} or the call's exception into a
   *     result
   * @return the call's result, or the fallback's
   * @throws IllegalArgumentException if an argument is null
   */
  public <T> T call(Callable<T> callable, Function<Throwable, T> fallback) {
    Checks.requireNonNull("callable", callable);
    Checks.requireNonNull("fallback", fallback);
    long permit = tryAcquire();
    if (permit == REJECTED) {
      return fallback.apply(rejection());
    }
    long start = clock.nanoTime();
    T result;
    try {
      result = callable.call();
    } catch (Exception e) {
      onFailure(permit, elapsedSince(start), e);
      return fallback.apply(e);
    } catch (Error e) {
      onFailure(permit, elapsedSince(start), e);
      throw e;
    }
    onSuccess(permit, elapsedSince(start));
    return result;
  }

  /**
   * Runs {@code supplier} if the breaker admits it, recording its outcome.
   *
   * @param <T> the result type
   * @param supplier the call to the dependency
   * @return what {@code supplier} returned
   * @throws CallNotPermittedException if the breaker rejects the call
   * @throws RuntimeException whatever {@code supplier} threw, after recording it
   */
  public <T> T get(Supplier<T> supplier) {
    Checks.requireNonNull("supplier", supplier);
    long permit = tryAcquire();
    if (permit == REJECTED) {
      throw rejection();
    }
    long start = clock.nanoTime();
    T result;
    try {
      result = supplier.get();
    } catch (Throwable t) {
      onFailure(permit, elapsedSince(start), t);
      throw t;
    }
    onSuccess(permit, elapsedSince(start));
    return result;
  }

  /**
   * Starts an asynchronous call if the breaker admits it, and records its outcome when the
   * stage completes. A cancelled stage counts as ignored.
   *
   * @param <T> the result type
   * @param supplier starts the call to the dependency
   * @return a stage that completes like the call's stage after its outcome was recorded, or a
   *     stage failed with {@link CallNotPermittedException} if the breaker rejects the call (the
   *     supplier is then not called), or failed with what the supplier threw
   * @throws IllegalArgumentException if {@code supplier} is null
   */
  public <T> CompletionStage<T> stage(Supplier<? extends CompletionStage<T>> supplier) {
    Checks.requireNonNull("supplier", supplier);
    long permit = tryAcquire();
    if (permit == REJECTED) {
      return CompletableFuture.failedFuture(rejection());
    }
    long start = clock.nanoTime();
    CompletionStage<T> stage;
    try {
      stage = supplier.get();
    } catch (RuntimeException e) {
      onFailure(permit, elapsedSince(start), e);
      return CompletableFuture.failedFuture(e);
    } catch (Error e) {
      onFailure(permit, elapsedSince(start), e); // complete the permit, then let it fly
      throw e;
    }
    if (stage == null) {
      NullPointerException npe = new NullPointerException("supplier returned a null stage");
      onFailure(permit, elapsedSince(start), npe);
      return CompletableFuture.failedFuture(npe);
    }
    return stage.whenComplete((value, error) -> {
      long duration = elapsedSince(start);
      if (error == null) {
        onSuccess(permit, duration);
      } else {
        Throwable cause = unwrap(error);
        if (cause instanceof CancellationException) {
          onIgnore(permit);
        } else {
          onFailure(permit, duration, cause);
        }
      }
    });
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private long elapsedSince(long start) {
    return Math.max(0L, clock.nanoTime() - start);
  }

  /**
   * Returns the exception a rejected call gets now: it names the breaker, its state and the time
   * left open. Used by the wrappers; callers of {@link #tryAcquire()} may use it too.
   *
   * @return a new exception, without a stack trace unless configured
   */
  public CallNotPermittedException rejection() {
    Phase p = (Phase) PHASE.getVolatile(this);
    long now = clock.nanoTime();
    String message;
    long retryAfter;
    BreakerState state = p.state;
    switch (state) {
      case OPEN:
        retryAfter = Math.max(0L, p.openUntil - now);
        message = "breaker '" + name + "' is OPEN, rejecting calls for another "
            + seconds(retryAfter) + (p.relapses > 0 ? " (relapse " + p.relapses + ")" : "");
        break;
      case FORCED_OPEN:
        retryAfter = openNanos;
        message = "breaker '" + name + "' is FORCED_OPEN until reset";
        break;
      case HALF_OPEN:
        retryAfter = Math.max(0L, p.since + stepNanos - now);
        message = "breaker '" + name + "' is HALF_OPEN, admitting " + percent(p.fraction)
            + " of calls (ramp step " + (p.step + 1) + " of " + ramp.length + ")";
        break;
      default:
        // Rejected a moment ago, the breaker has moved on since: report it as half-open.
        state = BreakerState.HALF_OPEN;
        retryAfter = 0L;
        message = "breaker '" + name + "' rejected the call while recovering (now "
            + p.state + ")";
        break;
    }
    return new CallNotPermittedException(name, state, message, retryAfter,
        config.rejectionStackTrace());
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static String percent(double fraction) {
    double pct = fraction * 100.0;
    return (pct == Math.rint(pct) ? Long.toString((long) pct)
        : String.format(Locale.ROOT, "%.2f", pct)) + "%";
  }

  // ---------------------------------------------------------------------------------------------
  // State

  /**
   * Returns the breaker's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the configuration.
   *
   * @return the configuration
   */
  public BreakerConfig config() {
    return config;
  }

  /**
   * Returns the current state. An expired open duration, or a ramp step whose time is up and
   * whose probes passed, is applied first, so the answer does not wait for the next call.
   *
   * @return the state
   */
  public BreakerState state() {
    return refresh().state;
  }

  /**
   * Returns the fraction of calls currently admitted: 1 when closed or disabled, 0 when open,
   * the ramp step's fraction when half-open.
   *
   * @return a fraction in [0, 1]
   */
  public double admittedFraction() {
    return refresh().fraction;
  }

  /**
   * Returns the index of the current ramp step (0-based), or -1 when not half-open.
   *
   * @return the step index
   */
  public int rampStep() {
    Phase p = refresh();
    return p.state == BreakerState.HALF_OPEN ? p.step : -1;
  }

  /**
   * Returns how long the breaker stays open; zero unless {@link BreakerState#OPEN}.
   *
   * @return the remaining open duration
   */
  public Duration remainingOpen() {
    Phase p = refresh();
    if (p.state != BreakerState.OPEN) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0L, p.openUntil - clock.nanoTime()));
  }

  /**
   * Returns the number of relapses since the last full recovery (0 when closed).
   *
   * @return relapses
   */
  public int relapses() {
    return refresh().relapses;
  }

  /**
   * Returns the slow-call threshold in use: the fixed one, or the learned one
   * ({@link Duration}'s maximum seconds while the adaptive estimate has no sample yet).
   *
   * @return the threshold
   */
  public Duration slowCallThreshold() {
    long t = window.slowThresholdNanos();
    return t == Long.MAX_VALUE ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofNanos(t);
  }

  private Phase refresh() {
    while (true) {
      Phase p = (Phase) PHASE.getVolatile(this);
      if (p.state == BreakerState.OPEN) {
        long now = clock.nanoTime();
        if (now - p.openUntil >= 0) {
          toHalfOpen(p, now);
          continue;
        }
      } else if (p.state == BreakerState.HALF_OPEN) {
        long now = clock.nanoTime();
        if (stepPassed(p, now)) {
          advance(p, now);
          continue;
        }
      }
      return p;
    }
  }

  /**
   * Returns successful calls that were not slow.
   *
   * @return the count since creation
   */
  public long successCount() {
    return window.fastSuccess.sum() + otherSuccess.sum();
  }

  /**
   * Returns successful calls at or above the slow-call threshold.
   *
   * @return the count since creation
   */
  public long slowCount() {
    return window.slowSuccess.sum() + otherSlow.sum();
  }

  /**
   * Returns failed calls (slow or not).
   *
   * @return the count since creation
   */
  public long failureCount() {
    return window.fastFailure.sum() + window.slowFailure.sum() + otherFailure.sum();
  }

  /**
   * Returns calls rejected without calling the dependency.
   *
   * @return the count since creation
   */
  public long rejectedCount() {
    return rejected.sum();
  }

  /**
   * Returns calls whose outcome was ignored.
   *
   * @return the count since creation
   */
  public long ignoredCount() {
    return ignored.sum();
  }

  /**
   * Returns how many transitions entered {@code state}.
   *
   * @param state the target state
   * @return the count since creation
   * @throws IllegalArgumentException if {@code state} is null
   */
  public long transitionCount(BreakerState state) {
    Checks.requireNonNull("state", state);
    return transitionsTo[state.ordinal()].sum();
  }

  // ---------------------------------------------------------------------------------------------
  // Listeners and metrics

  /**
   * Adds a listener, told about every later transition.
   *
   * @param listener the listener
   * @throws IllegalArgumentException if null
   */
  public void addListener(BreakerListener listener) {
    log.add(Checks.requireNonNull("listener", listener));
  }

  /**
   * Removes a listener.
   *
   * @param listener the listener
   * @return whether it was registered
   * @throws IllegalArgumentException if null
   */
  public boolean removeListener(BreakerListener listener) {
    return log.remove(Checks.requireNonNull("listener", listener));
  }

  /**
   * Declares the meters, all tagged {@code name}: {@code headroom.breaker.state} (a gauge per
   * {@code state}, 1 for the current one), {@code headroom.breaker.admitted.fraction},
   * {@code headroom.breaker.calls} (counters by {@code outcome}: success, failure, slow,
   * rejected, ignored), {@code headroom.breaker.transitions} (counters by target
   * {@code state}), {@code headroom.breaker.slow.threshold} (seconds) and
   * {@code headroom.breaker.relapses}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    MeterId state = MeterId.of("headroom.breaker.state").tag("name", name)
        .description("1 for the breaker's current state, 0 for the others");
    for (BreakerState s : BreakerState.values()) {
      sink.gauge(state.tag("state", s.tagValue()), () -> state() == s ? 1.0 : 0.0);
    }
    sink.gauge(MeterId.of("headroom.breaker.admitted.fraction").tag("name", name)
        .description("Fraction of calls admitted: 1 closed, 0 open, the ramp step half-open"),
        this::admittedFraction);
    MeterId calls = MeterId.of("headroom.breaker.calls").tag("name", name)
        .description("Calls by outcome");
    sink.counter(calls.tag("outcome", "success"), this::successCount);
    sink.counter(calls.tag("outcome", "failure"), this::failureCount);
    sink.counter(calls.tag("outcome", "slow"), this::slowCount);
    sink.counter(calls.tag("outcome", "rejected"), this::rejectedCount);
    sink.counter(calls.tag("outcome", "ignored"), this::ignoredCount);
    MeterId transitions = MeterId.of("headroom.breaker.transitions").tag("name", name)
        .description("Transitions by target state");
    for (BreakerState s : BreakerState.values()) {
      sink.counter(transitions.tag("state", s.tagValue()), () -> transitionCount(s));
    }
    sink.gauge(MeterId.of("headroom.breaker.slow.threshold").tag("name", name)
        .baseUnit("seconds").description("Slow-call threshold in use (fixed or learned)"),
        () -> {
          long t = window.slowThresholdNanos();
          return t == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : t / 1e9;
        });
    sink.gauge(MeterId.of("headroom.breaker.relapses").tag("name", name)
        .description("Relapses since the last full recovery"), () -> relapses());
  }

  /** Silent restarts of ramp step 0 (the dependency still down). For tests. */
  long restartCount() {
    return restarts.sum();
  }

  /** The current generation: the number of phase changes so far. For tests. */
  long generation() {
    return ((Phase) PHASE.getVolatile(this)).generation;
  }

  @Override
  public String toString() {
    Phase p = (Phase) PHASE.getVolatile(this);
    return "CircuitBreaker[" + name + ", " + p + "]";
  }

  /**
   * Builds a {@link CircuitBreaker}: the configuration setters of {@link BreakerConfig.Builder}
   * plus listeners.
   *
   * <p>Thread-safety: not thread-safe; confine a builder to one thread.
   */
  public static final class Builder {
    private final String name;
    private final BreakerConfig.Builder config = BreakerConfig.builder();
    private BreakerConfig base;
    private final java.util.ArrayList<BreakerListener> listeners = new java.util.ArrayList<>();

    Builder(String name) {
      this.name = name;
    }

    /**
     * Starts from a whole configuration, e.g. a registry's defaults; later setters override
     * single values.
     *
     * @param defaults the configuration
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if called twice or after another setter
     */
    public Builder config(BreakerConfig defaults) {
      Checks.requireNonNull("config", defaults);
      Checks.requireNotSet(base == null, "config", base);
      config.from(defaults);
      base = defaults;
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#consecutiveFailures(int)}.
     *
     * @param count failures in a row, {@code >= 0}; 0 turns the rule off
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder consecutiveFailures(int count) {
      config.consecutiveFailures(count);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#failureRateThreshold(double)}.
     *
     * @param rate in (0, 1], or 0 for off
     * @return this builder
     * @throws IllegalArgumentException if outside (0, 1] and not 0
     * @throws IllegalStateException if already set
     */
    public Builder failureRateThreshold(double rate) {
      config.failureRateThreshold(rate);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#slowCallRateThreshold(double)}.
     *
     * @param rate in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if outside (0, 1]
     * @throws IllegalStateException if already set
     */
    public Builder slowCallRateThreshold(double rate) {
      config.slowCallRateThreshold(rate);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#slowCallThreshold(Duration)}.
     *
     * @param threshold {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set or conflicting
     */
    public Builder slowCallThreshold(Duration threshold) {
      config.slowCallThreshold(threshold);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#adaptiveSlowCallThreshold(double, Duration)}.
     *
     * @param multiple {@code >= 1}
     * @param floor {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set or conflicting
     */
    public Builder adaptiveSlowCallThreshold(double multiple, Duration floor) {
      config.adaptiveSlowCallThreshold(multiple, floor);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#slowCallLearningPeriod(Duration)}.
     *
     * @param period {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder slowCallLearningPeriod(Duration period) {
      config.slowCallLearningPeriod(period);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#window(Duration, int)}.
     *
     * @param length {@code > 0}
     * @param buckets in [1, 1000]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder window(Duration length, int buckets) {
      config.window(length, buckets);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#minimumCalls(int)}.
     *
     * @param calls {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder minimumCalls(int calls) {
      config.minimumCalls(calls);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#openDuration(Duration)}.
     *
     * @param duration {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder openDuration(Duration duration) {
      config.openDuration(duration);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#relapseBackoff(double, Duration)}.
     *
     * @param multiplier {@code >= 1}
     * @param max {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder relapseBackoff(double multiplier, Duration max) {
      config.relapseBackoff(multiplier, max);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#openJitter(double)}.
     *
     * @param jitter in [0, 1)
     * @return this builder
     * @throws IllegalArgumentException if outside [0, 1)
     * @throws IllegalStateException if already set
     */
    public Builder openJitter(double jitter) {
      config.openJitter(jitter);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#rampSteps(double...)}.
     *
     * @param fractions increasing, each in (0, 1], ending at 1
     * @return this builder
     * @throws IllegalArgumentException if not a valid ramp
     * @throws IllegalStateException if already set
     */
    public Builder rampSteps(double... fractions) {
      config.rampSteps(fractions);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#rampStep(Duration, int)}.
     *
     * @param minDuration {@code > 0}
     * @param minProbes {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder rampStep(Duration minDuration, int minProbes) {
      config.rampStep(minDuration, minProbes);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#probeInterval(Duration)}.
     *
     * @param interval {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder probeInterval(Duration interval) {
      config.probeInterval(interval);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#failureWhen(Predicate)}.
     *
     * @param predicate which throwables are failures
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder failureWhen(Predicate<Throwable> predicate) {
      config.failureWhen(predicate);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#ignoreWhen(Predicate)}.
     *
     * @param predicate which throwables are ignored
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder ignoreWhen(Predicate<Throwable> predicate) {
      config.ignoreWhen(predicate);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#ignore(Class...)}.
     *
     * @param types the classes to ignore
     * @return this builder
     * @throws IllegalArgumentException if null, empty, or holding null
     * @throws IllegalStateException if already set
     */
    public Builder ignore(Class<?>... types) {
      config.ignore(types);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#failOn(Class...)}.
     *
     * @param types the failure classes
     * @return this builder
     * @throws IllegalArgumentException if null, empty, or holding null
     * @throws IllegalStateException if already set
     */
    public Builder failOn(Class<?>... types) {
      config.failOn(types);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#rejectionStackTrace(boolean)}.
     *
     * @param capture true to capture stack traces in rejections
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder rejectionStackTrace(boolean capture) {
      config.rejectionStackTrace(capture);
      return this;
    }

    /**
     * See {@link BreakerConfig.Builder#clock(NanoClock)}.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock clock) {
      config.clock(clock);
      return this;
    }

    /**
     * Adds a transition listener, registered before the breaker can transition.
     *
     * @param listener the listener
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder listener(BreakerListener listener) {
      listeners.add(Checks.requireNonNull("listener", listener));
      return this;
    }

    /**
     * Builds the breaker, closed.
     *
     * @return a new breaker
     * @throws IllegalArgumentException if a combination of values is out of range
     * @throws IllegalStateException if no trip rule is on, or the options conflict
     */
    public CircuitBreaker build() {
      return new CircuitBreaker(name, config.build(), List.copyOf(listeners));
    }
  }
}
