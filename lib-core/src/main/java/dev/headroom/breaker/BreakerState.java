package dev.headroom.breaker;

/**
 * The state of a {@link CircuitBreaker}.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum BreakerState {

  /** Every call is admitted; outcomes are judged by the trip rules. */
  CLOSED,

  /** Every call is rejected until the open duration has passed. */
  OPEN,

  /**
   * Recovery: a growing fraction of calls is admitted, step by step; a violation of the rules
   * reopens, passing the last step closes.
   */
  HALF_OPEN,

  /** Manually opened with {@link CircuitBreaker#forceOpen()}: every call is rejected until reset. */
  FORCED_OPEN,

  /**
   * Manually disabled with {@link CircuitBreaker#disable()}: every call is admitted, outcomes are
   * counted but never trip the breaker, until reset.
   */
  DISABLED;

  /**
   * Returns the lowercase name used as a metric tag value, e.g. {@code "half_open"}.
   *
   * @return the tag value
   */
  public String tagValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
