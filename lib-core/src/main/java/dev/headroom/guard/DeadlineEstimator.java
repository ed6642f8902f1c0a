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
 * bucket width at most 1/16, so about 6% resolution), held in two generations of {@code window}
 * each: the current one takes new samples, the previous one is still read, so the estimate
 * always covers between one and two windows. At most once per {@link #PERIOD_NANOS} the deadline
 * is recomputed from both generations by whichever thread wins a CAS on {@code nextRecompute};
 * inside the bucket that holds the wanted rank the value is interpolated linearly. With fewer
 * than {@link #MIN_SAMPLES} samples the deadline is the ceiling. Calls cut short by the
 * deadline in force and successes are counted, and decided on once they are {@link #MIN_EVIDENCE}
 * (one 100 ms period at 100 calls/s, several at lower rates, at most {@link #EVIDENCE_NANOS}):
 * when calls were cut and either at least twice as many were cut as succeeded or an explorer
 * answered slower than the deadline in force, the histogram describes a normal that is
 * gone (the step from 20 to 800 ms), so it is emptied and the deadline is the ceiling until
 * the new normal has {@link #MIN_SAMPLES} samples of its own; {@link #CUTS_IN_A_ROW} cut calls
 * with no success between them do the same at once, without waiting for the period (a run
 * counter, written by a success only when a cut came before it). Once every
 * {@code exploreInterval} one call (the CAS winner on {@code nextExplore}) is given the
 * ceiling, so that a slower new normal is still observed where fewer calls are cut.
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
  /** The deadline is recomputed at most this often. */
  static final long PERIOD_NANOS = 100_000_000L;
  /** The outcomes (successes and cut calls) a decision about the histogram waits for. */
  static final int MIN_EVIDENCE = 10;
  /** The longest the outcomes of successive periods add up before they are decided on. */
  static final long EVIDENCE_NANOS = 5_000_000_000L;
  /**
   * Cut calls in a row, with no success between them, that empty the histogram at once
   * instead of at the next period: a step of the dependency's latency past the deadline. A
   * share {@code h} of hung calls does it by chance with probability {@code h^20} per call
   * (about one in a hundred million calls at 40%).
   */
  static final int CUTS_IN_A_ROW = 20;

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
  private final long exploreNanos;
  private final AtomicLongArray[] generations = {
      new AtomicLongArray(BUCKETS), new AtomicLongArray(BUCKETS)};
  /**
   * The evidence counters: [0] successes, [1] cut calls, [2] successes slower than the deadline
   * in force (an explorer's, given the ceiling: proof that cut calls would have answered).
   */
  private final AtomicLongArray period = new AtomicLongArray(3);

  private volatile int current;
  private volatile long generationStart;
  private volatile long nextRecompute;
  private volatile long nextExplore;
  private volatile long deadlineNanos;
  /** Counted cuts since the last success. */
  private volatile int cutRun;
  /**
   * When the outcomes now in {@code period} began to add up. Written only by recompute winners
   * (volatile: successive winners are different threads).
   */
  private volatile long evidenceStart;

  DeadlineEstimator(DeadlinePolicy policy, NanoClock clock) {
    this.clock = clock;
    this.percentile = policy.percentile();
    this.headroom = policy.headroom();
    this.floorNanos = policy.floor().toNanos();
    this.ceilingNanos = policy.ceiling().toNanos();
    this.windowNanos = policy.window().toNanos();
    this.exploreNanos = policy.exploreInterval().toNanos();
    long now = clock.nanoTime();
    this.generationStart = now;
    this.nextRecompute = now + PERIOD_NANOS;
    this.evidenceStart = now;
    this.nextExplore = now + exploreNanos;
    this.deadlineNanos = ceilingNanos;
  }

  long ceilingNanos() {
    return ceilingNanos;
  }

  long floorNanos() {
    return floorNanos;
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
        && NEXT_EXPLORE.compareAndSet(this, next, now + exploreNanos)) {
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
    if (latencyNanos > deadlineNanos) {
      period.getAndIncrement(2);
    }
  }

  /**
   * Records that the deadline cut a call short. Only a call cut at (or above) the deadline in
   * force counts: calls still running under an older, shorter deadline would otherwise empty
   * the histogram again just after it was emptied and the deadline raised to the ceiling.
   *
   * @param timeoutNanos the deadline the call was given
   * @param now the time of the cut
   */
  void recordCut(long timeoutNanos, long now) {
    rotateIfDue(now);
    if (timeoutNanos >= deadlineNanos) {
      period.getAndIncrement(1);
      if ((int) CUT_RUN.getAndAdd(this, 1) + 1 >= CUTS_IN_A_ROW && deadlineNanos < ceilingNanos) {
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

  private void rotateIfDue(long now) {
    long start = generationStart;
    if (now - start >= windowNanos) {
      rotate(start, now); // kept out of line: the caller stays small enough to inline
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
      if (now - start >= 2 * windowNanos) {
        // Both generations are older than the window: the previous one holds nothing recent.
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
      rotateIfDue(now);
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
    if (successes + cut >= MIN_EVIDENCE || now - evidenceStart >= EVIDENCE_NANOS) {
      period.getAndAdd(0, -successes);
      period.getAndAdd(1, -cut);
      period.getAndAdd(2, -over);
      evidenceStart = now;
      // An answer slower than the deadline in force (an explorer's, which gets the ceiling)
      // says the same where few calls come: calls were cut that would have answered.
      if (cut > 0 && (cut >= 2 * successes || over >= 1)) {
        // Most calls were cut: the histogram's normal is no longer the dependency's (the step
        // from 20 to 800 ms), and its old samples would hold the deadline down for a window:
        // read against thousands of 20 ms samples, the top 0.1% of a new 100 ms normal is its
        // 98th percentile, and a deadline built on that cuts 2% of calls for seconds. Start
        // over: the ceiling until the new normal has MIN_SAMPLES of its own.
        forget(now);
        return;
      }
    }
    AtomicLongArray a = generations[0];
    AtomicLongArray b = generations[1];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += a.get(i) + b.get(i);
    }
    if (total < MIN_SAMPLES) {
      deadlineNanos = ceilingNanos;
      return;
    }
    double base = Math.max(1.0, valueAtRank(a, b, percentile * total) * headroom);
    long d = base >= ceilingNanos ? ceilingNanos : (long) base;
    deadlineNanos = Math.min(ceilingNanos, Math.max(floorNanos, d));
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
    deadlineNanos = ceilingNanos;
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
