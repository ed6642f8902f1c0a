package dev.headroom.shed;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One request waiting for a slot in a {@link LoadShedder} queue.
 *
 * <p>Its state moves once, from {@link #WAITING} to either {@link #GRANTED} (by the drainer,
 * which has already counted the slot in-flight for it) or {@link #ABANDONED} (by the waiting
 * thread on timeout or interrupt). Both use CAS, so exactly one side wins; the loser undoes
 * its part (the drainer gives the slot back, the waiter takes the granted slot). The CAS is a
 * full fence, so the waiter that reads GRANTED also sees everything the drainer wrote first.
 */
final class Waiter {
  static final int WAITING = 0;
  static final int GRANTED = 1;
  static final int ABANDONED = 2;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Thread thread;
  final int priority;
  final long enqueuedNanos;
  private volatile int state;

  Waiter(Thread thread, int priority, long enqueuedNanos) {
    this.thread = thread;
    this.priority = priority;
    this.enqueuedNanos = enqueuedNanos;
  }

  int lvState() {
    return state;
  }

  boolean casState(int expected, int next) {
    return STATE.compareAndSet(this, expected, next);
  }
}
