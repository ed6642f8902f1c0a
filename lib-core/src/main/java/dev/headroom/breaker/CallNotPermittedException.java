package dev.headroom.breaker;

import dev.headroom.core.RejectedException;

/**
 * Thrown (or passed to a fallback) when a {@link CircuitBreaker} refuses a call without calling
 * the dependency: the breaker is open, forced open, or half-open and the call was not among the
 * admitted fraction.
 *
 * <p>The message names the breaker, its state and how long it stays open, e.g.
 * {@code "breaker 'replica-db' is OPEN, rejecting calls for another 4.2 s (relapse 1)"}.
 * {@link #retryAfter()} is the time left open (for a half-open rejection, the time until the
 * ramp's next step may start). No stack trace is captured unless
 * {@link BreakerConfig.Builder#rejectionStackTrace(boolean)} asks for one.
 *
 * <p>Thread-safety: immutable.
 */
public final class CallNotPermittedException extends RejectedException {

  private static final long serialVersionUID = 1L;

  /** The state, kept as its name so that the exception stays trivially serialisable. */
  private final String state;

  CallNotPermittedException(String name, BreakerState state, String message,
      long retryAfterNanos, boolean writableStackTrace) {
    super("breaker", name, message, retryAfterNanos, writableStackTrace);
    this.state = state.name();
  }

  /**
   * Returns the state of the breaker when it refused the call.
   *
   * @return {@link BreakerState#OPEN}, {@link BreakerState#FORCED_OPEN} or
   *     {@link BreakerState#HALF_OPEN}
   */
  public BreakerState state() {
    return BreakerState.valueOf(state);
  }
}
