package dev.headroom.breaker;

import java.util.ArrayList;
import java.util.List;

/**
 * A small sequential reference model of the breaker's state machine, written from the contract
 * (not from the implementation's data structures): the closed window is a plain list of the
 * phase's judged calls with their time bucket, the ramp a few counters. Jitter must be off.
 *
 * <p>The contract modelled: rates judged with confidence over the newest buckets holding at
 * least {@code minimumCalls} calls and spanning twice the calls' latency (the larger of a scale
 * read at each epoch's first record and the judged call's, one bucket to a tenth of the
 * window); failures compared with the successes of the calls that began with them (the
 * successes over the span shifted back by the failures' mean latency less the sampled
 * successes', no further back than the window or the phase holds, only where
 * {@code minimumCalls} calls are then judged), unless nearly all (90%) of the completed calls
 * failed; consecutive failures only at low volume when a
 * rate rule is on; half-open probes judged on failures with Wilson bounds; step 0 restarted in
 * place while the dependency is still down; the first success after failures in step 0 moves
 * to step 1; a probe admitted every probe interval when none is in flight; backoff falls a level
 * on a relapse with a successful probe in the failed step, grows a level on one without once
 * that step lasted twice the longest successful probe of the ramp's earlier steps, and stays
 * on one younger than that.
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
  /** Half-open: the longest successful probe of the ramp's earlier steps, and of this step. */
  long answerNanos;
  long stepAnswered;
  /** The epoch in which the closed phase began. */
  long baseEpoch;
  /** The closed phase's judged calls: {epoch, failed, slow, latency, sampled}. */
  final List<long[]> records = new ArrayList<>();
  long lastRolledEpoch = -1;
  /** The epochs in which any closed call was recorded, in any phase: the window's snapshots. */
  final java.util.TreeSet<Long> snapshotEpochs = new java.util.TreeSet<>();
  /** The sampling slot of the last sampled success ({@code now >> 20}). */
  long lastSampleSlot = Long.MIN_VALUE;
  /** Totals over every closed call, for the latency scale, and their values at the last roll. */
  long totalFailures;
  long totalFailureNanos;
  long totalSamples;
  long totalSampleNanos;
  long rolledFailures;
  long rolledFailureNanos;
  long rolledSamples;
  long rolledSampleNanos;
  long scaleEpoch = -1;
  /** The latency scale: see {@link #span}. */
  double scale;
  /** Judgements whose successes were taken over a shifted span (for coverage statistics). */
  long shiftedJudgements;

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
    halfOpen(now, newStep, priorJudged, priorFailures, restart, 0L);
  }

  private void halfOpen(long now, int newStep, long priorJudged, long priorFailures,
      boolean restart, long answer) {
    int r = relapses;
    int b = backoff;
    enter(BreakerState.HALF_OPEN, now);
    relapses = r;
    backoff = b;
    step = newStep;
    rampJudged = priorJudged;
    rampFailures = priorFailures;
    restarted = restart;
    answerNanos = answer;
    stepAnswered = 0L;
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
      halfOpen(now, step + 1, rampJudged + judged, rampFailures + probeFailures, false,
          Math.max(answerNanos, stepAnswered));
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
          if (now - lastProbe >= probeInterval && (inFlight <= 0
              || now - lastProbe >= BreakerConfig.HUNG_PROBE_INTERVALS * probeInterval)) {
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
  private static final int LOW_VOLUME_RUN = 3;

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

  private int judgeWindow(long latency) {
    long start = lastRolledEpoch - buckets + 1;
    boolean phaseBase = baseEpoch >= start;
    long[] window = phaseBase ? countFrom(Long.MIN_VALUE) : countFrom(start);
    if (window[0] < minimumCalls) {
      // A run of failures long enough to be no chance given the failures before it: among
      // the newest epochs holding the run and four times the limit, or the whole window.
      if (limit > 0 && consecutive >= limit) {
        long recent = Long.MIN_VALUE;
        for (long[] r : records) {
          long e = r[0];
          if (e >= start && (!phaseBase || e > baseEpoch) && e > recent
              && countFrom(e)[0] >= consecutive + 4L * limit) {
            recent = e;
          }
        }
        long[] judged = recent == Long.MIN_VALUE ? window : countFrom(recent);
        long before = judged[0] - consecutive;
        long failedBefore = judged[1] - consecutive;
        long needed = limit;
        if (before > 0 && failedBefore > 0) {
          double p = Math.min(1.0, (double) failedBefore / before);
          needed = p >= 1.0 ? 3L * limit : Math.max(limit, Math.min(3L * limit,
              (long) Math.ceil(Math.log(BreakerConfig.LOW_VOLUME_RUN_CHANCE) / Math.log(p))));
        }
        if (consecutive >= needed) {
          return LOW_VOLUME_RUN;
        }
      }
      return LOW_VOLUME;
    }
    // Snapshots exist at the start of each epoch in which a closed call was recorded.
    long span = span(latency);
    long newest = Long.MIN_VALUE;
    for (long[] r : records) {
      long e = r[0];
      if (e >= start && (!phaseBase || e > baseEpoch) && e > newest
          && e <= lastRolledEpoch - span
          && countFrom(e)[0] >= minimumCalls) {
        newest = e;
      }
    }
    long[] judgedCalls = newest == Long.MIN_VALUE ? window : countFrom(newest);
    if (reached(judgedCalls[2], judgedCalls[0], slowRate)) {
      return TRIP;
    }
    long failed = judgedCalls[1];
    if (failed <= 0 || !(failureRate > 0)) {
      return HEALTHY;
    }
    long n = judgedCalls[0];
    if (reached(failed, n, Math.max(failureRate, 0.9), BreakerConfig.RELAPSE_Z)) {
      return TRIP; // nearly every completed call failed: an outage, whenever they began
    }
    if (newest != Long.MIN_VALUE) {
      // Failures against the successes of the calls that began with them: the successes over
      // the span shifted back by the failures' mean latency less the sampled successes', no
      // further back than the window (or the phase) holds a whole span.
      long failureNanos = 0;
      long samples = 0;
      long sampleNanos = 0;
      for (long[] r : records) {
        if (r[0] >= newest && r[1] == 1) {
          failureNanos += r[3];
        } else if (r[0] >= newest && r[4] == 1) {
          samples++;
          sampleNanos += r[3];
        }
      }
      long successLatency = samples > 0 ? sampleNanos / samples : 0;
      Long oldest = snapshotEpochs.ceiling(start);
      long earliest = phaseBase ? baseEpoch + 1 : oldest;
      long shift = Math.min((failureNanos / failed - successLatency) / bucketNanos,
          newest - earliest);
      if (shift > 0) {
        long shifted = 0;
        for (long[] r : records) {
          if (r[1] == 0 && r[0] >= newest - shift && r[0] < lastRolledEpoch - shift + 1) {
            shifted++;
          }
        }
        if (failed + shifted >= minimumCalls) {
          n = failed + shifted;
          shiftedJudgements++;
        }
      }
    }
    return reached(failed, n, failureRate) ? TRIP : HEALTHY;
  }

  private static boolean reached(long k, long n, double rate) {
    return reached(k, n, rate, BreakerConfig.TRIP_Z);
  }

  private static boolean reached(long k, long n, double rate, double z) {
    return rate > 0 && k >= rate * n && (k >= n || CircuitBreaker.wilsonLower(k, n, z) >= rate);
  }

  private void recordClosed(long now, boolean failed, boolean slow, long latency) {
    long e = epochOf(now);
    if (e > lastRolledEpoch) {
      // The first record of an epoch: the latency scale reads what came since the last one.
      long df = totalFailures - rolledFailures;
      long ds = totalSamples - rolledSamples;
      double observed = Math.max(
          df > 0 ? (double) (totalFailureNanos - rolledFailureNanos) / df : 0.0,
          ds > 0 ? (double) (totalSampleNanos - rolledSampleNanos) / ds : 0.0);
      long elapsed = scaleEpoch < 0 ? 1 : Math.max(1, e - scaleEpoch);
      scale = Math.max(observed, scale * Math.pow(0.8, elapsed));
      rolledFailures = totalFailures;
      rolledFailureNanos = totalFailureNanos;
      rolledSamples = totalSamples;
      rolledSampleNanos = totalSampleNanos;
      scaleEpoch = e;
      lastRolledEpoch = e;
      snapshotEpochs.add(e);
    }
    boolean sampled = false;
    if (failed) {
      totalFailures++;
      totalFailureNanos += latency;
    } else if ((now >> 20) != lastSampleSlot) {
      // About one success per millisecond of clock time is sampled: the first of its slot.
      lastSampleSlot = now >> 20;
      sampled = true;
      totalSamples++;
      totalSampleNanos += latency;
    }
    records.add(new long[] {e, failed ? 1 : 0, slow ? 1 : 0, latency, sampled ? 1 : 0});
  }

  /**
   * The buckets a judged rate must span besides the current one: twice the larger of the
   * latency scale and the judged outcome's latency, at least one, at most a tenth of the window.
   */
  private long span(long latency) {
    long max = buckets / 10;
    double b = Math.ceil(2.0 * Math.max(scale, (double) latency) / bucketNanos);
    return (long) Math.max(Math.min(1, max), Math.min(max, b));
  }

  void success(long permit, long duration, long now) {
    boolean slow = duration >= slowNanos;
    if (slow) {
      slowCalls++;
    } else {
      successes++;
    }
    if (permit == generation && state == BreakerState.CLOSED) {
      recordClosed(now, false, slow, duration);
      consecutive = 0;
      if (slow && slowRate > 0 && judgeWindow(duration) == TRIP) {
        open(now, 0, 0);
      }
    } else if (permit == generation && state == BreakerState.HALF_OPEN) {
      stepAnswered = Math.max(stepAnswered, duration);
      judge(false, now);
    }
  }

  void failure(long permit, long duration, long now) {
    boolean slow = duration >= slowNanos;
    failures++;
    if (permit == generation && state == BreakerState.CLOSED) {
      recordClosed(now, true, slow, duration);
      consecutive++;
      boolean trip;
      if (failureRate > 0 || slowRate > 0) {
        int verdict = judgeWindow(duration);
        trip = verdict == TRIP || verdict == LOW_VOLUME_RUN;
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
      boolean stillDown = step == 0 && stepSuccesses <= 0;
      double lower = stillDown
          ? CircuitBreaker.wilsonLower(probeFailures, judged, BreakerConfig.RELAPSE_Z)
          : CircuitBreaker.wilsonLowerCorrected(probeFailures, judged, BreakerConfig.RELAPSE_Z);
      if (lower > threshold()) {
        if (stillDown) {
          halfOpen(now, 0, 0, 0, true); // still down: restart in place
        } else {
          // Down a level where a probe of the step answered, up a level where none did in
          // twice the time the ramp's answers took, unchanged in a step younger than that.
          int next = stepSuccesses > 0 ? Math.max(0, backoff - 1)
              : now - since >= 2L * answerNanos ? backoff + 1 : backoff;
          open(now, relapses + 1, next);
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
