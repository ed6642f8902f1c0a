package dev.headroom.shed;

/**
 * Why a {@link LoadShedder} refused a request. Every refused request carries exactly one reason;
 * nothing is dropped without one.
 *
 * <p>Thread-safety: immutable.
 */
public enum ShedReason {
  /** In-flight was at the priority's share of the limit and the shedder does not queue. */
  LIMIT,
  /** The priority's wait queue was full. */
  QUEUE_FULL,
  /** The request waited the configured maximum without getting a slot. */
  QUEUE_TIMEOUT,
  /**
   * Queueing delay for this priority has stayed above the target for a whole interval
   * (CoDel-like): the request is shed at once instead of joining a standing queue.
   */
  QUEUE_DELAY,
  /** The waiting thread was interrupted; its interrupt status is restored. */
  INTERRUPTED;

  static final ShedReason[] ALL = values();

  final String tag = name().toLowerCase(java.util.Locale.ROOT);
}
