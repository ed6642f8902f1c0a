package dev.headroom.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One generation of a breaker's state machine: an immutable description (state, generation,
 * open deadline, ramp step, window base) plus the few counters that belong to this generation
 * only (consecutive failures, half-open arrivals and judged probes).
 *
 * <p>Concurrency: a phase is published by a compare-and-set of {@code CircuitBreaker.phase}
 * (a volatile write), so its final fields are visible to every thread that reads the phase. The
 * mutable counters are updated with atomic read-modify-write operations by the threads that hold
 * a permit of this generation; a thread that loses a race against a transition may still update
 * the counters of a phase that is no longer current, which is harmless because nothing reads a
 * retired phase's counters again. A new generation always starts with fresh counters, so no
 * counter ever has to be reset under concurrency.
 */
final class Phase {

  private static final VarHandle CONSECUTIVE;
  private static final VarHandle ARRIVALS;
  private static final VarHandle JUDGED;
  private static final VarHandle FAILURES;
  private static final VarHandle SLOW;
  private static final VarHandle LAST_PROBE;
  private static final VarHandle IN_FLIGHT;
  private static final VarHandle ANSWERED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      CONSECUTIVE = lookup.findVarHandle(Phase.class, "consecutive", long.class);
      ARRIVALS = lookup.findVarHandle(Phase.class, "arrivals", long.class);
      JUDGED = lookup.findVarHandle(Phase.class, "judged", long.class);
      FAILURES = lookup.findVarHandle(Phase.class, "failures", long.class);
      SLOW = lookup.findVarHandle(Phase.class, "slow", long.class);
      LAST_PROBE = lookup.findVarHandle(Phase.class, "lastProbe", long.class);
      IN_FLIGHT = lookup.findVarHandle(Phase.class, "inFlight", long.class);
      ANSWERED = lookup.findVarHandle(Phase.class, "answered", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final BreakerState state;
  /** Also the permit token of calls admitted in this phase; consecutive per transition. */
  final long generation;
  /** Clock reading when the phase began. */
  final long since;
  /** OPEN: when it may turn half-open. */
  final long openUntil;
  /** OPEN and HALF_OPEN: relapses since the last full recovery (0 after a trip from CLOSED). */
  final int relapses;
  /** HALF_OPEN: the ramp step's index and fraction; 1.0 when CLOSED or DISABLED, else 0. */
  final int step;
  final double fraction;
  /** CLOSED: the window's epoch and cumulative judged counts when the phase began. */
  final long baseEpoch;
  final long baseCalls;
  final long baseFailures;
  final long baseSlow;
  /** OPEN and HALF_OPEN: the open-duration backoff level (see {@code CircuitBreaker}). */
  final int backoff;
  /** HALF_OPEN: judged probes and failures of the earlier steps of this ramp. */
  final long rampJudged;
  final long rampFailures;
  /** HALF_OPEN: step 0 restarted in place because the dependency was still down. */
  final boolean restarted;
  /**
   * HALF_OPEN: the longest latency of a successful probe in the earlier steps of this ramp, 0
   * if none: how long an answer takes, so a step is not taken to have had no answer before one
   * had time to arrive.
   */
  final long answerNanos;

  // Mutable, per generation; accessed through the VarHandles above.
  @SuppressWarnings("unused")
  private long consecutive;
  @SuppressWarnings("unused")
  private long arrivals;
  @SuppressWarnings("unused")
  private long judged;
  @SuppressWarnings("unused")
  private long failures;
  @SuppressWarnings("unused")
  private long slow;
  @SuppressWarnings("unused")
  private long lastProbe;
  @SuppressWarnings("unused")
  private long inFlight;
  @SuppressWarnings("unused")
  private long answered;

  private Phase(BreakerState state, long generation, long since, long openUntil, int relapses,
      int step, double fraction, long baseEpoch, long baseCalls, long baseFailures,
      long baseSlow, int backoff, long rampJudged, long rampFailures, boolean restarted,
      long answerNanos) {
    this.state = state;
    this.generation = generation;
    this.since = since;
    this.openUntil = openUntil;
    this.relapses = relapses;
    this.step = step;
    this.fraction = fraction;
    this.baseEpoch = baseEpoch;
    this.baseCalls = baseCalls;
    this.baseFailures = baseFailures;
    this.baseSlow = baseSlow;
    this.backoff = backoff;
    this.rampJudged = rampJudged;
    this.rampFailures = rampFailures;
    this.restarted = restarted;
    this.answerNanos = answerNanos;
    this.lastProbe = since;
  }

  static Phase closed(long generation, long now, long epoch, long calls, long failures,
      long slow) {
    return new Phase(BreakerState.CLOSED, generation, now, 0L, 0, 0, 1.0, epoch, calls,
        failures, slow, 0, 0L, 0L, false, 0L);
  }

  static Phase open(long generation, long now, long openNanos, int relapses, int backoff) {
    return new Phase(BreakerState.OPEN, generation, now, now + openNanos, relapses, 0, 0.0, 0L,
        0L, 0L, 0L, backoff, 0L, 0L, false, 0L);
  }

  static Phase halfOpen(long generation, long now, int relapses, int backoff, int step,
      double fraction, long rampJudged, long rampFailures, boolean restarted, long answerNanos) {
    return new Phase(BreakerState.HALF_OPEN, generation, now, 0L, relapses, step, fraction, 0L,
        0L, 0L, 0L, backoff, rampJudged, rampFailures, restarted, answerNanos);
  }

  static Phase manual(BreakerState state, long generation, long now) {
    return new Phase(state, generation, now, 0L, 0, 0,
        state == BreakerState.DISABLED ? 1.0 : 0.0, 0L, 0L, 0L, 0L, 0, 0L, 0L, false, 0L);
  }

  /** Half-open: probes admitted and not yet completed. */
  long lvInFlight() {
    return (long) IN_FLIGHT.getVolatile(this);
  }

  void incrementInFlight() {
    IN_FLIGHT.getAndAdd(this, 1L);
  }

  void decrementInFlight() {
    IN_FLIGHT.getAndAdd(this, -1L);
  }

  // Consecutive failures: incremented by failures, cleared by successes. Success and failure
  // race; "consecutive" under concurrency means "no success was recorded in between", which is
  // what the atomic increment and the plain clear give. The clear is an opaque read followed by
  // a volatile write only when needed, so a healthy closed breaker never writes the line.
  long lvConsecutive() {
    return (long) CONSECUTIVE.getOpaque(this);
  }

  void clearConsecutive() {
    CONSECUTIVE.setVolatile(this, 0L);
  }

  long incrementConsecutive() {
    return (long) CONSECUTIVE.getAndAdd(this, 1L) + 1L;
  }

  /** Half-open: returns the 0-based index of this arrival. */
  long nextArrival() {
    return (long) ARRIVALS.getAndAdd(this, 1L);
  }

  long lvJudged() {
    return (long) JUDGED.getVolatile(this);
  }

  long incrementJudged() {
    return (long) JUDGED.getAndAdd(this, 1L) + 1L;
  }

  long incrementFailures() {
    return (long) FAILURES.getAndAdd(this, 1L) + 1L;
  }

  long lvFailures() {
    return (long) FAILURES.getVolatile(this);
  }

  long incrementSlow() {
    return (long) SLOW.getAndAdd(this, 1L) + 1L;
  }

  long lvSlow() {
    return (long) SLOW.getVolatile(this);
  }

  /** Half-open: records a successful probe's latency (the step's longest is kept). */
  void recordAnswer(long nanos) {
    long seen = (long) ANSWERED.getVolatile(this);
    while (nanos > seen && !ANSWERED.compareAndSet(this, seen, nanos)) {
      seen = (long) ANSWERED.getVolatile(this);
    }
  }

  /** Half-open: the longest latency of this step's successful probes, 0 if none. */
  long lvAnswered() {
    return (long) ANSWERED.getVolatile(this);
  }

  long lvLastProbe() {
    return (long) LAST_PROBE.getVolatile(this);
  }

  boolean casLastProbe(long expected, long now) {
    return LAST_PROBE.compareAndSet(this, expected, now);
  }

  /** Records a fraction-admitted probe's time; a lost race only moves the reading by a bit. */
  void soLastProbe(long now) {
    LAST_PROBE.setRelease(this, now);
  }

  @Override
  public String toString() {
    return state + "#" + generation + (state == BreakerState.HALF_OPEN
        ? "[step " + step + " @" + fraction + "]" : "");
  }
}
