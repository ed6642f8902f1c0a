package dev.headroom.shed;

import dev.headroom.core.Checks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * The answer of {@link LoadShedder#tryAcquire(Priority)}: either an admitted request's slot,
 * which the caller completes once with its outcome, or a refusal that says why
 * ({@link #reason()}) and when to retry ({@link #retryAfterSeconds()}).
 *
 * <pre>{@code
 * try (Permit permit = shedder.tryAcquire(Priority.HIGH)) {
 *   if (!permit.isAdmitted()) {
 *     return tooManyRequests(permit.retryAfterSeconds());   // 429 + Retry-After
 *   }
 *   Response r = handle(request);
 *   permit.onSuccess();          // or onDropped() on a timeout or overload error
 *   return r;
 * }                              // close(): onIgnore() if nothing was recorded
 * }</pre>
 *
 * <p>Completion is idempotent: the first of {@link #onSuccess()}, {@link #onDropped()},
 * {@link #onIgnore()} or {@link #close()} releases the slot and records the outcome; every later
 * call does nothing, whichever thread makes it, as long as the calls are ordered (made by one
 * thread, or by threads that passed the permit through a queue, a future, a lock or any other
 * synchronising handoff). Two threads completing the same permit at the same instant, without
 * such ordering (a timeout callback racing the response, say), need a shedder built with
 * {@link LoadShedder.Builder#atomicCompletion(boolean) atomicCompletion(true)}: completion is
 * then a CAS that exactly one caller wins, at the price of one permit allocation per admission
 * (C2 does not eliminate an object that is the target of a CAS). A refused permit is born
 * completed, so completing it does nothing either.
 *
 * <p>Latency is measured from admission with the shedder's clock, or given by the caller
 * ({@link #onSuccess(long)}) when it already measured it.
 *
 * <p>Allocation: one small object per admission, which C2's escape analysis removes when the
 * permit is acquired and completed in one compiled method (0 B/op measured; not with
 * {@code atomicCompletion(true)}); see {@link LoadShedder} for why permits are not pooled.
 *
 * <p>Thread-safety: getters are safe from any thread; completions must be ordered, as above,
 * unless the shedder was built with {@code atomicCompletion(true)}.
 */
public final class Permit implements AutoCloseable {

  static final int SUCCESS = 0;
  static final int DROPPED = 1;
  static final int IGNORED = 2;

  private static final VarHandle DONE;

  static {
    try {
      DONE = MethodHandles.lookup().findVarHandle(Permit.class, "done", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LoadShedder shedder;
  private final Priority priority;
  final long startNanos;
  /** Where the slot is counted: a stripe's index, or {@link LoadShedder#WORD}. */
  private final int slot;
  /** Null when admitted. */
  private final Rejection rejection;
  /** 0 while open; 1 once completed (release store by the first completion). */
  private volatile int done;

  /** An admitted permit. */
  Permit(LoadShedder shedder, Priority priority, long startNanos, int slot) {
    this.shedder = shedder;
    this.priority = priority;
    this.startNanos = startNanos;
    this.slot = slot;
    this.rejection = null;
  }

  /** A refused permit, already completed. */
  Permit(LoadShedder shedder, Priority priority, Rejection rejection) {
    this.shedder = shedder;
    this.priority = priority;
    this.startNanos = 0L;
    this.slot = LoadShedder.WORD;
    this.rejection = rejection;
    this.done = 1;
  }

  /**
   * Returns whether the request was admitted.
   *
   * @return true if admitted and the caller may proceed
   */
  public boolean isAdmitted() {
    return rejection == null;
  }

  /**
   * Returns whether this permit has been completed (always true for a refusal).
   *
   * @return true once completed
   */
  public boolean isCompleted() {
    return done != 0;
  }

  /**
   * Returns the request's priority.
   *
   * @return the priority it was acquired with
   */
  public Priority priority() {
    return priority;
  }

  /**
   * Returns why the request was refused.
   *
   * @return the reason, or null if admitted
   */
  public ShedReason reason() {
    return rejection == null ? null : rejection.reason;
  }

  /**
   * Returns the Retry-After hint of a refusal, derived from current latency and backlog.
   *
   * @return the hint; zero if admitted
   */
  public Duration retryAfter() {
    return rejection == null ? Duration.ZERO : Duration.ofNanos(rejection.retryAfterNanos);
  }

  /**
   * Returns the Retry-After hint in whole seconds, rounded up and at least 1, as an HTTP
   * {@code Retry-After} header wants it.
   *
   * @return seconds, {@code >= 1} for a refusal; 0 if admitted
   */
  public long retryAfterSeconds() {
    if (rejection == null) {
      return 0L;
    }
    return Math.max(1L, (rejection.retryAfterNanos + 999_999_999L) / 1_000_000_000L);
  }

  /**
   * Returns a refusal as an exception to throw, with a snapshot of the shedder's state.
   *
   * @return a new exception without stack trace
   * @throws IllegalStateException if the request was admitted
   */
  public ShedException toException() {
    Checks.requireState(rejection != null, "permit was admitted, not refused");
    Rejection r = rejection;
    String message = "shed " + shedder.name() + " refused " + priority + ": " + r.reason
        + " (inFlight=" + r.inFlight + ", waiting=" + r.waiting + ", limit=" + r.limit
        + ", capacity(" + priority + ")=" + r.capacity + ")";
    return new ShedException(shedder.name(), priority, r.reason, message, r.retryAfterNanos);
  }

  /** Records success, measuring latency from admission with the shedder's clock. */
  public void onSuccess() {
    complete(SUCCESS, -1L);
  }

  /**
   * Records success with a latency the caller measured.
   *
   * @param latencyNanos the request's latency in nanoseconds
   * @throws IllegalArgumentException if {@code latencyNanos} is negative
   */
  public void onSuccess(long latencyNanos) {
    complete(SUCCESS, Checks.requireNonNegative("latencyNanos", latencyNanos));
  }

  /**
   * Records a drop: a timeout or an overload error from the dependency. Drops are overload
   * evidence for adaptive limits.
   */
  public void onDropped() {
    complete(DROPPED, -1L);
  }

  /**
   * Records a drop with a latency the caller measured.
   *
   * @param latencyNanos the request's latency in nanoseconds
   * @throws IllegalArgumentException if {@code latencyNanos} is negative
   */
  public void onDropped(long latencyNanos) {
    complete(DROPPED, Checks.requireNonNegative("latencyNanos", latencyNanos));
  }

  /**
   * Releases the slot without feeding the limit: the request says nothing about the
   * dependency's health (a client error, a cancelled call).
   */
  public void onIgnore() {
    complete(IGNORED, -1L);
  }

  /** Same as {@link #onIgnore()}: a permit closed without an outcome releases its slot. */
  @Override
  public void close() {
    complete(IGNORED, -1L);
  }

  private void complete(int outcome, long latencyNanos) {
    if (shedder.atomicCompletion) {
      // Opt-in: racing completions are arbitrated by a CAS; the permit is then allocated.
      if (done == 0 && DONE.compareAndSet(this, 0, 1)) {
        shedder.release(startNanos, outcome, latencyNanos, slot);
      }
    } else if (done == 0) {
      // A check and a release store, not a CAS: C2 cannot scalar-replace an object that is the
      // target of a CAS, and this is what keeps the admitted path at 0 B/op (ShedderBenchmark,
      // -prof gc). The CAS branch above is never taken by such a shedder, so C2 prunes it.
      // Idempotence therefore holds for completions ordered one after another (one thread, or
      // threads that hand the permit over through any synchronising action); see the class
      // comment.
      DONE.setRelease(this, 1);
      shedder.release(startNanos, outcome, latencyNanos, slot);
    }
  }

  @Override
  public String toString() {
    return rejection == null
        ? "Permit[" + priority + ", admitted" + (done != 0 ? ", completed]" : "]")
        : "Permit[" + priority + ", refused " + rejection.reason + "]";
  }

  /** What a refusal carries: the reason, the hint, and a snapshot for the message. */
  static final class Rejection {
    final ShedReason reason;
    final long retryAfterNanos;
    final int inFlight;
    final int waiting;
    final int limit;
    final int capacity;

    Rejection(ShedReason reason, long retryAfterNanos, int inFlight, int waiting, int limit,
        int capacity) {
      this.reason = reason;
      this.retryAfterNanos = retryAfterNanos;
      this.inFlight = inFlight;
      this.waiting = waiting;
      this.limit = limit;
      this.capacity = capacity;
    }
  }
}
