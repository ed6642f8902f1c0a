package dev.headroom.breaker;

import java.util.ArrayList;
import java.util.List;

/**
 * A small sequential reference model of the breaker's state machine, written from the contract
 * (not from the implementation's data structures): the closed window is a plain list of the
 * phase's judged calls with their time bucket, the ramp a few counters. Jitter must be off.
 */
final class BreakerModel {

  private final int limit;
  private final double failureRate;

  private double probeFailureRate() {
    return failureRate > 0 ? failureRate : BreakerConfig.DEFAULT_PROBE_FAILURE_RATE;
  }
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
  int step;
  long consecutive;
  long arrivals;
  long judged;
  long probeFailures;
  long probeSlow;
  long lastProbe;
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
    this.probeInterval = Math.max(1L, stepNanos / minProbes);
    this.since = createdAt;
    if (c.openJitter() != 0.0) {
      throw new IllegalArgumentException("the model needs openJitter 0");
    }
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
    probeSlow = 0;
    lastProbe = now;
    step = 0;
    if (s == BreakerState.CLOSED) {
      records.clear();
    }
  }

  private void open(long now, int newRelapses) {
    enter(BreakerState.OPEN, now);
    relapses = newRelapses;
    double d = Math.min(openNanos * Math.pow(multiplier, newRelapses), maxOpenNanos);
    openUntil = now + Math.max(1L, (long) d);
  }

  private void halfOpen(long now, int newStep) {
    int r = relapses;
    enter(BreakerState.HALF_OPEN, now);
    relapses = r;
    step = newStep;
  }

  private void close(long now) {
    enter(BreakerState.CLOSED, now);
    relapses = 0;
  }

  private boolean stepPassed(long now) {
    return now - since >= stepNanos && judged >= minProbes;
  }

  private void advance(long now) {
    if (step + 1 < ramp.length) {
      halfOpen(now, step + 1);
    } else {
      close(now);
    }
  }

  void refresh(long now) {
    while (true) {
      if (state == BreakerState.OPEN && now - openUntil >= 0) {
        halfOpen(now, 0);
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
          halfOpen(now, 0);
        }
        case HALF_OPEN -> {
          if (stepPassed(now)) {
            advance(now);
            continue;
          }
          long a = arrivals++;
          double f = ramp[step];
          if (f >= 1.0 || Math.ceil((a + 1) * f) > Math.ceil(a * f)) {
            lastProbe = now;
            return generation;
          }
          if (now - lastProbe >= probeInterval) {
            lastProbe = now;
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

  private boolean rateReached() {
    long start = lastRolledEpoch - buckets + 1;
    long calls = 0;
    long failed = 0;
    long slow = 0;
    for (long[] r : records) {
      if (r[0] >= start) {
        calls++;
        failed += r[1];
        slow += r[2];
      }
    }
    if (calls < minimumCalls) {
      return false;
    }
    return (failureRate > 0 && failed >= failureRate * calls)
        || (slowRate > 0 && slow >= slowRate * calls);
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
      if (slow && slowRate > 0 && rateReached()) {
        open(now, 0);
      }
    } else if (permit == generation && state == BreakerState.HALF_OPEN) {
      judge(false, slow, now);
    }
  }

  void failure(long permit, long duration, long now) {
    boolean slow = duration >= slowNanos;
    failures++;
    if (permit == generation && state == BreakerState.CLOSED) {
      recordClosed(now, true, slow);
      consecutive++;
      if ((limit > 0 && consecutive >= limit)
          || ((failureRate > 0 || slowRate > 0) && rateReached())) {
        open(now, 0);
      }
    } else if (permit == generation && state == BreakerState.HALF_OPEN) {
      judge(true, slow, now);
    }
  }

  void ignore() {
    ignored++;
  }

  private void judge(boolean failed, boolean slow, long now) {
    if (failed) {
      probeFailures++;
      consecutive++;
    } else {
      consecutive = 0;
    }
    if (slow) {
      probeSlow++;
    }
    judged++;
    boolean violated = (limit > 0 && failed && consecutive >= limit)
        || (judged >= minProbes && (probeFailures >= probeFailureRate() * judged
            || (slowRate > 0 && probeSlow >= slowRate * judged)));
    if (violated) {
      open(now, relapses + 1);
    } else if (stepPassed(now)) {
      advance(now);
    }
  }

  void forceOpen(long now) {
    if (state != BreakerState.FORCED_OPEN) {
      enter(BreakerState.FORCED_OPEN, now);
      relapses = 0;
    }
  }

  void disable(long now) {
    if (state != BreakerState.DISABLED) {
      enter(BreakerState.DISABLED, now);
      relapses = 0;
    }
  }

  void reset(long now) {
    close(now);
  }
}
