package dev.headroom.cache;

import java.util.concurrent.CompletableFuture;

/**
 * One stored answer for one key: a loaded value, or (with negative caching) a remembered
 * failure. Immutable apart from {@link #completed}, a lazily made future for asynchronous hits.
 *
 * <p>All times are readings of the cache's clock and are compared by subtraction.
 *
 * @param <V> the value type
 */
final class Entry<V> {

  /**
   * The XFetch draw fires when {@code -delta * beta * ln(U) >= r} for time left {@code r}, which
   * has probability {@code exp(-r / (delta * beta))}. For {@code r > CUTOFF * delta * beta} that
   * is below {@code exp(-16)}, about 1e-7: the hit path does not draw at all there.
   */
  static final double CUTOFF = 16.0;

  /** The value, or null for a failure entry. */
  final V value;
  /** Why the load failed, for a failure entry; null for a value. */
  final Throwable error;
  /** For a failure entry: the last good entry, still servable inside its stale window. */
  final Entry<V> lastGood;
  /** Until when the value is fresh (or the failure is remembered). */
  final long expiresAt;
  /** Until when the value may be served stale after a failed reload. */
  final long staleUntil;
  /** From when a read must leave the fast path: XFetch draws, expiry, failure entries. */
  final long refreshFrom;
  /** The recompute time times beta, in nanoseconds, as the XFetch draw needs it. */
  final double deltaBeta;
  /** The measured recompute time, in nanoseconds. */
  final long deltaNanos;

  /**
   * A completed future of {@link #value}, made on the first asynchronous hit. Benign race: two
   * threads may each make one; either is correct, and the field is only a cache. Volatile so
   * that a reader that sees the future also sees it completed (a racy plain publication could
   * show a future whose result is not yet visible, which would look pending forever).
   */
  volatile CompletableFuture<V> completed;

  private Entry(V value, Throwable error, Entry<V> lastGood, long expiresAt, long staleUntil,
      long refreshFrom, double deltaBeta, long deltaNanos) {
    this.value = value;
    this.error = error;
    this.lastGood = lastGood;
    this.expiresAt = expiresAt;
    this.staleUntil = staleUntil;
    this.refreshFrom = refreshFrom;
    this.deltaBeta = deltaBeta;
    this.deltaNanos = deltaNanos;
  }

  static <V> Entry<V> success(V value, long now, long ttlNanos, long staleNanos, long deltaNanos,
      double beta) {
    double deltaBeta = (double) deltaNanos * beta;
    long window = beta == 0.0 ? 0L
        : (long) Math.min((double) ttlNanos, Math.ceil(deltaBeta * CUTOFF));
    long expiresAt = now + ttlNanos;
    return new Entry<>(value, null, null, expiresAt, expiresAt + staleNanos, expiresAt - window,
        deltaBeta, deltaNanos);
  }

  static <V> Entry<V> failure(Throwable error, Entry<V> lastGood, long now, long negativeNanos) {
    // refreshFrom = now: every read of a failure entry takes the slow path.
    return new Entry<>(null, error, lastGood, now + negativeNanos, now + negativeNanos, now, 0.0,
        0L);
  }

  /** A copy that makes no early-refresh draw before {@code notBefore}: after a failed refresh. */
  Entry<V> withRefreshFrom(long notBefore) {
    long from = notBefore - expiresAt < 0 ? notBefore : expiresAt;
    return new Entry<>(value, error, lastGood, expiresAt, staleUntil, from, deltaBeta, deltaNanos);
  }

  boolean isValue() {
    return error == null;
  }

  /** True if this is a value that has not expired at {@code now}. */
  boolean isFreshValue(long now) {
    return error == null && now - expiresAt < 0;
  }

  /** The entry whose value may be served stale: this one, or a failure entry's last good one. */
  Entry<V> good() {
    return error == null ? this : lastGood;
  }

  CompletableFuture<V> completed() {
    CompletableFuture<V> f = completed;
    if (f == null) {
      f = CompletableFuture.completedFuture(value);
      completed = f;
    }
    return f;
  }
}
