package dev.headroom.shed;

import dev.headroom.core.RejectedException;

/**
 * Thrown by {@link LoadShedder#acquire(Priority)} (and returned by
 * {@link Permit#toException()}) when a request is shed. Names the shedder, the priority, the
 * {@link ShedReason}, a snapshot of in-flight, waiting and limit, and carries a Retry-After
 * hint derived from current latency and backlog. Created without a stack trace.
 *
 * <p>Thread-safety: immutable.
 */
public final class ShedException extends RejectedException {

  private static final long serialVersionUID = 1L;

  /** The component name every shedder rejection carries. */
  public static final String COMPONENT = "shed";

  private final Priority priority;
  private final ShedReason reason;

  ShedException(String name, Priority priority, ShedReason reason, String message,
      long retryAfterNanos) {
    super(COMPONENT, name, message, retryAfterNanos, false);
    this.priority = priority;
    this.reason = reason;
  }

  /**
   * Returns the priority of the refused request.
   *
   * @return the priority
   */
  public Priority priority() {
    return priority;
  }

  /**
   * Returns why the request was refused.
   *
   * @return the reason
   */
  public ShedReason reason() {
    return reason;
  }
}
