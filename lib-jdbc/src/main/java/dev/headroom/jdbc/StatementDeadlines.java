package dev.headroom.jdbc;

import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The statement deadline of one {@link BudgetedDataSource}: every execution of a statement from
 * one of its connections is admitted through a deadline-only {@link Guard} and cancelled with
 * {@link Statement#cancel()} when the guard's deadline passes, at millisecond precision (JDBC's
 * own {@code setQueryTimeout} counts whole seconds).
 *
 * <p>Algorithm: one daemon timer thread per data source; each execution schedules a
 * {@link Watch} at its deadline and takes it back when it returns. The watch and the executing
 * thread race on one state word: the timer moves it from RUNNING to CANCELLING (then calls
 * {@code cancel()}, then CANCELLED), the caller from RUNNING to DONE. Exactly one wins. A caller
 * that loses waits until the cancel has been sent before it returns, so that a late cancel can
 * never reach the statement's next execution (the hazard of cancelling a reused statement from
 * another thread). A statement that failed after its watch won is reported to the guard as a
 * timeout and thrown as an {@link SQLTimeoutException} naming the data source and the deadline,
 * with the driver's exception as its cause; one that returned anyway is a success.
 *
 * <p>Outcomes reported to the guard: a return is a success (its latency feeds the adaptive
 * deadline); a cancel by the deadline, or the driver's own {@link SQLTimeoutException} (the
 * query timeout in seconds), a timeout; any other {@link SQLException} a failure (the database
 * answered, but its latency is not a successful statement's, so the deadline learns nothing
 * from it); a {@link RuntimeException} or {@link Error} from the driver an ignored call.
 *
 * <p>Thread-safety: safe for concurrent use. Each execution allocates its watch, the timer's
 * task and the guard's permit, and takes the timer queue's lock twice: next to a round trip to
 * the database these are small, and the statement path of a connection pool is not lock-free
 * either.
 */
final class StatementDeadlines {

  /** One execution of a statement body. */
  interface SqlCall<T> {
    T run() throws SQLException;
  }

  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int CANCELLING = 2;
  private static final int CANCELLED = 3;

  private final String name;
  private final Guard guard;
  private final ScheduledThreadPoolExecutor timer;

  StatementDeadlines(String name, DeadlinePolicy policy, dev.headroom.core.NanoClock clock) {
    this.name = name;
    this.guard = Guard.builder(name + ".statements").deadline(policy).clock(clock).build();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "headroom-jdbc-deadline-" + name);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  Guard guard() {
    return guard;
  }

  /** Stops the timer: executions that start afterwards run without a deadline. */
  void close() {
    timer.shutdownNow();
  }

  /**
   * Runs one execution of {@code statement} under the deadline in force.
   *
   * @throws SQLTimeoutException if the deadline cancelled it
   * @throws SQLException whatever else the driver threw
   */
  <T> T run(Statement statement, SqlCall<T> call) throws SQLException {
    GuardPermit permit = guard.tryAcquire(); // deadline only: always admitted
    long timeout = permit.timeoutNanos();
    Watch watch = new Watch(statement);
    ScheduledFuture<?> scheduled;
    try {
      scheduled = timer.schedule(watch, timeout, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      permit.onIgnore(); // the data source is closed: no deadline, nothing learnt
      return call.run();
    }
    T result;
    try {
      result = call.run();
    } catch (SQLException e) {
      scheduled.cancel(false);
      if (!watch.finish()) {
        watch.awaitCancelled();
        permit.onTimeout();
        SQLTimeoutException timedOut = new SQLTimeoutException("jdbc \"" + name + "\": statement"
            + " cancelled at its deadline of " + millis(timeout) + " ms ("
            + describe(guard.deadlinePolicy()) + ")", e.getSQLState(), e.getErrorCode(), e);
        throw timedOut;
      }
      permit.onFailure(e); // classified: the driver's own SQLTimeoutException is a timeout
      throw e;
    } catch (RuntimeException | Error e) {
      scheduled.cancel(false);
      if (!watch.finish()) {
        watch.awaitCancelled();
      }
      permit.onIgnore();
      throw e;
    }
    scheduled.cancel(false);
    if (!watch.finish()) {
      watch.awaitCancelled(); // it answered as the cancel went out: a success all the same
    }
    permit.onSuccess();
    return result;
  }

  private static String millis(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
  }

  private static String describe(DeadlinePolicy policy) {
    return policy.isAdaptive()
        ? "adaptive: p" + String.format(java.util.Locale.ROOT, "%.1f", policy.percentile() * 100)
            + " of recent statements x "
            + policy.headroom() + ", floor " + policy.floor().toMillis() + " ms, ceiling "
            + policy.ceiling().toMillis() + " ms"
        : "fixed";
  }

  /** The deadline's side of one execution. */
  private static final class Watch extends AtomicInteger implements Runnable {
    private static final long serialVersionUID = 1L;

    private final transient Statement statement;

    Watch(Statement statement) {
      super(RUNNING);
      this.statement = statement;
    }

    /** The deadline passed: cancel, unless the execution returned first. */
    @Override
    public void run() {
      if (!compareAndSet(RUNNING, CANCELLING)) {
        return;
      }
      try {
        statement.cancel();
      } catch (SQLException | RuntimeException ignored) {
        // The driver could not cancel (closed statement, no support): the execution then ends
        // by itself, and the caller still reports it as cut by the deadline.
      } finally {
        set(CANCELLED);
      }
    }

    /** The execution returned or threw: true if that was before the deadline's cancel. */
    boolean finish() {
      return compareAndSet(RUNNING, DONE);
    }

    /** Waits until the cancel that won the race has been sent. */
    void awaitCancelled() {
      while (get() != CANCELLED) {
        LockSupport.parkNanos(50_000L);
      }
    }
  }
}
