package dev.headroom.jdbc;

import java.sql.SQLTransientConnectionException;
import java.time.Duration;

/**
 * Thrown by {@link BudgetedDataSource#getConnection()} when it refuses to hand out a connection:
 * the per-pod budget stayed exhausted for the whole acquire timeout, the breaker guarding the
 * database is open, or the database kept refusing new connections at its limit until the
 * caller's deadline (then {@link #getCause()} is the database's refusal, SQLSTATE {@code 53300}
 * or the server's equivalent). It is a {@link SQLTransientConnectionException} (SQLState {@code 08001}), so
 * code that already retries transient connection errors keeps working, and its message names
 * the data source, the budget, the permits in use and the callers waiting, like HikariCP's own
 * timeout message does.
 *
 * <p>Created without a stack trace: refusals come in bursts exactly when the service is
 * overloaded, and the message already says what happened.
 *
 * <p>Thread-safety: immutable.
 */
public final class ConnectionRejectedException extends SQLTransientConnectionException {

  private static final long serialVersionUID = 1L;

  /** Why a connection was refused. */
  public enum Reason {
    /** No permit became free within the acquire timeout. */
    BUDGET_EXHAUSTED,
    /** The breaker guarding the database is open: the database is not even asked. */
    BREAKER_OPEN,
    /**
     * The database refused new connections at its connection limit (PostgreSQL SQLSTATE
     * {@code 53300}) on every attempt until the caller's deadline; the cause is the last refusal.
     */
    DATABASE_REFUSED
  }

  /** The data source's name. */
  private final String name;
  /** Why the connection was refused. */
  private final Reason reason;
  /** The permit limit at the time of the refusal. */
  private final int budget;
  /** The permits in use at the time of the refusal. */
  private final int inUse;
  /** The callers waiting at the time of the refusal. */
  private final int waiting;
  /** The retry hint in nanoseconds. */
  private final long retryAfterNanos;

  ConnectionRejectedException(String message, String name, Reason reason, int budget, int inUse,
      int waiting, long retryAfterNanos) {
    super(message, "08001");
    this.name = name;
    this.reason = reason;
    this.budget = budget;
    this.inUse = inUse;
    this.waiting = waiting;
    this.retryAfterNanos = Math.max(0L, retryAfterNanos);
  }

  /**
   * Returns the data source's name.
   *
   * @return the name given to the builder
   */
  public String name() {
    return name;
  }

  /**
   * Returns why the connection was refused.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * Returns the per-pod budget (the permit limit) at the time of the refusal.
   *
   * @return the budget
   */
  public int budget() {
    return budget;
  }

  /**
   * Returns the permits in use at the time of the refusal.
   *
   * @return the permits in use
   */
  public int inUse() {
    return inUse;
  }

  /**
   * Returns the callers that were waiting for a permit at the time of the refusal.
   *
   * @return the waiting callers
   */
  public int waiting() {
    return waiting;
  }

  /**
   * Returns how long the caller should wait before trying again: the breaker's remaining open
   * time, the next back-off after a database refusal, or zero for an exhausted budget.
   *
   * @return a non-negative hint
   */
  public Duration retryAfter() {
    return Duration.ofNanos(retryAfterNanos);
  }

  /** No stack trace: see the class comment. */
  @Override
  public Throwable fillInStackTrace() {
    return this;
  }
}
