package dev.headroom.guard;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.RejectedException;
import dev.headroom.shed.Permit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * The answer of {@link Guard#tryAcquire()}: either an admitted call, which the caller completes
 * exactly once with its outcome, or a refusal ({@link #rejection()}) naming the component that
 * refused, its state and a Retry-After hint.
 *
 * <pre>{@code
 * try (GuardPermit permit = guard.tryAcquire(Priority.HIGH)) {
 *   if (!permit.isAdmitted()) {
 *     throw permit.rejection();
 *   }
 *   statement.setQueryTimeout(seconds(permit.timeout()));
 *   try {
 *     Result r = statement.execute();
 *     permit.onSuccess();
 *     return r;
 *   } catch (SQLException e) {
 *     permit.onFailure(e);      // classified: timeout, overload or failure
 *     throw e;
 *   }
 * }                             // close(): onIgnore() if nothing was recorded
 * }</pre>
 *
 * <p>Completion is exactly-once: the first of {@link #onSuccess()}, {@link #onTimeout()},
 * {@link #onOverload()}, {@link #onFailure(Throwable)}, {@link #onIgnore()} or {@link #close()}
 * wins a CAS and reports to the breaker, the limit and the deadline estimator; every later call,
 * from any thread, does nothing. A refused permit is born completed.
 *
 * <p>Thread-safety: safe from any thread, including racing completions (a timeout timer against
 * the response).
 */
public final class GuardPermit implements AutoCloseable {

  private static final VarHandle DONE;

  static {
    try {
      DONE = MethodHandles.lookup().findVarHandle(GuardPermit.class, "done", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Guard guard;
  private final long breakerPermit;
  /** The limit's permit: admitted, refused (when {@link #refusedBy} is LIMIT) or null. */
  private final Permit limitPermit;
  private final long startNanos;
  private final long timeoutNanos;
  /** Null when admitted. */
  private final Guard.Outcome refusedBy;
  /** 0 while open; 1 once completed. */
  private volatile int done;

  GuardPermit(Guard guard, long breakerPermit, Permit limitPermit, long startNanos,
      long timeoutNanos, Guard.Outcome refusedBy) {
    this.guard = guard;
    this.breakerPermit = breakerPermit;
    this.limitPermit = limitPermit;
    this.startNanos = startNanos;
    this.timeoutNanos = timeoutNanos;
    this.refusedBy = refusedBy;
    this.done = refusedBy == null ? 0 : 1;
  }

  /**
   * Returns whether the call was admitted.
   *
   * @return true if the caller may make the call
   */
  public boolean isAdmitted() {
    return refusedBy == null;
  }

  /**
   * Returns whether the permit was completed (a refused permit always is).
   *
   * @return true once completed
   */
  public boolean isCompleted() {
    return done != 0;
  }

  /**
   * Returns the refusal as an exception naming the component ({@code "breaker"} or
   * {@code "shed"}), its state and a Retry-After hint.
   *
   * @return a new exception, or null if the call was admitted
   */
  public RejectedException rejection() {
    if (refusedBy == Guard.Outcome.REJECTED_BREAKER) {
      return guard.breaker().rejection();
    }
    if (refusedBy == Guard.Outcome.REJECTED_LIMIT) {
      return limitPermit.toException();
    }
    return null;
  }

  /**
   * Returns the deadline in force for this call.
   *
   * @return the deadline, or {@link Guard#NO_DEADLINE} when the guard has none
   */
  public Duration timeout() {
    return guard.duration(timeoutNanos);
  }

  /**
   * Returns the deadline in force in nanoseconds, without allocating.
   *
   * @return nanoseconds, {@code Long.MAX_VALUE} when the guard has no deadline
   */
  public long timeoutNanos() {
    return timeoutNanos;
  }

  /** Reports success: breaker success, limit success with the latency, estimator sample. */
  public void onSuccess() {
    succeed();
  }

  /**
   * Reports success with a latency the caller measured itself (an adapter that waits for a
   * resource of its own after admission times only the dependency's part).
   *
   * @param latencyNanos the call's latency; negative counts as 0
   */
  public void onSuccess(long latencyNanos) {
    if (complete()) {
      guard.completeSuccess(breakerPermit, limitPermit, Math.max(0L, latencyNanos));
    }
  }

  /** {@link #onSuccess()}, returning whether this call completed the permit. */
  boolean succeed() {
    if (complete()) {
      guard.completeSuccess(breakerPermit, limitPermit, elapsed());
      return true;
    }
    return false;
  }

  /**
   * Reports that the call timed out: breaker failure and limit drop, except when the guard's
   * adaptive deadline cut the call short below its ceiling, which counts for neither (the
   * estimator learns the deadline was too short).
   */
  public void onTimeout() {
    timeOut();
  }

  /** {@link #onTimeout()}, returning whether this call completed the permit. */
  boolean timeOut() {
    if (complete()) {
      guard.completeTimeout(breakerPermit, limitPermit, elapsed(), timeoutNanos, null);
      return true;
    }
    return false;
  }

  /** Reports that the dependency refused for overload: breaker ignore, limit drop. */
  public void onOverload() {
    if (complete()) {
      guard.completeOverload(breakerPermit, limitPermit, elapsed());
    }
  }

  /**
   * Reports a failure, classified by the guard's {@code timeoutWhen} and {@code overloadWhen}
   * predicates; any other error is a breaker failure (which the breaker classifies in turn) and
   * counts for nothing in the limit.
   *
   * @param error what went wrong; null is a plain failure
   */
  public void onFailure(Throwable error) {
    fail(error);
  }

  /**
   * Reports a failure, classified as by {@link #onFailure(Throwable)}, with a latency the caller
   * measured itself.
   *
   * @param error what went wrong; null is a plain failure
   * @param latencyNanos the call's latency; negative counts as 0
   */
  public void onFailure(Throwable error, long latencyNanos) {
    if (complete()) {
      guard.completeFailure(breakerPermit, limitPermit, Math.max(0L, latencyNanos), timeoutNanos,
          error);
    }
  }

  /** {@link #onFailure(Throwable)}, returning whether this call completed the permit. */
  boolean fail(Throwable error) {
    if (complete()) {
      guard.completeFailure(breakerPermit, limitPermit, elapsed(), timeoutNanos, error);
      return true;
    }
    return false;
  }

  /** Reports that the call counts for nothing (cancelled by the caller, say). */
  public void onIgnore() {
    if (complete()) {
      guard.completeIgnore(breakerPermit, limitPermit);
    }
  }

  /** Reports {@link #onIgnore()} if the permit was not completed yet. */
  @Override
  public void close() {
    onIgnore();
  }

  private boolean complete() {
    return done == 0 && DONE.compareAndSet(this, 0, 1);
  }

  private long elapsed() {
    return Math.max(0L, guard.clock().nanoTime() - startNanos);
  }

  @Override
  public String toString() {
    return "GuardPermit[" + guard.name() + ", "
        + (refusedBy == null ? (done == 0 ? "open" : "completed") : refusedBy.tag()) + "]";
  }
}
