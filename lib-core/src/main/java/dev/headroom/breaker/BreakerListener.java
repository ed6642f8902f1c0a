package dev.headroom.breaker;

/**
 * Told about a {@link CircuitBreaker}'s transitions.
 *
 * <p>Each transition is delivered exactly once, after the compare-and-set that made it won, and
 * in the order in which transitions happened: a listener of one breaker is never called
 * concurrently with itself, and sees a legal sequence such as {@code CLOSED -> OPEN},
 * {@code OPEN -> HALF_OPEN}, {@code HALF_OPEN -> CLOSED}. The call happens on whichever thread
 * delivers the pending events (usually the one that caused the transition), so a listener must
 * be quick and must not block. An exception thrown by a listener is swallowed and does not stop
 * delivery to other listeners.
 *
 * <p>Thread-safety: implementations are called from arbitrary threads, one call at a time per
 * breaker.
 */
@FunctionalInterface
public interface BreakerListener {

  /**
   * Called once per state transition.
   *
   * @param breaker the breaker that changed state
   * @param from the previous state
   * @param to the new state
   */
  void onTransition(CircuitBreaker breaker, BreakerState from, BreakerState to);

  /**
   * Called when the half-open ramp moves to its next step (the state stays
   * {@link BreakerState#HALF_OPEN}). Does nothing unless overridden.
   *
   * @param breaker the breaker
   * @param step the new step's index, from 1 (step 0 begins with the transition to half-open)
   * @param admittedFraction the fraction of calls the new step admits
   */
  default void onRampStep(CircuitBreaker breaker, int step, double admittedFraction) {}
}
