package dev.headroom.shed;

/**
 * How much a request matters when the service is overloaded. Declared from most to least
 * important; a {@link LoadShedder} sheds a lower priority before a higher one at the same load.
 *
 * <ul>
 *   <li>{@link #CRITICAL}: health checks, payments, plan submission. Always admitted, never
 *       shed and never queued; it still counts as in-flight, so it squeezes the others.
 *   <li>{@link #HIGH}: interactive requests a user is waiting for.
 *   <li>{@link #NORMAL}: the default tier.
 *   <li>{@link #LOW}: background jobs, prefetches, low-value reads. Shed first.
 * </ul>
 *
 * <p>Each priority but {@code CRITICAL} is admitted only while the number in flight is below its
 * share of the concurrency limit; see {@link LoadShedder.Builder#share(Priority, double)}.
 *
 * <p>Thread-safety: immutable.
 */
public enum Priority {
  /** Never shed. */
  CRITICAL,
  /** Shed last; default share 0.95 of the limit. */
  HIGH,
  /** Default share 0.8 of the limit. */
  NORMAL,
  /** Shed first; default share 0.5 of the limit. */
  LOW;

  /** The values, cached: {@code values()} allocates a copy each call. */
  static final Priority[] ALL = values();

  /** Lower-case name used as a metric tag. */
  final String tag = name().toLowerCase(java.util.Locale.ROOT);
}
