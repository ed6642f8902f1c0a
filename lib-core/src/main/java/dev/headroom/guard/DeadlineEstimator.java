package dev.headroom.guard;

import dev.headroom.core.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The adaptive deadline: a high percentile of recent successful latency times a headroom, kept
 * within a floor and a ceiling.
 *
 * <p>Algorithm. Successful latencies go into a log histogram with 16 buckets per octave (relative
 * bucket width at most 1/16, so about 6% resolution), held in two generations: the current one
 * takes new samples, the previous one is still read. A generation closes once it is a
 * {@code window} old and holds {@link #MIN_SAMPLES} successes, or once it is
 * {@link #MAX_AGE_WINDOWS} windows old, so the estimate covers one to two windows at a busy
 * caller's rate and a thousand successes or more down to about 17 a second. At most once per
 * {@link #PERIOD_NANOS} the deadline is recomputed from both generations by whichever thread
 * wins a CAS on {@code nextRecompute} (which also closes the generation when due); inside the
 * bucket that holds the wanted rank the value is interpolated linearly. With fewer
 * than {@link #MIN_SAMPLES} samples the deadline is the ceiling. Calls cut short by the
 * deadline in force and successes are counted, and decided on once they are {@link #MIN_EVIDENCE}
 * (one 100 ms period at 100 calls/s, several at lower rates, at most {@link #EVIDENCE_NANOS}):
 * when calls were cut and either an explorer answered slower than the deadline in force or at
 * least twice as many were cut as succeeded, and that many is surprising against the smoothed
 * cut share ({@link #SURPRISE}, so that a steady share of hung calls does not do it by
 * chance), the histogram describes a normal that is gone (the step from 20 to 800 ms), so it
 * is emptied and the deadline is the ceiling until the new normal has {@link #MIN_SAMPLES}
 * samples of its own. A run of cut calls with no success between them does the same at once,
 * without waiting for the period (a run counter, written by a success only when a cut came
 * before it); its length is read from the cut share, 7 where none are cut, up to
 * {@link #CUTS_IN_A_ROW} where 40% hang ({@link #runLimit}). A rise smaller than a step (10 to
 * 20 ms) cuts fewer calls than that, and the histogram, which holds only what answered within
 * the deadline, cannot see it: when successes crowd the top band, between the deadline divided
 * by the headroom and the deadline, more often than the percentile allows ({@link
 * #BAND_ALPHA}) while calls are cut, the cut calls are counted at the deadline and it rises by
 * the headroom per period. Once every {@code exploreInterval}, and at most once in
 * {@link #EXPLORE_CALLS} outcomes, one call (the CAS winner on {@code nextExplore}) is given
 * the ceiling, so that a slower new normal is still observed where fewer calls are cut.
 *
 * <p>Races. {@link #recordSuccess} increments one {@link AtomicLongArray} cell (plain atomic
 * add, no lock, no allocation). Rotation is done by the thread that wins the CAS on
 * {@code generationStart}: it clears the older array and then publishes it as current with a
 * release store. A sample recorded concurrently by a thread that read the old index may land in
 * the array being cleared and be lost, or survive the clear: a benign race that moves one sample
 * among thousands. The recompute reads cells with plain volatile gets while other threads add to
 * them, so its sum is a moment's approximation; it never writes the cells. {@code deadlineNanos}
 * is a volatile long written only by the recompute winner and read by everyone. The run of cuts
 * empties the histogram after winning the same CAS; a recompute that won it a moment before may
 * still publish a deadline read from the old samples, and the next period's recompute, finding
 * the histogram empty, restores the ceiling: the step is then read 100 ms later, as before.
 *
 * <p>No allocation after construction.
 */
final class DeadlineEstimator {

  /** Fewer successes than this in the two generations: the deadline is the ceiling. */
  static final int MIN_SAMPLES = 1000;
  /**
   * The most windows one histogram generation lives, however few successes it holds: at 10 s,
   * a minute, so the two generations cover at most two minutes of a slow caller's successes.
   */
  static final int MAX_AGE_WINDOWS = 6;
  /** The deadline is recomputed at most this often. */
  static final long PERIOD_NANOS = 100_000_000L;
  /** The outcomes (successes and cut calls) a decision about the histogram waits for. */
  static final int MIN_EVIDENCE = 10;
  /** The longest the outcomes of successive periods add up before they are decided on. */
  static final long EVIDENCE_NANOS = 5_000_000_000L;
  /**
   * The most cut calls in a row, with no success between them, that empty the histogram at
   * once instead of at the next period: a step of the dependency's latency past the deadline.
   * A share {@code h} of hung calls does it by chance with probability {@code h^20} per call
   * (about one in a hundred million calls at 40%). Fewer where fewer calls are cut: see
   * {@link #runLimit}.
   */
  static final int CUTS_IN_A_ROW = 20;
  /** The chance per call of a run of cut calls by chance that {@link #runLimit} allows. */
  static final double RUN_CHANCE = 1e-8;
  /**
   * Successes in the top band, between the deadline divided by the headroom and the deadline,
   * that with cut calls in the same evidence mark a rise of the normal smaller than a step. At
   * a steady normal about 1 success in 1000 falls in the band.
   */
  static final int MIN_BAND = 2;
  /**
   * How unlikely the band's count must be at a steady normal, where about a share {@code 1 -
   * percentile} of successes falls in it, before it raises the deadline: a Poisson tail. At
   * 400 calls/s a steady normal crosses it 2 to 10 times an hour (measured, with 0 and 40% of
   * calls hanging), each a raise by the headroom that new samples wear off within a window: a
   * missed rise costs cut calls, a false one a little more waiting on hung ones.
   */
  static final double BAND_ALPHA = 1e-3;
  /**
   * The fewest outcomes per explorer: where {@code exploreInterval} would give more than one call
   * in this many the ceiling, explorers come this many outcomes apart instead (at most
   * {@link #EXPLORE_MAX_NANOS}).
   */
  static final int EXPLORE_CALLS = 20;
  /** The longest interval between explorers that a low rate stretches it to. */
  static final long EXPLORE_MAX_NANOS = 10_000_000_000L;
  /** The gain of the smoothed cut share per decision: about 20 decisions (2 s at 100/s). */
  static final double CUT_SHARE_GAIN = 0.05;
  /**
   * How unlikely a batch of mostly cut calls must be at the smoothed cut share before it
   * empties the histogram: a binomial tail.
   */
  static final double SURPRISE = 1e-6;

  private static final int SUB_BITS = 4;
  private static final int SUB = 1 << SUB_BITS;
  private static final int BUCKETS = (64 - SUB_BITS) * SUB;

  private static final VarHandle GENERATION_START;
  private static final VarHandle NEXT_RECOMPUTE;
  private static final VarHandle NEXT_EXPLORE;
  private static final VarHandle CUT_RUN;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      GENERATION_START = l.findVarHandle(DeadlineEstimator.class, "generationStart", long.class);
      NEXT_RECOMPUTE = l.findVarHandle(DeadlineEstimator.class, "nextRecompute", long.class);
      NEXT_EXPLORE = l.findVarHandle(DeadlineEstimator.class, "nextExplore", long.class);
      CUT_RUN = l.findVarHandle(DeadlineEstimator.class, "cutRun", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final NanoClock clock;
  private final double percentile;
  private final double headroom;
  private final long floorNanos;
  private final long ceilingNanos;
  private final long windowNanos;
  private final long maxAgeNanos;
  private final long exploreNanos;
  /**
   * The interval between explorers in force: {@code exploreInterval}, or the time
   * {@link #EXPLORE_CALLS} outcomes take at the rate last decided on, if longer.
   */
  private volatile long exploreEvery;
  private final AtomicLongArray[] generations = {
      new AtomicLongArray(BUCKETS), new AtomicLongArray(BUCKETS)};
  /**
   * The evidence counters: [0] successes, [1] cut calls, [2] successes slower than the deadline
   * in force (an explorer's, given the ceiling: proof that cut calls would have answered), [3]
   * successes within the top band, slower than the deadline divided by the headroom.
   */
  private final AtomicLongArray period = new AtomicLongArray(4);

  private volatile int current;
  private volatile long generationStart;
  /**
   * When the histogram was last emptied (the ceiling published): a call cut that began before
   * it under a shorter deadline is not counted.
   */
  private volatile long forgotAt;
  private volatile long nextRecompute;
  private volatile long nextExplore;
  private volatile long deadlineNanos;
  /**
   * The lower edge of the top band: the deadline in force divided by the headroom, that is the
   * percentile the deadline was built on. Written with {@code deadlineNanos}.
   */
  private volatile long bandNanos;
  /** Counted cuts since the last success. */
  private volatile int cutRun;
  /**
   * When the outcomes now in {@code period} began to add up. Written only by recompute winners
   * (volatile: successive winners are different threads).
   */
  private volatile long evidenceStart;
  /**
   * The band's evidence, added up over decisions until it is decided on or a window old:
   * successes, successes in the top band, cut calls, and when it began. Written only by
   * recompute winners.
   */
  private volatile long bandSuccesses;
  private volatile long bandCount;
  private volatile long bandCut;
  private volatile long bandStart;
  /**
   * The smoothed share of cut calls over decisions (gain {@link #CUT_SHARE_GAIN}), against
   * which a batch of mostly cut calls must be surprising. Written only by recompute winners.
   */
  private volatile double cutShare;
  /** Cut calls in a row that empty the histogram at once: see {@link #runLimit(double)}. */
  private volatile int runLimit = CUTS_IN_A_ROW;

  DeadlineEstimator(DeadlinePolicy policy, NanoClock clock) {
    this.clock = clock;
    this.percentile = policy.percentile();
    this.headroom = policy.headroom();
    this.floorNanos = policy.floor().toNanos();
    this.ceilingNanos = policy.ceiling().toNanos();
    this.windowNanos = policy.window().toNanos();
    this.maxAgeNanos = MAX_AGE_WINDOWS * windowNanos;
    this.exploreNanos = policy.exploreInterval().toNanos();
    this.exploreEvery = exploreNanos;
    long now = clock.nanoTime();
    this.generationStart = now;
    this.forgotAt = now;
    this.nextRecompute = now + PERIOD_NANOS;
    this.evidenceStart = now;
    this.bandStart = now;
    this.nextExplore = now + exploreNanos;
    this.deadlineNanos = ceilingNanos;
    this.bandNanos = ceilingNanos;
  }

  long ceilingNanos() {
    return ceilingNanos;
  }

  long floorNanos() {
    return floorNanos;
  }

  /** The cut calls counted in a row so far (a success resets it). */
  int cutRun() {
    return cutRun;
  }

  /** The cut calls in a row that empty the histogram at once, as last decided. */
  long cutsInARow() {
    return runLimit;
  }

  /**
   * The deadline as last recomputed, without recomputing: what a reader outside the call path
   * (a gauge, a trace) sees, so that reading it never moves the recompute schedule.
   */
  long lastDeadlineNanos() {
    return deadlineNanos;
  }

  /** The deadline in force now, recomputed first if a period has passed. */
  long deadlineNanos(long now) {
    maybeRecompute(now);
    return deadlineNanos;
  }

  /**
   * The deadline for one call starting now: the ceiling for the one explorer per interval,
   * otherwise {@link #deadlineNanos(long)}.
   */
  long deadlineForCall(long now) {
    long d = deadlineNanos(now);
    long next = (long) NEXT_EXPLORE.getOpaque(this);
    if (now - next >= 0 && d < ceilingNanos
        && NEXT_EXPLORE.compareAndSet(this, next, now + exploreEvery)) {
      return ceilingNanos;
    }
    return d;
  }

  /** Records a successful call's latency. */
  void recordSuccess(long latencyNanos, long now) {
    rotateIfDue(now);
    generations[current].getAndIncrement(index(Math.max(0L, latencyNanos)));
    period.getAndIncrement(0);
    if (cutRun != 0) {
      cutRun = 0; // written only when a cut came before: no shared write in the steady state
    }
    if (latencyNanos > bandNanos) {
      period.getAndIncrement(latencyNanos > deadlineNanos ? 2 : 3);
    }
  }

  /**
   * Records that the deadline cut a call short. A call cut at (or above) the deadline in force
   * counts, and so does one that began after the histogram was last emptied (its start is the
   * cut less its deadline); one that began before, under the old normal's shorter deadline,
   * would empty the histogram again just after it was emptied and the deadline raised to the
   * ceiling. Counting only the first kind hid every cut while the deadline rose: a call cut
   * under the deadline of its start found a higher one in force, and in a latency that drifted
   * from 20 to 800 ms over 20 s the guard served 88% of the drift at 50 calls/s where a bare
   * deadline served 99% (now 98%).
   *
   * @param timeoutNanos the deadline the call was given
   * @param now the time of the cut
   */
  void recordCut(long timeoutNanos, long now) {
    rotateIfDue(now);
    if (timeoutNanos >= deadlineNanos || now - timeoutNanos - forgotAt >= 0) {
      period.getAndIncrement(1);
      if ((int) CUT_RUN.getAndAdd(this, 1) + 1 >= runLimit && deadlineNanos < ceilingNanos) {
        forgetNowIfFirst(now);
      }
    }
  }

  /**
   * After {@link #CUTS_IN_A_ROW} cuts in a row: the recompute winner of this moment empties the
   * histogram without waiting for the period to end, and the evidence starts over.
   */
  private void forgetNowIfFirst(long now) {
    long next = nextRecompute;
    if (NEXT_RECOMPUTE.compareAndSet(this, next, now + PERIOD_NANOS)) {
      period.set(0, 0L);
      period.set(1, 0L);
      period.set(2, 0L);
      evidenceStart = now;
      cutRun = 0;
      forget(now);
    }
  }

  /** On the record paths: only the age cap, so that a record costs one volatile read here. */
  private void rotateIfDue(long now) {
    long start = generationStart;
    if (now - start >= maxAgeNanos) {
      rotate(start, now); // kept out of line: the caller stays small enough to inline
    }
  }

  /**
   * At a recompute: the current generation closes once it is a window old and holds
   * {@link #MIN_SAMPLES} successes, or once it is {@link #MAX_AGE_WINDOWS} windows old. Closing
   * it by time alone left a caller of fewer than 50 successes a second with fewer than a
   * thousand samples in both generations, and so with the ceiling; now the histogram holds a
   * thousand down to about 17 a second, over up to twelve windows.
   */
  private void closeGenerationIfDue(long now) {
    long start = generationStart;
    long age = now - start;
    if (age >= maxAgeNanos) {
      rotate(start, now);
    } else if (age >= windowNanos) {
      AtomicLongArray g = generations[current];
      long count = 0;
      for (int i = 0; i < BUCKETS && count < MIN_SAMPLES; i++) {
        count += g.get(i);
      }
      if (count >= MIN_SAMPLES) {
        rotate(start, now);
      }
    }
  }

  private void rotate(long start, long now) {
    if (GENERATION_START.compareAndSet(this, start, now)) {
      int older = 1 - current;
      AtomicLongArray g = generations[older];
      for (int i = 0; i < BUCKETS; i++) {
        g.setPlain(i, 0L);
      }
      // Volatile store publishes the cleared array before anyone records into it.
      current = older;
      if (now - start >= 2 * maxAgeNanos) {
        // Nothing was recorded for the longest a generation lives: the previous one holds
        // nothing recent.
        AtomicLongArray other = generations[1 - older];
        for (int i = 0; i < BUCKETS; i++) {
          other.set(i, 0L);
        }
      }
    }
  }

  private void maybeRecompute(long now) {
    long next = nextRecompute;
    if (now - next >= 0 && NEXT_RECOMPUTE.compareAndSet(this, next, now + PERIOD_NANOS)) {
      closeGenerationIfDue(now);
      recompute(now);
    }
  }

  private void recompute(long now) {
    // The evidence about the deadline: successes and cut calls since the last decision. It is
    // decided on once it holds MIN_EVIDENCE outcomes (one period at 100 calls/s and more, two at
    // 50/s) or is EVIDENCE_NANOS old; until then the periods' outcomes add up, so that a slow
    // caller gets the same rule as a busy one. Taken with getAndAdd of what was read, so that
    // an outcome recorded meanwhile is kept for the next.
    long successes = period.get(0);
    long cut = period.get(1);
    long over = period.get(2);
    long band = period.get(3);
    long raiseTo = 0L;
    if (successes + cut >= MIN_EVIDENCE || now - evidenceStart >= EVIDENCE_NANOS) {
      period.getAndAdd(0, -successes);
      period.getAndAdd(1, -cut);
      period.getAndAdd(2, -over);
      period.getAndAdd(3, -band);
      long elapsed = now - evidenceStart;
      if (elapsed > 0 && successes + cut > 0) {
        // At most one explorer in EXPLORE_CALLS outcomes: at 20 calls a second one every
        // 100 ms gave half the calls the ceiling, and half of the hung ones waited for it.
        double every = EXPLORE_CALLS * (double) elapsed / (successes + cut);
        exploreEvery = Math.max(exploreNanos, (long) Math.min(EXPLORE_MAX_NANOS, every));
      }
      evidenceStart = now;
      // An answer slower than the deadline in force (an explorer's, which gets the ceiling)
      // says the same where few calls come: calls were cut that would have answered.
      // Most calls cut, but by chance is not enough: a steady share of hung calls (40%) has two
      // thirds of 40 cut about once in 3,000 periods, and each such batch emptied the histogram
      // and gave the hung calls the ceiling for 1,000 successes (at 400 calls/s, 20 times an
      // hour for 4 s each). So the batch must also be surprising against the cut share seen
      // so far.
      double usual = cutShare;
      if (cut + successes > 0) {
        double share = (double) cut / (cut + successes);
        cutShare = usual + CUT_SHARE_GAIN * (share - usual);
        runLimit = runLimit(Math.max(share, cutShare));
      }
      if (cut > 0 && (over >= 1 || (cut >= 2 * successes
          && binomialTail(cut + successes, cut, usual) < SURPRISE))) {
        // Most calls were cut: the histogram's normal is no longer the dependency's (the step
        // from 20 to 800 ms), and its old samples would hold the deadline down for a window:
        // read against thousands of 20 ms samples, the top 0.1% of a new 100 ms normal is its
        // 98th percentile, and a deadline built on that cuts 2% of calls for seconds. Start
        // over: the ceiling until the new normal has MIN_SAMPLES of its own.
        forget(now);
        return;
      }
      if (now - bandStart >= windowNanos || (1.0 - percentile) * bandSuccesses >= 1.0) {
        // A window old, or as many successes as put one in the band at a steady normal: start
        // over, so that a rise is read against recent successes rather than diluted in many.
        bandSuccesses = 0L;
        bandCount = 0L;
        bandCut = 0L;
        bandStart = now;
      }
      bandSuccesses += successes;
      bandCount += band;
      bandCut += cut;
      if (bandCut > 0 && bandCount >= MIN_BAND
          && poissonTail((1.0 - percentile) * bandSuccesses, bandCount) < BAND_ALPHA) {
        // Successes crowd the top band (1 in 1000 do at a steady normal) while calls are cut:
        // the normal moved up by less than a step (10 to 20 ms), and the histogram, which holds
        // only what answered within the deadline, cannot see it: read against 10 s of the old
        // normal, its percentile crept up for seconds and cut 1-3% of calls meanwhile. The cut
        // calls are known to be at least the deadline, and more of them than the percentile
        // leaves above it: so is the percentile. Count as many at the deadline as the
        // percentile's rank from the top (not all the cut calls: some may be hung ones), and
        // the deadline rises by the headroom per period until successes leave the band. Hung
        // calls alone do not crowd it, so they do not raise the deadline.
        raiseTo = deadlineNanos;
        bandSuccesses = 0L;
        bandCount = 0L;
        bandCut = 0L;
        bandStart = now;
      }
    }
    AtomicLongArray a = generations[0];
    AtomicLongArray b = generations[1];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += a.get(i) + b.get(i);
    }
    if (total < MIN_SAMPLES) {
      publish(ceilingNanos);
      return;
    }
    if (raiseTo > 0) {
      long n = (long) Math.ceil((1.0 - percentile) * total);
      generations[current].getAndAdd(index(raiseTo), n);
      total += n;
    }
    double base = Math.max(Math.max(1.0, raiseTo * headroom),
        valueAtRank(a, b, percentile * total) * headroom);
    long d = base >= ceilingNanos ? ceilingNanos : (long) base;
    publish(Math.min(ceilingNanos, Math.max(floorNanos, d)));
  }

  private void publish(long deadline) {
    bandNanos = (long) (deadline / headroom);
    deadlineNanos = deadline;
  }

  /**
   * Drops every sample: the deadline is the ceiling until the histogram has
   * {@link #MIN_SAMPLES} again. Run by the recompute winner; a success recorded meanwhile may
   * land in a cell being cleared and be lost, the benign race {@link #rotate} has too.
   */
  private void forget(long now) {
    for (AtomicLongArray g : generations) {
      for (int i = 0; i < BUCKETS; i++) {
        g.set(i, 0L);
      }
    }
    generationStart = now;
    forgotAt = now;
    bandSuccesses = 0L;
    bandCount = 0L;
    bandCut = 0L;
    bandStart = now;
    publish(ceilingNanos);
  }

  /**
   * The run of cut calls that a share {@code q} of cut calls (hung ones, at a steady normal)
   * makes by chance once in about {@code 1 / }{@link #RUN_CHANCE} calls: {@code log(chance) /
   * log(q)}, with {@code q} at least 5% (7 in a row) and at most {@link #CUTS_IN_A_ROW}. The
   * share read is the larger of the last decision's and the smoothed one, so that hangs that
   * begin are read within a period.
   */
  static int runLimit(double q) {
    double run = Math.ceil(Math.log(RUN_CHANCE) / Math.log(Math.max(0.05, Math.min(q, 0.99))));
    return (int) Math.min(CUTS_IN_A_ROW, run);
  }

  /**
   * The probability that a binomial variable of {@code n} trials with success probability
   * {@code p} is at least {@code k}.
   */
  static double binomialTail(long n, long k, double p) {
    if (k <= 0) {
      return 1.0;
    }
    if (k > n || p <= 0.0) {
      return 0.0;
    }
    if (p >= 1.0) {
      return 1.0;
    }
    double logTerm = logFactorial(n) - logFactorial(k) - logFactorial(n - k)
        + k * Math.log(p) + (n - k) * Math.log1p(-p);
    double term = Math.exp(logTerm);
    double sum = 0.0;
    double ratio = p / (1.0 - p);
    for (long i = k; i <= n; i++) {
      sum += term;
      if (term < sum * 1e-12) {
        break;
      }
      term *= (double) (n - i) / (i + 1) * ratio;
    }
    return Math.min(1.0, sum);
  }

  /** The probability that a Poisson variable of mean {@code mean} is at least {@code k}. */
  static double poissonTail(double mean, long k) {
    if (k <= 0) {
      return 1.0;
    }
    // The first term e^-mean mean^k / k!, in logs, then the series; it converges fast where it
    // matters (mean far below k), and is summed far enough past the mode otherwise.
    double term = Math.exp(-mean + k * Math.log(mean) - logFactorial(k));
    if (mean <= 0) {
      return 0.0;
    }
    double sum = 0.0;
    for (long i = k; i < k + 200 && term > 1e-300; i++) {
      sum += term;
      term *= mean / (i + 1);
    }
    return Math.min(1.0, sum);
  }

  static double logFactorial(long k) {
    if (k > 64) {
      // Stirling's series: below 1e-12 relative error from here on.
      double x = k;
      return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x) + 1.0 / (12 * x)
          - 1.0 / (360 * x * x * x);
    }
    double s = 0.0;
    for (long i = 2; i <= k; i++) {
      s += Math.log(i);
    }
    return s;
  }

  /** The value below which {@code rank} of the samples lie, interpolated inside its bucket. */
  private static double valueAtRank(AtomicLongArray a, AtomicLongArray b, double rank) {
    double seen = 0;
    int last = 0;
    for (int i = 0; i < BUCKETS; i++) {
      long n = a.get(i) + b.get(i);
      if (n == 0) {
        continue;
      }
      last = i;
      if (seen + n >= rank) {
        double fraction = (rank - seen) / n;
        return lowerBound(i) + fraction * width(i);
      }
      seen += n;
    }
    return lowerBound(last) + width(last);
  }

  static int index(long value) {
    if (value < SUB) {
      return (int) value;
    }
    int exp = 63 - Long.numberOfLeadingZeros(value);
    int sub = (int) (value >>> (exp - SUB_BITS)) & (SUB - 1);
    return (exp - SUB_BITS + 1) * SUB + sub;
  }

  static double lowerBound(int index) {
    if (index < SUB) {
      return index;
    }
    int exp = index / SUB + SUB_BITS - 1;
    int sub = index % SUB;
    return (double) (SUB + sub) * (double) (1L << (exp - SUB_BITS));
  }

  static double width(int index) {
    if (index < SUB) {
      return 1.0;
    }
    int exp = index / SUB + SUB_BITS - 1;
    return (double) (1L << (exp - SUB_BITS));
  }

  @Override
  public String toString() {
    return "DeadlineEstimator[" + deadlineNanos / 1_000_000.0 + " ms]";
  }
}
