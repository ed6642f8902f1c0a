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

  /** The value, or null for a failure entry. */
  final V value;
  /** Why the load failed, for a failure entry; null for a value. */
  final Throwable error;
  /** For a failure entry: the last good entry, still servable inside its stale window. */
  final Entry<V> lastGood;
  /** Until when the value is fresh (or the failure is remembered). */
  final long expiresAt;
  /** Until when the value may be served stale: while it refreshes, or after a failed reload. */
  final long staleUntil;
  /**
   * Until when a read stays on the fast path: the entry's drawn refresh moment, never later
   * than {@link #expiresAt}. Failure entries leave the fast path at once.
   */
  final long refreshFrom;
  /**
   * From when a read may start a refresh: {@link #refreshFrom} at first, later after a failed
   * refresh (a back-off, which may lie past the expiry).
   */
  final long retryAt;
  /** The measured recompute time, in nanoseconds. */
  final long deltaNanos;
  /** Refreshes of this value that failed in a row, for the back-off. */
  final int failures;
  /**
   * How long a read of this key takes to come after a refresh falls due, smoothed over the
   * refreshes that started on time (see {@code HeadroomCache#readGap}); 0 until one has.
   */
  final long readGapNanos;

  /**
   * A completed future of {@link #value}, made on the first asynchronous hit. Benign race: two
   * threads may each make one; either is correct, and the field is only a cache. Volatile so
   * that a reader that sees the future also sees it completed (a racy plain publication could
   * show a future whose result is not yet visible, which would look pending forever).
   */
  volatile CompletableFuture<V> completed;

  private Entry(V value, Throwable error, Entry<V> lastGood, long expiresAt, long staleUntil,
      long refreshFrom, long retryAt, long deltaNanos, int failures, long readGapNanos) {
    this.value = value;
    this.error = error;
    this.lastGood = lastGood;
    this.expiresAt = expiresAt;
    this.staleUntil = staleUntil;
    this.refreshFrom = refreshFrom;
    this.retryAt = retryAt;
    this.deltaNanos = deltaNanos;
    this.failures = failures;
    this.readGapNanos = readGapNanos;
  }

  /**
   * A loaded value, fresh for {@code freshNanos} from {@code now}, whose refresh is due
   * {@code gapNanos} before its expiry (at once if the gap is longer than the freshness).
   */
  static <V> Entry<V> success(V value, long now, long freshNanos, long staleNanos,
      long deltaNanos, long gapNanos, long readGapNanos) {
    long expiresAt = now + freshNanos;
    long refreshFrom = expiresAt - Math.min(Math.max(0L, gapNanos), freshNanos);
    return new Entry<>(value, null, null, expiresAt, expiresAt + staleNanos, refreshFrom,
        refreshFrom, deltaNanos, 0, readGapNanos);
  }

  static <V> Entry<V> failure(Throwable error, Entry<V> lastGood, long now, long negativeNanos) {
    // refreshFrom = now: every read of a failure entry takes the slow path.
    return new Entry<>(null, error, lastGood, now + negativeNanos, now + negativeNanos, now, now,
        0L, 0, 0L);
  }

  /**
   * A copy after a failed refresh: no new refresh before {@code notBefore}. The fast path still
   * ends at the expiry at the latest, so that an expired value is never served as a hit.
   */
  Entry<V> afterFailedRefresh(long notBefore) {
    long from = notBefore - expiresAt < 0 ? notBefore : expiresAt;
    return new Entry<>(value, error, lastGood, expiresAt, staleUntil, from, notBefore,
        deltaNanos, failures == Integer.MAX_VALUE ? failures : failures + 1, readGapNanos);
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
