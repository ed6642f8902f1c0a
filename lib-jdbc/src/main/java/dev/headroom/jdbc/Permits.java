package dev.headroom.jdbc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A counting semaphore with a limit that can move, a bounded wait, and exact in-use and waiting
 * counts: the per-pod connection budget.
 *
 * <p>Algorithm. The limit and the number of permits in use live in one {@code long}
 * ({@code state}): in-use in the high 32 bits, the limit in the low 32 bits. Acquiring is a CAS
 * loop that succeeds only while {@code inUse < limit}; because both halves are read and written
 * by the same CAS, a permit is never granted against a limit that has already been lowered: a
 * shrink takes effect for every acquisition that starts after {@link #setLimit} returns, and
 * permits already granted above the new limit simply drain as they are released. Releasing is
 * one {@code getAndAdd(-2^32)}, an atomic add that cannot fail and retry under contention (a CAS
 * loop would), and that only touches the high half: subtracting from the high half never
 * borrows from the limit below it. A release without a matching acquire is seen in the value the
 * add returns (in-use was 0) and undone with the opposite add; the sum of both stays exact even
 * if another thread acquires in between, and the caller gets an exception.
 *
 * <p>Waiting. A caller that finds no permit increments {@code waiting}, enqueues its thread on a
 * lock-free queue, re-tries, and parks with the remaining timeout. Who races with whom:
 * <ul>
 *   <li>waiter vs. releaser (the lost-wake-up race): the waiter writes {@code waiting} and the
 *       queue, then reads {@code state}; the releaser writes {@code state}, then reads
 *       {@code waiting} and the queue. All of these are volatile accesses, which are
 *       sequentially consistent with each other, so at least one side sees the other's write:
 *       either the waiter's re-try sees the released permit, or the releaser sees the waiter
 *       and unparks the head of the queue ({@link LockSupport#unpark} before {@code park} makes
 *       the park return at once).
 *   <li>the unparked head vs. a barging acquirer: the barger may take the permit first; the
 *       head then parks again and is woken by the barger's own release. Waiting is therefore
 *       not FIFO-fair (nor is HikariCP's bag), which keeps the uncontended path one CAS.
 *   <li>a wake-up consumed by a thread that is leaving (it timed out, or it acquired and more
 *       permits remain): every leaving waiter first removes itself from the queue, then, if a
 *       permit is still free and someone is queued, unparks the new head. If the releaser saw
 *       the leaving thread still queued, that observation precedes the removal in the
 *       synchronisation order, so the leaving thread's later read of {@code state} sees the
 *       release and passes the wake-up on. Growing the limit wakes the head the same way, and
 *       the chain of leaving waiters wakes as many as there are new permits.
 * </ul>
 *
 * <p>Cost: the uncontended acquire is a volatile read and one CAS, the release one atomic add
 * and one volatile read; neither allocates. Only the waiting path allocates (a queue node).
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class Permits {

  private static final VarHandle STATE;
  private static final VarHandle WAITING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(Permits.class, "state", long.class);
      WAITING = lookup.findVarHandle(Permits.class, "waiting", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** High 32 bits: in use; low 32 bits: limit. Accessed only through {@link #STATE}. */
  @SuppressWarnings("unused")
  private volatile long state;

  /** Threads between entering and leaving the waiting path. */
  @SuppressWarnings("unused")
  private volatile int waiting;

  private final ConcurrentLinkedQueue<Thread> waiters = new ConcurrentLinkedQueue<>();

  Permits(int limit) {
    STATE.setVolatile(this, pack(limit, 0));
  }

  /** One permit, as it counts in {@code state}. */
  private static final long ONE = 1L << 32;

  private static long pack(int limit, int inUse) {
    return ((long) inUse << 32) | (limit & 0xFFFF_FFFFL);
  }

  private static int limitOf(long state) {
    return (int) state;
  }

  private static int inUseOf(long state) {
    return (int) (state >> 32);
  }

  private long lvState() {
    return (long) STATE.getVolatile(this);
  }

  private boolean casState(long expected, long next) {
    return STATE.compareAndSet(this, expected, next);
  }

  private int lvWaiting() {
    return (int) WAITING.getVolatile(this);
  }

  /** Returns the current limit. */
  int limit() {
    return limitOf(lvState());
  }

  /** Returns the permits held now; may exceed the limit for a while after a shrink. */
  int inUse() {
    return inUseOf(lvState());
  }

  /** Returns the threads waiting for a permit now. */
  int waiting() {
    return lvWaiting();
  }

  /**
   * Takes a permit if one is free, without waiting.
   *
   * @return whether a permit was taken
   */
  boolean tryAcquire() {
    while (true) {
      long s = lvState();
      if (inUseOf(s) >= limitOf(s)) {
        return false;
      }
      if (casState(s, s + ONE)) {
        return true;
      }
    }
  }

  /**
   * Takes a permit, waiting at most {@code timeoutNanos} for one.
   *
   * @param timeoutNanos the longest wait, {@code >= 0}
   * @return whether a permit was taken
   * @throws InterruptedException if the thread is interrupted while waiting (no permit is held)
   */
  boolean acquire(long timeoutNanos) throws InterruptedException {
    if (tryAcquire()) {
      return true;
    }
    if (timeoutNanos <= 0) {
      return false;
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    long deadline = System.nanoTime() + timeoutNanos;
    Thread me = Thread.currentThread();
    WAITING.getAndAdd(this, 1);
    waiters.add(me);
    try {
      while (true) {
        if (tryAcquire()) {
          return true;
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return false;
        }
        LockSupport.parkNanos(this, remaining);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      waiters.remove(me);
      WAITING.getAndAdd(this, -1);
      // Pass on a wake-up this thread may have consumed while leaving (see the class comment).
      long s = lvState();
      if (inUseOf(s) < limitOf(s)) {
        wakeHead();
      }
    }
  }

  /**
   * Returns a permit.
   *
   * @throws IllegalStateException if no permit is held (a release without an acquire); the
   *     count is left unchanged
   */
  void release() {
    long before = (long) STATE.getAndAdd(this, -ONE);
    if (inUseOf(before) <= 0) {
      STATE.getAndAdd(this, ONE);
      throw new IllegalStateException("permits released more often than acquired");
    }
    if (lvWaiting() > 0) {
      wakeHead();
    }
  }

  /**
   * Moves the limit. Growing wakes waiters at once; shrinking refuses new permits at once and
   * lets those above the new limit drain as they are released.
   *
   * @param limit the new limit, {@code >= 1}
   */
  void setLimit(int limit) {
    while (true) {
      long s = lvState();
      if (casState(s, pack(limit, inUseOf(s)))) {
        break;
      }
    }
    if (lvWaiting() > 0) {
      wakeHead();
    }
  }

  private void wakeHead() {
    Thread head = waiters.peek();
    if (head != null) {
      LockSupport.unpark(head);
    }
  }

  @Override
  public String toString() {
    long s = lvState();
    return "Permits[limit=" + limitOf(s) + ", inUse=" + inUseOf(s) + ", waiting=" + lvWaiting()
        + "]";
  }
}
