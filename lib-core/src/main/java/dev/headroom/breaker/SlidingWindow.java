package dev.headroom.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * The closed state's sliding time window, and the adaptive slow-call threshold learned from it.
 *
 * <p>Algorithm: nothing is ever reset. Outcomes of calls judged while closed go to four
 * cumulative striped counters ({@link LongAdder}s: fast success, slow success, fast failure,
 * slow failure), so a record is one uncontended striped increment, never a CAS on a shared
 * word; a failure also adds its latency to a striped sum, and about one success per
 * millisecond adds its latency to another (see {@link #offerLatency}), so that a failure can be
 * judged with the calls that began when it began (see {@link #judge}). Time is cut into epochs
 * of {@code bucketNanos}; the first record of a new epoch (the thread that wins the CAS on
 * {@code epoch}) writes a snapshot of the cumulative sums into the ring slot
 * {@code epoch % size}. The counts of the last {@code size} epochs are then the current sums
 * minus the snapshot taken at the start of the oldest epoch in the window, so a bucket never
 * needs clearing, and the reset race of classic bucket rings (a writer increments a
 * bucket while another thread zeroes it for a new epoch) cannot happen. Each increment is
 * counted exactly once in the cumulative sums; one that races with a snapshot lands on one side
 * of it or the other, which moves it between adjacent buckets and never loses it.
 *
 * <p>Races and memory orders:
 * <ul>
 *   <li>Recorders race with the roller only through {@code nextRoll} (a volatile read per record;
 *       written once per epoch, so the line stays shared and cheap) and {@code epoch} (CAS: one
 *       roller per epoch).
 *   <li>Ring slots are written under a per-slot sequence lock: the roller CASes the slot's epoch
 *       from its old value to BUSY, writes the counts and sums, then publishes the new epoch with a
 *       volatile write. Readers (failure evaluations) read epoch, counts, epoch (all volatile,
 *       hence totally ordered) and use the slot only when both epoch reads agree. A reader that
 *       finds no usable slot skips that evaluation; the next failure evaluates again.
 *   <li>Two rollers of different epochs only overlap if one stalls for a whole epoch; the slot
 *       CAS keeps them from writing the same slot at once, and the estimator fields they share
 *       are a benign race (one bucket's sample may be counted twice or dropped).
 * </ul>
 *
 * <p>Adaptive threshold: about one successful closed call per millisecond of clock time (the
 * first to see a new sampling slot, see {@link #offerLatency}) adds its latency, clipped at the
 * current threshold so that a slowdown can raise the estimate only gradually, to a striped sum
 * and a striped sample count. Each roll
 * folds the mean latency of the samples since the previous roll into an exponentially
 * weighted estimate with time constant {@code learningNanos}; the threshold is
 * {@code max(floor, multiple * estimate)}. Until a first sample exists the threshold is
 * {@link Long#MAX_VALUE} (nothing is slow), and that first sample is taken unclipped.
 */
final class SlidingWindow {

  static final long BUSY = Long.MIN_VALUE;
  static final long EMPTY = -1L;

  private static final VarHandle EPOCH;
  private static final VarHandle NEXT_ROLL;
  private static final VarHandle SAMPLE_SLOT;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      EPOCH = lookup.findVarHandle(SlidingWindow.class, "epoch", long.class);
      NEXT_ROLL = lookup.findVarHandle(SlidingWindow.class, "nextRoll", long.class);
      SAMPLE_SLOT = lookup.findVarHandle(SlidingWindow.class, "sampleSlot", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final LongAdder fastSuccess = new LongAdder();
  final LongAdder slowSuccess = new LongAdder();
  final LongAdder fastFailure = new LongAdder();
  final LongAdder slowFailure = new LongAdder();
  /** The summed latency of closed failures, to date each failure back to when its call began. */
  final LongAdder failureNanos = new LongAdder();
  private final LongAdder latencySamples = new LongAdder();
  private final LongAdder latencySum = new LongAdder();
  /** The sampled successes' latency, unclipped: their mean, to date successes back. */
  private final LongAdder rawLatencySum = new LongAdder();

  private final long origin;
  private final long bucketNanos;
  private final int size;
  private final Bucket[] ring;

  private final boolean adaptive;
  /**
   * The most buckets (before the current one) a rate must span: a tenth of the window. The
   * span asked of a judgement is shorter where calls are fast, see {@link #span}.
   */
  private final int maxSpan;
  private final double multiple;
  private final long floorNanos;
  private final long learningNanos;

  /** The current slow-call threshold: fixed, or written by the roller. */
  private volatile long slowThresholdNanos;
  @SuppressWarnings("unused") // through EPOCH
  private volatile long epoch = EMPTY;
  @SuppressWarnings("unused") // through NEXT_ROLL
  private volatile long nextRoll;
  @SuppressWarnings("unused") // through SAMPLE_SLOT
  private long sampleSlot = Long.MIN_VALUE;

  /**
   * The latency scale of recent outcomes: the larger of the mean failure latency and the mean
   * sampled success latency of the last epoch with outcomes, decaying by {@link #SCALE_DECAY}
   * per epoch otherwise; written by the roller, read by judgements.
   */
  private volatile double latencyScale;
  private long scaleFailures;
  private long scaleFailureNanos;
  private long scaleSamples;
  private long scaleLatency;
  private long scaleEpoch = EMPTY;

  /**
   * The failure rate of the completed calls, unshifted, at which a judgement trips whatever
   * the calls' start times say: a stream of completions that are nearly all failures is an
   * outage. Shifted alone, an outage where every call hangs opened the breaker 1.5 s after
   * the first timeouts at 400 calls/s with 200 blocked workers (the successes of the calls that
   * began before it weigh in for a span); with this rule, 0.3 s. The waves of hung calls'
   * timeouts that the shift is for read 55-77% failing, not 90.
   */
  static final double OUTAGE_RATE = 0.9;

  /** How the latency scale decays per epoch (200 ms by default: halved in about 0.6 s). */
  static final double SCALE_DECAY = 0.8;

  // Estimator state, touched only by the roller of an epoch (see the class comment).
  private long prevSamples;
  private long prevLatencySum;
  private long prevEpoch = EMPTY;
  private double estimateNanos = Double.NaN;

  SlidingWindow(long originNanos, long windowNanos, int buckets, long fixedThresholdNanos,
      double multiple, long floorNanos, long learningNanos) {
    this.origin = originNanos;
    this.size = buckets;
    this.bucketNanos = windowNanos / buckets;
    this.ring = new Bucket[buckets];
    this.maxSpan = Math.max(0, buckets / 10);
    for (int i = 0; i < buckets; i++) {
      ring[i] = new Bucket();
    }
    this.adaptive = fixedThresholdNanos <= 0;
    this.multiple = multiple;
    this.floorNanos = floorNanos;
    this.learningNanos = learningNanos;
    this.slowThresholdNanos = adaptive ? Long.MAX_VALUE : fixedThresholdNanos;
    this.nextRoll = originNanos;
  }

  long slowThresholdNanos() {
    return slowThresholdNanos;
  }

  /** The hot-path check: one volatile read and a compare, rolling only at an epoch boundary. */
  void tick(long now) {
    if (now - (long) NEXT_ROLL.getVolatile(this) >= 0) {
      roll(now);
    }
  }

  long epochOf(long now) {
    long elapsed = now - origin;
    return elapsed <= 0 ? 0L : elapsed / bucketNanos;
  }

  long currentEpoch() {
    return (long) EPOCH.getVolatile(this);
  }

  private void roll(long now) {
    long e = epochOf(now);
    long current = (long) EPOCH.getVolatile(this);
    if (e <= current || !EPOCH.compareAndSet(this, current, e)) {
      return; // another thread rolled to this epoch (or a later one)
    }
    // Won: this thread alone rolls epoch e (in the absence of an epoch-long stall).
    long fs = fastSuccess.sum();
    long ss = slowSuccess.sum();
    long ff = fastFailure.sum();
    long sf = slowFailure.sum();
    long samples = latencySamples.sum();
    long failed = failureNanos.sum();
    long raw = rawLatencySum.sum();
    ring[(int) (e % size)].write(e, fs + ss + ff + sf, ff + sf, ss + sf, failed, samples, raw);
    scale(e, ff + sf, failed, samples, raw);
    long next = origin + (e + 1) * bucketNanos;
    long seen;
    while ((seen = (long) NEXT_ROLL.getVolatile(this)) - next < 0
        && !NEXT_ROLL.compareAndSet(this, seen, next)) {
      // retry: keep nextRoll monotonic if rollers overlap
    }
    if (adaptive) {
      learn(e, samples, latencySum.sum());
    }
  }

  private void scale(long e, long failures, long failed, long samples, long raw) {
    long df = failures - scaleFailures;
    long ds = samples - scaleSamples;
    double observed = Math.max(df > 0 ? (double) (failed - scaleFailureNanos) / df : 0.0,
        ds > 0 ? (double) (raw - scaleLatency) / ds : 0.0);
    long elapsed = scaleEpoch == EMPTY ? 1L : Math.max(1L, e - scaleEpoch);
    latencyScale = Math.max(observed, latencyScale * Math.pow(SCALE_DECAY, elapsed));
    scaleFailures = failures;
    scaleFailureNanos = failed;
    scaleSamples = samples;
    scaleLatency = raw;
    scaleEpoch = e;
  }

  /**
   * The buckets (before the current one) a judgement's rate must span: twice the latency scale
   * of recent outcomes or of the outcome being judged, whichever is larger, in buckets, at least
   * one and at most a tenth of the window. Where calls take 20 ms, an outage of fast errors is
   * judged over about the newest 100 calls; where they take a second, over a second or more,
   * so that calls whose latencies smear them over several buckets are compared in bulk.
   */
  private int span(long latencyNanos) {
    double scale = Math.max(latencyScale, (double) latencyNanos);
    double buckets = Math.ceil(2.0 * scale / bucketNanos);
    return (int) Math.max(Math.min(1, maxSpan), Math.min(maxSpan, buckets));
  }

  private void learn(long e, long sampled, long latency) {
    long samples = sampled - prevSamples;
    long sum = latency - prevLatencySum;
    long elapsedEpochs = prevEpoch == EMPTY ? 1L : e - prevEpoch;
    prevSamples = sampled;
    prevLatencySum = latency;
    prevEpoch = e;
    if (samples <= 0) {
      return;
    }
    double mean = (double) sum / samples;
    if (Double.isNaN(estimateNanos)) {
      estimateNanos = mean;
    } else {
      double alpha = 1.0 - Math.exp(-(double) (elapsedEpochs * bucketNanos) / learningNanos);
      estimateNanos += alpha * (mean - estimateNanos);
    }
    double threshold = Math.max((double) floorNanos, multiple * estimateNanos);
    slowThresholdNanos = threshold >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) threshold;
  }

  /**
   * Offers a successful closed call's latency to the estimator (adaptive mode only). At most
   * about one call per {@code 2^}{@value #SAMPLE_SHIFT} ns (about 1 ms) of clock time is
   * sampled: the first one to see a new sampling slot. A busy breaker thus adds at most about a
   * thousand samples a second (plenty for a mean per bucket) while the per-call cost stays one
   * read of a line that changes at most once a millisecond; a quiet breaker samples nearly every
   * call. Benign race: two threads may both see a new slot and both sample it.
   *
   * @param now the clock reading of this record
   * @param clippedNanos the call's latency, clipped at the current threshold
   * @param latencyNanos the call's latency
   */
  void offerLatency(long now, long clippedNanos, long latencyNanos) {
    long slot = now >> SAMPLE_SHIFT;
    if (slot != (long) SAMPLE_SLOT.getOpaque(this)) {
      SAMPLE_SLOT.setOpaque(this, slot);
      latencySamples.increment();
      latencySum.add(clippedNanos);
      rawLatencySum.add(latencyNanos);
    }
  }

  /** Sampling slots are {@code 2^20} ns (about 1.05 ms) of clock time. */
  static final int SAMPLE_SHIFT = 20;

  boolean adaptive() {
    return adaptive;
  }

  long calls() {
    return fastSuccess.sum() + slowSuccess.sum() + fastFailure.sum() + slowFailure.sum();
  }

  long failures() {
    return fastFailure.sum() + slowFailure.sum();
  }

  long slow() {
    return slowSuccess.sum() + slowFailure.sum();
  }

  /** {@link #judge} verdict: a rate rule is reached. */
  static final int TRIP = 1;
  /** {@link #judge} verdict: the window holds enough calls and no rate rule is reached. */
  static final int HEALTHY = 0;
  /** {@link #judge} verdict: the window holds fewer than {@code minimumCalls} calls. */
  static final int LOW_VOLUME = 2;
  /**
   * {@link #judge} verdict: the window holds fewer than {@code minimumCalls} calls and the run
   * of failures is long enough to trip (see {@link #runNeeded}).
   */
  static final int LOW_VOLUME_RUN = 3;
  /**
   * How many times the run limit of calls before a low-volume run its chance is judged on:
   * the newest ones, so that a dependency failing often for a few seconds is judged by that,
   * not by the healthy calls that still fill the rest of the window.
   */
  static final int RUN_HISTORY = 4;

  /**
   * The run of failures that trips at low volume: {@code limit} where the window's calls before
   * the run failed rarely, longer where they failed so often that such a run is likely by
   * chance. A run of {@code L} failures at a background failure fraction {@code p} has a chance
   * of {@code p^L}; the run needed keeps it at most {@link BreakerConfig#LOW_VOLUME_RUN_CHANCE},
   * up to three times {@code limit}. A dependency failing 45% of 5 calls a second made 5
   * failures in a row every 15 s; it takes 12 now, while a healthy one's outage still trips
   * after 5.
   *
   * @param calls the calls judged (the newest {@link #RUN_HISTORY} times {@code limit} before
   *     the run and the run, or the window's if it holds fewer), the run's failures included
   * @param failures their failures, the run's included
   * @param run the failures in a row
   * @param limit the configured {@code consecutiveFailures}
   * @return the run that trips, {@code limit} to {@code 3 x limit}
   */
  static long runNeeded(long calls, long failures, long run, int limit) {
    long before = calls - run;
    long failedBefore = failures - run;
    if (before <= 0 || failedBefore <= 0) {
      return limit;
    }
    double p = Math.min(1.0, (double) failedBefore / before);
    long cap = 3L * limit;
    if (p >= 1.0) {
      return cap;
    }
    double needed = Math.ceil(Math.log(BreakerConfig.LOW_VOLUME_RUN_CHANCE) / Math.log(p));
    return Math.max(limit, Math.min(cap, (long) needed));
  }

  /**
   * Judges the rate rules, counting only calls since {@code phase} began. The rates are taken
   * over the newest buckets that together hold at least {@code minimumCalls} calls and span,
   * besides the current bucket, twice the latency of recent outcomes or of the one judged (at
   * least a bucket, at most a tenth of the window, see {@link #span}), so a busy window of fast
   * calls reacts within a fraction of a second and a quiet one still judges
   * {@code minimumCalls}. The span keeps a burst of timeouts, which reach the breaker together
   * when blocked callers saturate, from reading as a failure rate the dependency does not have:
   * judged over 100 calls alone, a dependency hanging 35% of calls at 400 calls/s tripped the
   * breaker and cost 6 points of goodput against a bare deadline in the simulator; a tenth of
   * the window for every call, fast or slow, made an outage of fast errors on 20 ms calls take
   * 0.6 s to trip the breaker instead of 0.2.
   *
   * <p>The failure rate compares calls that began together. Outcomes are counted when they
   * complete, and a timed-out call completes a deadline after it began, while a success
   * completes after its own latency: when the rate at which calls begin swings (blocked callers
   * that all free up and call again at once), the timeouts of a busy second meet the successes
   * of a quiet one, and a dependency hanging 40% of calls read as 55% failing in one second of
   * three and tripped the breaker (1.8 points of goodput below a bare deadline). So the
   * successes are taken over the span shifted back by the failures' mean latency less the
   * successes' (sampled, unclipped): the span of starts both
   * groups came from. Fast failures (a 503) shift nothing. The shift goes no further back than
   * the window (or the phase) holds a whole span of successes, and where fewer than
   * {@code minimumCalls} calls would be judged the failures are judged as they completed: a
   * 30 s timeout's shift lies beyond a 10 s window, and a span cut short, or one failure against
   * no success, would read as a failure rate the dependency does not have
   * ({@code CohortProperties}). The slow-call rate is judged unshifted. Allocation-free: the
   * snapshots are kept in locals.
   *
   * @param latencyNanos the latency of the outcome that asks for the judgement
   * @return {@link #TRIP}, {@link #HEALTHY}, or {@link #LOW_VOLUME} when the window (since the
   *     phase began) holds fewer than {@code minimumCalls} calls
   */
  int judge(Phase phase, int minimumCalls, double failureRate, double slowRate,
      long latencyNanos, long run, int runLimit) {
    int minSpan = span(latencyNanos);
    long current = currentEpoch();
    long start = current - size + 1;
    long ff = fastFailure.sum();
    long sf = slowFailure.sum();
    long ss = slowSuccess.sum();
    long nowCalls = fastSuccess.sum() + ss + ff + sf;
    long nowFailures = ff + sf;
    long nowSlow = ss + sf;
    boolean phaseBase = phase.baseEpoch >= start;
    long oldest = Long.MAX_VALUE;
    long baseCalls = phase.baseCalls;
    long baseFailures = phase.baseFailures;
    long baseSlow = phase.baseSlow;
    long baseFailureNanos = -1L;
    long baseSamples = -1L;
    long baseLatency = -1L;
    long newest = Long.MIN_VALUE;
    long refCalls = 0L;
    long refFailures = 0L;
    long refSlow = 0L;
    long refFailureNanos = 0L;
    long refSamples = 0L;
    long refLatency = 0L;
    // The newest buckets holding the run and RUN_HISTORY times the run limit before it: the
    // failure fraction a low-volume run is judged against.
    long runEpoch = Long.MIN_VALUE;
    long runCalls = 0L;
    long runFailures = 0L;
    for (Bucket b : ring) {
      long e1 = b.lvEpoch();
      if (e1 < 0 || e1 < start || e1 > current || (phaseBase && e1 <= phase.baseEpoch)) {
        continue;
      }
      long c = b.calls;
      long f = b.failures;
      long s = b.slow;
      long fn = b.failureNanos;
      long n = b.samples;
      long l = b.latency;
      if (b.lvEpoch() != e1) {
        continue; // being rewritten
      }
      if (e1 < oldest) {
        oldest = e1;
        if (!phaseBase) {
          baseCalls = c;
          baseFailures = f;
          baseSlow = s;
        }
        baseFailureNanos = fn;
        baseSamples = n;
        baseLatency = l;
      }
      if (e1 > newest && e1 <= current - minSpan && nowCalls - c >= minimumCalls) {
        newest = e1;
        refCalls = c;
        refFailures = f;
        refSlow = s;
        refFailureNanos = fn;
        refSamples = n;
        refLatency = l;
      }
      if (e1 > runEpoch && nowCalls - c >= run + RUN_HISTORY * (long) runLimit) {
        runEpoch = e1;
        runCalls = c;
        runFailures = f;
      }
    }
    if (!phaseBase && oldest == Long.MAX_VALUE) {
      return HEALTHY; // every slot is being rewritten: judge at the next outcome
    }
    if (nowCalls - baseCalls < minimumCalls) {
      if (runLimit <= 0 || run < runLimit) {
        return LOW_VOLUME;
      }
      long calls = runEpoch == Long.MIN_VALUE ? nowCalls - baseCalls : nowCalls - runCalls;
      long failures = runEpoch == Long.MIN_VALUE ? nowFailures - baseFailures
          : nowFailures - runFailures;
      return run >= runNeeded(calls, failures, run, runLimit) ? LOW_VOLUME_RUN : LOW_VOLUME;
    }
    long refEpoch = newest;
    if (newest == Long.MIN_VALUE) {
      refCalls = baseCalls;
      refFailures = baseFailures;
      refSlow = baseSlow;
      // The phase began after the oldest snapshot: its first snapshot (if any) stands in for
      // the latency sums at its start, a bucket's worth of latency early at most.
      refFailureNanos = baseFailureNanos;
      refSamples = baseSamples;
      refLatency = baseLatency;
      refEpoch = phaseBase ? phase.baseEpoch : oldest;
    }
    long calls = nowCalls - refCalls;
    long failures = nowFailures - refFailures;
    long slow = nowSlow - refSlow;
    if (reached(slow, calls, slowRate)) {
      return TRIP;
    }
    if (failures <= 0 || !(failureRate > 0)) {
      return HEALTHY;
    }
    long successes = calls - failures;
    if (reached(failures, calls, Math.max(failureRate, OUTAGE_RATE), BreakerConfig.RELAPSE_Z)) {
      return TRIP; // nearly every call completing fails: an outage, whenever they began
    }
    if (refFailureNanos >= 0) {
      long failureLatency = (failureNanos.sum() - refFailureNanos) / failures;
      long sampled = latencySamples.sum() - refSamples;
      long successLatency = refSamples >= 0 && sampled > 0
          ? (rawLatencySum.sum() - refLatency) / sampled : 0L;
      // No further back than the window (or the phase) holds a full span of successes: a
      // shifted span cut short would read as a higher failure rate (a 30 s timeout's shift
      // lies beyond a 10 s window, and would leave no successes at all).
      long earliest = phaseBase ? phase.baseEpoch + 1 : oldest;
      long shift = Math.min((failureLatency - successLatency) / bucketNanos, refEpoch - earliest);
      if (shift > 0) {
        long shifted = shiftedSuccesses(phase, phaseBase, start, current, refEpoch - shift,
            current - shift + 1, nowCalls - nowFailures);
        if (failures + shifted >= minimumCalls) {
          successes = shifted; // else too few began with them to judge: as they completed
        }
      }
    }
    return reached(failures, failures + successes, failureRate) ? TRIP : HEALTHY;
  }

  /**
   * The successes counted between the starts of epochs {@code from} and {@code to}, each
   * clamped into the ring and the phase: the cumulative count at the start of an epoch is the
   * snapshot of the first epoch at or after it that holds one (an epoch without a record has no
   * snapshot, and nothing was counted in it), or the current count when none does.
   */
  private long shiftedSuccesses(Phase phase, boolean phaseBase, long start, long current,
      long from, long to, long nowSuccesses) {
    long first = Long.MAX_VALUE;
    long firstValue = nowSuccesses;
    long last = Long.MAX_VALUE;
    long lastValue = nowSuccesses;
    for (Bucket b : ring) {
      long e1 = b.lvEpoch();
      if (e1 < 0 || e1 < start || e1 > current || (phaseBase && e1 <= phase.baseEpoch)) {
        continue;
      }
      long v = b.calls - b.failures;
      if (b.lvEpoch() != e1) {
        continue; // being rewritten
      }
      if (e1 >= from && e1 < first) {
        first = e1;
        firstValue = v;
      }
      if (e1 >= to && e1 < last) {
        last = e1;
        lastValue = v;
      }
    }
    long phaseSuccesses = phase.baseCalls - phase.baseFailures;
    if (phaseBase && from <= phase.baseEpoch) {
      firstValue = phaseSuccesses;
    }
    if (phaseBase && to <= phase.baseEpoch) {
      lastValue = phaseSuccesses;
    }
    return Math.max(0L, lastValue - firstValue);
  }

  /**
   * Whether {@code k} of {@code n} calls reach {@code rate} with confidence: the Wilson lower
   * bound (z = {@link BreakerConfig#TRIP_Z}) of the fraction is at least {@code rate}, or every
   * call counted. A raw ratio over the newest 100 calls of a dependency failing 35% of them
   * reaches 50% by chance every few seconds; the bound does not, while a full outage still trips
   * at once.
   */
  static boolean reached(long k, long n, double rate) {
    return reached(k, n, rate, BreakerConfig.TRIP_Z);
  }

  /**
   * As {@link #reached(long, long, double)} with the bound's {@code z}. The outage rule ({@link
   * #OUTAGE_RATE}) takes the one-sided 95% bound: no dependency failing below the threshold
   * comes near 90% by chance, however often it is judged.
   */
  static boolean reached(long k, long n, double rate, double z) {
    return rate > 0 && k >= rate * n
        && (k >= n || CircuitBreaker.wilsonLower(k, n, z) >= rate);
  }

  /**
   * One ring slot: a snapshot of the cumulative counts at the start of an epoch (calls,
   * failures, slow calls, the failures' summed latency, and the sampled successes' count and
   * summed latency).
   */
  static final class Bucket {
    private static final VarHandle SLOT_EPOCH;

    static {
      try {
        SLOT_EPOCH = MethodHandles.lookup().findVarHandle(Bucket.class, "epoch", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // through SLOT_EPOCH
    private volatile long epoch = EMPTY;
    volatile long calls;
    volatile long failures;
    volatile long slow;
    volatile long failureNanos;
    volatile long samples;
    volatile long latency;

    long lvEpoch() {
      return (long) SLOT_EPOCH.getVolatile(this);
    }

    void write(long e, long c, long f, long s, long fn, long n, long l) {
      long old = lvEpoch();
      if (old == BUSY || old >= e || !SLOT_EPOCH.compareAndSet(this, old, BUSY)) {
        return; // a later epoch owns the slot, or another roller is writing it
      }
      calls = c;
      failures = f;
      slow = s;
      failureNanos = fn;
      samples = n;
      latency = l;
      SLOT_EPOCH.setVolatile(this, e);
    }
  }
}
