package dev.headroom.breaker;

import java.util.ArrayList;
import java.util.List;

/**
 * A small sequential reference model of the breaker's state machine, written from the contract
 * (not from the implementation's data structures): the closed window is a plain list of the
 * phase's judged calls with their time bucket, the ramp a few counters. Jitter must be off.
 *
 * <p>The contract modelled: rates judged with confidence over the newest buckets holding at
 * least {@code minimumCalls} calls and spanning at least a tenth of the window (the properties'
 * calls take at most 150 ms against 400 ms buckets, so the latency-aware parts of the
 * judgement, a span of twice the calls' latency and failures compared with the successes of
 * calls that began with them, reduce to this; {@code CohortProperties} and
 * {@code CircuitBreakerTest} cover them); consecutive failures only at low volume when a rate
 * rule is on; half-open probes judged on failures with Wilson bounds; step 0 restarted in place while
 * the dependency is still down; the first success after failures in step 0 moves to step 1; a
 * probe admitted every probe interval when none is in flight; backoff grows only on a relapse
 * without a successful probe in the failed step.
 */
final class BreakerModel {

  private final int limit;
  private final double failureRate;
  private final double slowRate;
  private final long slowNanos;
  private final int minimumCalls;
  private final long origin;
  private final long bucketNanos;
  private final int buckets;
  private final long openNanos;
  private final long maxOpenNanos;
  private final double multiplier;
  private final double[] ramp;
  private final long stepNanos;
  private final int minProbes;
  private final long probeInterval;

  BreakerState state = BreakerState.CLOSED;
  long generation;
  long since;
  long openUntil;
  int relapses;
  int backoff;
  int step;
  long consecutive;
  long arrivals;
  long judged;
  long probeFailures;
  long lastProbe;
  long inFlight;
  long rampJudged;
  long rampFailures;
  boolean restarted;
  /** The epoch in which the closed phase began. */
  long baseEpoch;
  /** The closed phase's judged calls: {epoch, failed, slow}. */
  final List<long[]> records = new ArrayList<>();
  long lastRolledEpoch = -1;

  long successes;
  long slowCalls;
  long failures;
  long rejected;
  long ignored;

  BreakerModel(BreakerConfig c, long createdAt) {
    this.limit = c.consecutiveFailures();
    this.failureRate = c.failureRateThreshold();
    this.slowRate = c.slowCallRateThreshold();
    this.slowNanos = c.slowCallThreshold().toNanos();
    this.minimumCalls = c.minimumCalls();
    this.origin = createdAt;
    this.bucketNanos = c.window().toNanos() / c.windowBuckets();
    this.buckets = c.windowBuckets();
    this.openNanos = c.openDuration().toNanos();
    this.maxOpenNanos = c.maxOpenDuration().toNanos();
    this.multiplier = c.openDurationMultiplier();
    this.ramp = c.rampSteps().stream().mapToDouble(Double::doubleValue).toArray();
    this.stepNanos = c.stepDuration().toNanos();
    this.minProbes = c.minProbesPerStep();
    this.probeInterval = c.probeInterval().toNanos();
    this.since = createdAt;
    if (c.openJitter() != 0.0) {
      throw new IllegalArgumentException("the model needs openJitter 0");
    }
  }

  private double threshold() {
    return failureRate > 0 ? failureRate : BreakerConfig.DEFAULT_PROBE_FAILURE_RATE;
  }

  double fraction() {
    return switch (state) {
      case CLOSED, DISABLED -> 1.0;
      case OPEN, FORCED_OPEN -> 0.0;
      case HALF_OPEN -> ramp[step];
    };
  }

  long remainingOpen(long now) {
    return state == BreakerState.OPEN ? Math.max(0L, openUntil - now) : 0L;
  }

  private void enter(BreakerState s, long now) {
    state = s;
    generation++;
    since = now;
    consecutive = 0;
    arrivals = 0;
    judged = 0;
    probeFailures = 0;
    inFlight = 0;
    lastProbe = now;
    step = 0;
    rampJudged = 0;
    rampFailures = 0;
    restarted = false;
    if (s == BreakerState.CLOSED) {
      records.clear();
      baseEpoch = epochOf(now);
    }
  }

  private void open(long now, int newRelapses, int newBackoff) {
    enter(BreakerState.OPEN, now);
    relapses = newRelapses;
    backoff = newBackoff;
    double d = Math.min(openNanos * Math.pow(multiplier, newBackoff), maxOpenNanos);
    openUntil = now + Math.max(1L, (long) d);
  }

  private void halfOpen(long now, int newStep, long priorJudged, long priorFailures,
      boolean restart) {
    int r = relapses;
    int b = backoff;
    enter(BreakerState.HALF_OPEN, now);
    relapses = r;
    backoff = b;
    step = newStep;
    rampJudged = priorJudged;
    rampFailures = priorFailures;
    restarted = restart;
  }

  private void close(long now) {
    enter(BreakerState.CLOSED, now);
    relapses = 0;
    backoff = 0;
  }

  private boolean stepPassed(long now) {
    if (judged < minProbes || probeFailures >= threshold() * judged) {
      return false;
    }
    return now - since >= stepNanos || CircuitBreaker.wilsonUpper(rampFailures + probeFailures,
        rampJudged + judged, BreakerConfig.PASS_Z) < threshold();
  }

  private void advance(long now) {
    if (step + 1 < ramp.length) {
      halfOpen(now, step + 1, rampJudged + judged, rampFailures + probeFailures, false);
    } else {
      close(now);
    }
  }

  void refresh(long now) {
    while (true) {
      if (state == BreakerState.OPEN && now - openUntil >= 0) {
        halfOpen(now, 0, 0, 0, false);
      } else if (state == BreakerState.HALF_OPEN && stepPassed(now)) {
        advance(now);
      } else {
        return;
      }
    }
  }

  long acquire(long now) {
    while (true) {
      switch (state) {
        case CLOSED, DISABLED -> {
          return generation;
        }
        case FORCED_OPEN -> {
          rejected++;
          return CircuitBreaker.REJECTED;
        }
        case OPEN -> {
          if (now - openUntil < 0) {
            rejected++;
            return CircuitBreaker.REJECTED;
          }
          halfOpen(now, 0, 0, 0, false);
        }
        case HALF_OPEN -> {
          if (stepPassed(now)) {
            advance(now);
            continue;
          }
          double f = ramp[step];
          if (f >= 1.0) {
            return generation;
          }
          long a = arrivals++;
          if (Math.ceil((a + 1) * f) > Math.ceil(a * f)) {
            lastProbe = now;
            inFlight++;
            return generation;
          }
          if (now - lastProbe >= probeInterval && inFlight <= 0) {
            lastProbe = now;
            inFlight++;
            return generation;
          }
          rejected++;
          return CircuitBreaker.REJECTED;
        }
        default -> throw new AssertionError(state);
      }
    }
  }

  private long epochOf(long now) {
    long elapsed = now - origin;
    return elapsed <= 0 ? 0L : elapsed / bucketNanos;
  }

  private static final int TRIP = 1;
  private static final int HEALTHY = 0;
  private static final int LOW_VOLUME = 2;

  /** Calls, failures, slow calls among the records of epoch {@code >= from}. */
  private long[] countFrom(long from) {
    long[] c = new long[3];
    for (long[] r : records) {
      if (r[0] >= from) {
        c[0]++;
        c[1] += r[1];
        c[2] += r[2];
      }
    }
    return c;
  }

  private int judgeWindow() {
    long start = lastRolledEpoch - buckets + 1;
    boolean phaseBase = baseEpoch >= start;
    long[] window = phaseBase ? countFrom(Long.MIN_VALUE) : countFrom(start);
    if (window[0] < minimumCalls) {
      return LOW_VOLUME;
    }
    // Snapshots exist at the start of each epoch in which a closed call was recorded.
    long newest = Long.MIN_VALUE;
    for (long[] r : records) {
      long e = r[0];
      if (e >= start && (!phaseBase || e > baseEpoch) && e > newest
          && e <= lastRolledEpoch - buckets / 10
          && countFrom(e)[0] >= minimumCalls) {
        newest = e;
      }
    }
    long[] judgedCalls = newest == Long.MIN_VALUE ? window : countFrom(newest);
    return reached(judgedCalls[1], judgedCalls[0], failureRate)
        || reached(judgedCalls[2], judgedCalls[0], slowRate) ? TRIP : HEALTHY;
  }

  private static boolean reached(long k, long n, double rate) {
    return rate > 0 && k >= rate * n
        && (k >= n || CircuitBreaker.wilsonLower(k, n, BreakerConfig.RELAPSE_Z) >= rate);
  }

  private void recordClosed(long now, boolean failed, boolean slow) {
    long e = epochOf(now);
    lastRolledEpoch = Math.max(lastRolledEpoch, e);
    records.add(new long[] {e, failed ? 1 : 0, slow ? 1 : 0});
  }

  void success(long permit, long duration, long now) {
    boolean slow = duration >= slowNanos;
    if (slow) {
      slowCalls++;
    } else {
      successes++;
    }
    if (permit == generation && state == BreakerState.CLOSED) {
      recordClosed(now, false, slow);
      consecutive = 0;
      if (slow && slowRate > 0 && judgeWindow() == TRIP) {
        open(now, 0, 0);
      }
    } else if (permit == generation && state == BreakerState.HALF_OPEN) {
      judge(false, now);
    }
  }

  void failure(long permit, long duration, long now) {
    boolean slow = duration >= slowNanos;
    failures++;
    if (permit == generation && state == BreakerState.CLOSED) {
      recordClosed(now, true, slow);
      consecutive++;
      boolean trip;
      if (failureRate > 0 || slowRate > 0) {
        int verdict = judgeWindow();
        trip = verdict == TRIP || (verdict == LOW_VOLUME && limit > 0 && consecutive >= limit);
      } else {
        trip = consecutive >= limit;
      }
      if (trip) {
        open(now, 0, 0);
      }
    } else if (permit == generation && state == BreakerState.HALF_OPEN) {
      judge(true, now);
    }
  }

  void ignore(long permit) {
    ignored++;
    if (permit == generation && state == BreakerState.HALF_OPEN) {
      inFlight--;
    }
  }

  private void judge(boolean failed, long now) {
    inFlight--;
    if (failed) {
      probeFailures++;
    }
    judged++;
    long stepSuccesses = judged - probeFailures;
    if (failed) {
      if (CircuitBreaker.wilsonLower(probeFailures, judged, BreakerConfig.RELAPSE_Z)
          > threshold()) {
        if (step == 0 && stepSuccesses <= 0) {
          halfOpen(now, 0, 0, 0, true); // still down: restart in place
        } else {
          open(now, relapses + 1, stepSuccesses <= 0 ? backoff + 1 : backoff);
        }
        return;
      }
    } else if (step == 0 && (restarted || probeFailures > 0) && ramp.length > 1) {
      advance(now);
      return;
    }
    if (stepPassed(now)) {
      advance(now);
    }
  }

  void forceOpen(long now) {
    if (state != BreakerState.FORCED_OPEN) {
      enter(BreakerState.FORCED_OPEN, now);
      relapses = 0;
      backoff = 0;
    }
  }

  void disable(long now) {
    if (state != BreakerState.DISABLED) {
      enter(BreakerState.DISABLED, now);
      relapses = 0;
      backoff = 0;
    }
  }

  void reset(long now) {
    close(now);
  }
}
