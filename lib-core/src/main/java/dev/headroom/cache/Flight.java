package dev.headroom.cache;

import java.util.concurrent.CompletableFuture;

/**
 * One load or refresh in flight for one key: the single-flight unit that concurrent callers of
 * that key share. Its {@link #result} completes with the new entry or with the load's failure;
 * each waiting caller then decides for itself whether {@link #previous} may be served stale.
 *
 * @param <V> the value type
 */
final class Flight<V> {

  final Entry<V> previous;
  final LoadPath.Reason reason;
  final CompletableFuture<Entry<V>> result = new CompletableFuture<>();

  /**
   * The clock reading when the load started. Written by the owner before the load starts and
   * read by whichever thread completes it, after the loader's future completed (which orders
   * the write before the read).
   */
  long startedAt;

  /** The task running a synchronous loader on the executor, if any, so a timeout can stop it. */
  volatile LoadTask<?, V> task;

  Flight(Entry<V> previous, LoadPath.Reason reason) {
    this.previous = previous;
    this.reason = reason;
  }
}
