package dev.headroom.jdbc;

/**
 * The permission-and-outcome protocol with which {@link BudgetedDataSource} guards connection
 * acquisition: a circuit breaker in practice, nothing at all by default. Tokens tie an outcome
 * to the admission that produced it.
 *
 * <p>Thread-safety: implementations are safe for concurrent use and allocation-free while
 * admitting.
 */
interface AcquireGuard {

  /** The token for "do not call the database". */
  long REJECTED = Long.MIN_VALUE;

  /** Admits everything and records nothing. */
  AcquireGuard NONE = new AcquireGuard() {
    @Override
    public long tryAcquire() {
      return 0L;
    }

    @Override
    public void onSuccess(long token, long durationNanos) {}

    @Override
    public void onFailure(long token, long durationNanos, Throwable error) {}

    @Override
    public void onIgnore(long token) {}

    @Override
    public String describeRejection() {
      return "never rejects";
    }

    @Override
    public long retryAfterNanos() {
      return 0L;
    }
  };

  /** Returns a token, or {@link #REJECTED} if the database must not be asked. */
  long tryAcquire();

  /** The pool handed out a connection after {@code durationNanos}. */
  void onSuccess(long token, long durationNanos);

  /** The pool (or the driver behind it) failed after {@code durationNanos}. */
  void onFailure(long token, long durationNanos, Throwable error);

  /** The attempt did not reach the database (no permit, interrupted): it does not count. */
  void onIgnore(long token);

  /** Describes why the last {@link #tryAcquire} was refused, for the exception message. */
  String describeRejection();

  /** Returns the hint for a refused caller, in nanoseconds. */
  long retryAfterNanos();
}
