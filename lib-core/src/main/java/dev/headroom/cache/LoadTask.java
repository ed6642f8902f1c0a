package dev.headroom.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A synchronous loader run on the refresh executor, which a timed-out load can interrupt.
 *
 * <p>Algorithm (FutureTask's, reduced): {@code state} goes NEW -> RUNNING -> DONE when the loader
 * finishes, or NEW -> CANCELLED when cancelled before it ran, or RUNNING -> INTERRUPTING ->
 * CANCELLED when cancelled while it ran. The runner and {@link #cancel()} race on the CAS out of
 * RUNNING: exactly one wins. If cancel wins it interrupts the runner and only then publishes
 * CANCELLED; a runner that lost waits for CANCELLED before clearing its interrupt flag, so the
 * interrupt can never leak into the next task the pool thread runs. {@code runner} is written
 * before the CAS into RUNNING and read after a CAS out of it, so the volatile CASes order it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
final class LoadTask<K, V> implements Runnable {

  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;
  private static final int INTERRUPTING = 3;
  private static final int CANCELLED = 4;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(LoadTask.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final CompletableFuture<V> future = new CompletableFuture<>();
  private final K key;
  private final Function<? super K, ? extends V> loader;
  private volatile int state;
  private Thread runner;

  LoadTask(K key, Function<? super K, ? extends V> loader) {
    this.key = key;
    this.loader = loader;
  }

  @Override
  public void run() {
    runner = Thread.currentThread();
    if (!STATE.compareAndSet(this, NEW, RUNNING)) {
      return;
    }
    V value = null;
    Throwable failure = null;
    try {
      value = loader.apply(key);
    } catch (Throwable t) {
      failure = t;
    }
    if (STATE.compareAndSet(this, RUNNING, DONE)) {
      if (failure == null) {
        future.complete(value);
      } else {
        future.completeExceptionally(failure);
      }
    } else {
      while (state == INTERRUPTING) {
        Thread.onSpinWait();
      }
      Thread.interrupted();
    }
  }

  /** Stops the task: it never runs, or its thread is interrupted. Its result is discarded. */
  void cancel() {
    if (STATE.compareAndSet(this, NEW, CANCELLED)) {
      return;
    }
    if (STATE.compareAndSet(this, RUNNING, INTERRUPTING)) {
      try {
        runner.interrupt();
      } finally {
        state = CANCELLED;
      }
    }
  }
}
