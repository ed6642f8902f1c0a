package dev.headroom.cache;

import dev.headroom.core.Checks;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task after a delay: the timer behind a {@link HeadroomCache}'s loader timeout and the
 * waits of a {@link LoadPath} (a fleet tier polling for a value another instance publishes).
 *
 * <p>Delays are in nanoseconds of the cache's {@link dev.headroom.core.NanoClock}. The default,
 * {@link #system()}, runs tasks on one shared daemon thread in real time; a test or a
 * virtual-time simulation injects a scheduler that runs each task when its manual clock reaches
 * the task's due time, so that the whole cache, timeouts included, runs in virtual time.
 *
 * <p>Tasks must be short and must not block: they complete futures and start loads, nothing
 * more. A task that throws is dropped (and, on {@link #system()}, does not stop the thread).
 *
 * <p>Thread-safety: implementations are called from any thread and must be thread-safe.
 */
@FunctionalInterface
public interface Scheduler {

  /**
   * Runs {@code task} once, {@code delayNanos} from now.
   *
   * @param delayNanos the delay in nanoseconds of the cache's clock; {@code <= 0} runs the task
   *     as soon as possible
   * @param task the task
   * @return a handle that cancels the task if it has not run yet
   */
  Scheduled schedule(long delayNanos, Runnable task);

  /**
   * A task handed to a {@link Scheduler}.
   *
   * <p>Thread-safety: {@link #cancel()} may be called from any thread, any number of times.
   */
  @FunctionalInterface
  interface Scheduled {
    /** Cancels the task if it has not run yet; does nothing otherwise. Never throws. */
    void cancel();
  }

  /**
   * Returns the shared real-time scheduler: one daemon thread ({@code headroom-cache-timer}),
   * started on first use, that removes cancelled tasks at once.
   *
   * @return the shared scheduler
   */
  static Scheduler system() {
    return SystemScheduler.INSTANCE;
  }

  /**
   * Adapts a {@link ScheduledExecutorService}; delays are read as real nanoseconds.
   *
   * @param executor the executor; the caller keeps owning it
   * @return a scheduler that schedules on {@code executor}
   * @throws IllegalArgumentException if {@code executor} is null
   */
  static Scheduler of(ScheduledExecutorService executor) {
    Checks.requireNonNull("executor", executor);
    return (delayNanos, task) -> {
      ScheduledFuture<?> future =
          executor.schedule(task, Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    };
  }
}

/** {@link Scheduler#system()}: a lazily started single daemon thread. */
final class SystemScheduler implements Scheduler {
  static final SystemScheduler INSTANCE = new SystemScheduler();

  private SystemScheduler() {}

  @Override
  public Scheduled schedule(long delayNanos, Runnable task) {
    // A task that throws completes its ScheduledFuture exceptionally; the thread goes on.
    ScheduledFuture<?> future =
        Holder.EXECUTOR.schedule(task, Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  @Override
  public String toString() {
    return "Scheduler.system()";
  }

  private static final class Holder {
    static final ScheduledThreadPoolExecutor EXECUTOR = create();

    private static ScheduledThreadPoolExecutor create() {
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "headroom-cache-timer");
        t.setDaemon(true);
        return t;
      });
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }
}
