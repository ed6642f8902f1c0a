package dev.headroom.jdbc;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.RejectedException;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import dev.headroom.budget.PoolSizer;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.io.PrintWriter;
import java.lang.ref.Cleaner;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that wraps a connection pool (HikariCP first-class, any pool through
 * {@link PoolControl}) and keeps this pod inside its share of the database's connections.
 *
 * <pre>{@code
 * HikariDataSource hikari = new HikariDataSource(config);
 * BudgetedDataSource dataSource = BudgetedDataSource.builder("orders", hikari)
 *     .maxPoolSize(5)                            // this pod's share of the budget
 *     .acquireTimeout(Duration.ofMillis(500))    // bounded wait for a permit
 *     .defaultQueryTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <p>With a {@link PoolSizer} (the pod's share of a {@code PoolBudget}, following the pod
 * count), {@code .sizer(sizer)} replaces {@code .maxPoolSize(..)}: the data source starts at the
 * sizer's current size and follows every change through {@link #resize(int, int)}.
 *
 * <p>What it does on every {@link #getConnection()}:
 * <ol>
 *   <li>Asks the breaker guarding the database, if one is configured: while it is open the call
 *       fails fast with {@link ConnectionRejectedException} ({@code BREAKER_OPEN}) and the pool
 *       is not touched; while it is half-open only the ramp's fraction of calls goes through.
 *   <li>Takes one of its own permits: at most {@link #maxPoolSize()} connections are handed out
 *       at once, whatever the pool's own size. If none is free it waits up to
 *       {@link BudgetedDataSourceConfig#acquireTimeout()}, then throws
 *       {@link ConnectionRejectedException} ({@code BUDGET_EXHAUSTED}) naming the budget, the
 *       permits in use and the callers waiting.
 *   <li>Borrows from the pool and reports the outcome to the breaker: any {@link SQLException}
 *       from the pool is a failure (the database refused or is unreachable).
 *   <li>Returns a connection whose statements get the default query timeout (and, with
 *       {@link Builder#statementDeadline}, a deadline per execution in milliseconds, fixed or
 *       adaptive), and whose permit is
 *       released exactly once, on the first {@code close()} or {@code abort()}; later calls do
 *       nothing. With {@link BudgetedDataSourceConfig#reclaimAbandoned()} a connection that
 *       becomes unreachable without being closed is closed and its permit released by a
 *       {@link Cleaner}; otherwise it keeps its permit, exactly as it keeps the pool's
 *       connection (HikariCP does not reclaim either), and {@link #inUse()} shows it.
 * </ol>
 *
 * <p>{@link #resize(int, int)} moves the budget live: growing raises the pool first, then the
 * permits; shrinking lowers the permits first (new borrowers wait at once), then the pool's
 * maximum and minimum idle, and then closes only the surplus: idle connections above the new
 * size at once, borrowed ones above it as they come back; every other connection stays open, so
 * the pool never dips below what its borrowers use (see {@link PoolControl}).
 *
 * <p>A refusal by the database at its connection limit (PostgreSQL SQLSTATE {@code 53300}, or
 * the server's equivalent: see {@code Refusals}) is a budget signal, not a failure of the call:
 * the borrower keeps its permit, backs off (10 ms doubling to 200 ms, jittered) and tries again
 * while its deadline, the acquire timeout from the call's start, allows. Only when the deadline
 * passes does it get a {@link ConnectionRejectedException} ({@code DATABASE_REFUSED}) whose
 * cause is the database's refusal. The breaker hears one outcome per call, as before.
 *
 * <p>Life cycle: {@link #close()} closes what the data source owns: the sizer it follows, and
 * the pool when {@link BudgetedHikari} built it. A HikariCP pool handed in already started, with
 * a maximum above the budget, is refused at {@code build()}: it may already hold connections the
 * budget does not allow.
 *
 * <p>Time: acquisition is timed with the injected {@link NanoClock}, by default
 * {@link NanoClock#coarse()} (one volatile load per read). A short acquisition then usually
 * measures 0 and occasionally one tick, which keeps the sum unbiased; waits for a permit use
 * {@code System.nanoTime()} for their deadline.
 *
 * <p>Thread-safety: safe for concurrent use. {@link #getConnection()} and the returned
 * connections' {@code close()} take no lock; one wrapper object is allocated per borrow (as
 * HikariCP allocates its own proxy). {@link #resize(int, int)} is serialised on this object,
 * which is never locked by the borrowing path.
 */
public final class BudgetedDataSource implements DataSource, Instrumented, AutoCloseable {

  /** First back-off after a database refusal; doubles per attempt, jittered. */
  private static final long REFUSAL_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /** Longest back-off between two attempts after database refusals. */
  private static final long REFUSAL_BACKOFF_CAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final BudgetedDataSourceConfig config;
  private final DataSource delegate;
  private final PoolControl control;
  /** The breaker's call path (a breaker-only {@link Guard}); null: no breaker. */
  private final Guard guard;
  private final NanoClock clock;
  private final Permits permits;
  private final long acquireTimeoutNanos;
  final int queryTimeoutSeconds;
  /** The statement deadline of {@link Builder#statementDeadline}, or null. */
  final StatementDeadlines statementDeadlines;
  private final PoolSizer sizer; // null: fixed size
  private final PoolSizer.Listener sizerListener;
  private final AutoCloseable ownedPool; // null: the pool belongs to the caller
  private volatile int minIdle;
  /**
   * Surplus connections still to close after a shrink: each claim (a CAS down to 0) closes one,
   * idle now or busy when returned. Read on every close, written only by resizes and claims, so
   * it lives in this read-mostly object rather than in a separate atomic that the allocator may
   * place on the cache line of the permits, which every borrow writes (a 2-thread run measured
   * 337 ns per borrow with such an atomic, against 122 for bare HikariCP).
   */
  @SuppressWarnings("unused")
  private volatile int surplus;

  private static final java.lang.invoke.VarHandle SURPLUS;

  static {
    try {
      SURPLUS = java.lang.invoke.MethodHandles.lookup().findVarHandle(BudgetedDataSource.class,
          "surplus", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private int lvSurplus() {
    return (int) SURPLUS.getVolatile(this);
  }

  private void svSurplus(int value) {
    SURPLUS.setVolatile(this, value);
  }

  private boolean casSurplus(int expected, int next) {
    return SURPLUS.compareAndSet(this, expected, next);
  }
  private volatile boolean closed;

  private final LongAdder acquired = new LongAdder();
  private final LongAdder acquireNanos = new LongAdder();
  private final LongAdder rejectedBudget = new LongAdder();
  private final LongAdder rejectedBreaker = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder reclaimed = new LongAdder();
  private final LongAdder resizes = new LongAdder();
  private final LongAdder refusals = new LongAdder();
  private final LongAdder rejectedRefused = new LongAdder();
  private final LongAdder surplusClosed = new LongAdder();

  private BudgetedDataSource(BudgetedDataSourceConfig config, DataSource delegate,
      PoolControl control, Guard guard, NanoClock clock, int initialPermits,
      PoolSizer sizer, AutoCloseable ownedPool, StatementDeadlines statementDeadlines) {
    this.config = config;
    this.delegate = delegate;
    this.control = control;
    this.guard = guard;
    this.clock = clock;
    this.permits = new Permits(initialPermits);
    this.acquireTimeoutNanos = config.acquireTimeout().toNanos();
    this.queryTimeoutSeconds = (int) config.defaultQueryTimeout().getSeconds();
    this.minIdle = config.minIdle();
    this.sizer = sizer;
    this.sizerListener = sizer == null ? null
        : (before, now) -> applySize(now.maxPoolSize(), Math.min(now.minIdle(), now.maxPoolSize()));
    this.ownedPool = ownedPool;
    this.statementDeadlines = statementDeadlines;
  }

  /**
   * Starts a builder.
   *
   * @param name the name used in metrics and messages, e.g. {@code "orders-db"}
   * @param pool the pool to wrap, e.g. a {@code HikariDataSource}
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is blank or {@code pool} is null
   */
  public static Builder builder(String name, DataSource pool) {
    return new Builder(Checks.requireNonBlank("name", name), Checks.requireNonNull("pool", pool));
  }

  // ---------------------------------------------------------------------------------------------
  // Borrowing.

  /**
   * Borrows a connection within the per-pod budget.
   *
   * @return a connection; close it to return it to the pool and release its permit
   * @throws ConnectionRejectedException if the breaker is open or no permit became free within
   *     the acquire timeout
   * @throws SQLException if the pool fails (the permit is released first), or the thread is
   *     interrupted while waiting (the interrupt flag is kept)
   */
  @Override
  public Connection getConnection() throws SQLException {
    return borrow(null, null);
  }

  /**
   * Borrows a connection for another user within the same budget; many pools (HikariCP among
   * them) do not support this and throw {@link SQLFeatureNotSupportedException}.
   *
   * @param username the database user
   * @param password the password
   * @return a connection; close it to return it to the pool and release its permit
   * @throws ConnectionRejectedException if the breaker is open or no permit became free within
   *     the acquire timeout
   * @throws SQLException if the pool fails or does not support this call
   * @throws IllegalArgumentException if {@code username} is null
   */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return borrow(Checks.requireNonNull("username", username), password);
  }

  private Connection borrow(String username, String password) throws SQLException {
    final long start = clock.nanoTime();
    final Guard g = guard;
    GuardPermit permit = null;
    if (g != null) {
      permit = g.tryAcquire();
      if (!permit.isAdmitted()) {
        rejectedBreaker.increment();
        throw breakerOpen(permit.rejection());
      }
    }
    if (!permits.tryAcquire()) {
      waitForPermit(permit);
    }
    final long borrowStart = clock.nanoTime();
    Connection connection;
    long deadline = 0L;
    int attempt = 0;
    while (true) {
      try {
        connection = username == null
            ? delegate.getConnection()
            : delegate.getConnection(username, password);
        if (connection == null) {
          throw new SQLException("pool " + delegate + " returned a null connection", "08001");
        }
        break;
      } catch (SQLFeatureNotSupportedException e) {
        permits.release();
        if (permit != null) {
          permit.onIgnore();
        }
        throw e;
      } catch (SQLException e) {
        SQLException refusal = Refusals.connectionLimit(e);
        if (refusal == null) {
          failed(permit, borrowStart, e);
          throw e;
        }
        // The database is at its connection limit: a budget signal, not a failure of this
        // call yet. Back off and try again while the caller's deadline allows.
        refusals.increment();
        long now = System.nanoTime();
        if (attempt == 0) {
          deadline = now - Math.max(0L, clock.nanoTime() - start) + acquireTimeoutNanos;
        }
        long backoff = refusalBackoff(attempt++);
        if (deadline - now <= backoff || closed) {
          ConnectionRejectedException rejected = databaseRefused(e, refusal, attempt, backoff);
          rejectedRefused.increment();
          failed(permit, borrowStart, rejected);
          throw rejected;
        }
        try {
          TimeUnit.NANOSECONDS.sleep(backoff);
        } catch (InterruptedException interrupted) {
          permits.release();
          if (permit != null) {
            permit.onIgnore();
          }
          Thread.currentThread().interrupt();
          SQLException wrapped = new SQLException("jdbc \"" + config.name() + "\": interrupted"
              + " while backing off from a database refusal", "08001", interrupted);
          wrapped.addSuppressed(e);
          throw wrapped;
        }
      } catch (RuntimeException | Error e) {
        failed(permit, borrowStart, e);
        throw e;
      }
    }
    final long end = clock.nanoTime();
    if (permit != null) {
      // Timed from the borrow, after any wait for a budget permit: the wait is this pod's own
      // contention, not the database's latency.
      permit.onSuccess(end - borrowStart);
    }
    acquired.increment();
    acquireNanos.add(end - start);
    if (config.reclaimAbandoned()) {
      return Reclaimer.track(connection, this);
    }
    return new BudgetedConnection(connection, this, null);
  }

  /**
   * A failed borrow: the permit goes back and the guard hears the failure, which it classifies
   * (a timeout or any other error is a breaker failure, as before; a {@link RejectedException}
   * from a pool that sheds load counts for nothing in the breaker).
   */
  private void failed(GuardPermit permit, long borrowStart, Throwable e) {
    permits.release();
    failures.increment();
    if (permit != null) {
      permit.onFailure(e, clock.nanoTime() - borrowStart);
    }
  }

  /** Full-jitter exponential back-off: 10 ms doubling to 200 ms, each drawn in [half, whole]. */
  private static long refusalBackoff(int attempt) {
    long ceiling = Math.min(REFUSAL_BACKOFF_CAP_NANOS,
        REFUSAL_BACKOFF_NANOS << Math.min(attempt, 10));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  private ConnectionRejectedException databaseRefused(SQLException thrown, SQLException refusal,
      int attempts, long retryAfter) {
    int budget = permits.limit();
    int inUse = permits.inUse();
    int waiting = permits.waiting();
    String message = "jdbc \"" + config.name() + "\": the database refused new connections at"
        + " its limit (SQLSTATE " + refusal.getSQLState() + ": " + refusal.getMessage() + ") on "
        + attempts + (attempts == 1 ? " attempt" : " attempts") + " within "
        + config.acquireTimeout().toMillis() + " ms (budget " + budget + ", in use " + inUse
        + ", waiting " + waiting + ")";
    ConnectionRejectedException e = new ConnectionRejectedException(message, config.name(),
        ConnectionRejectedException.Reason.DATABASE_REFUSED, budget, inUse, waiting,
        retryAfter);
    e.initCause(thrown);
    return e;
  }

  private void waitForPermit(GuardPermit permit) throws SQLException {
    if (closed) {
      if (permit != null) {
        permit.onIgnore();
      }
      throw closedException();
    }
    boolean granted;
    try {
      granted = permits.acquire(acquireTimeoutNanos);
    } catch (InterruptedException e) {
      if (permit != null) {
        permit.onIgnore();
      }
      Thread.currentThread().interrupt();
      throw new SQLException(
          "jdbc \"" + config.name() + "\": interrupted while waiting for a connection permit",
          "08001", e);
    }
    if (!granted) {
      if (permit != null) {
        permit.onIgnore();
      }
      if (closed) {
        throw closedException();
      }
      rejectedBudget.increment();
      throw budgetExhausted();
    }
  }

  private SQLException closedException() {
    return new SQLException("jdbc \"" + config.name() + "\" is closed", "08003");
  }

  private ConnectionRejectedException budgetExhausted() {
    int budget = permits.limit();
    int inUse = permits.inUse();
    int waiting = permits.waiting();
    PoolSizer s = sizer;
    String hold = s != null && !s.admitted() ? "; the pod's start-up hold: no connection until"
        + " every pod has seen it, " + s.countDelay().toMillis() + " ms after start" : "";
    String message = "jdbc \"" + config.name() + "\" connection budget exhausted: no permit within "
        + config.acquireTimeout().toMillis() + " ms (budget " + budget + ", in use " + inUse
        + ", waiting " + waiting + hold + ")";
    return new ConnectionRejectedException(message, config.name(),
        ConnectionRejectedException.Reason.BUDGET_EXHAUSTED, budget, inUse, waiting, 0L);
  }

  private ConnectionRejectedException breakerOpen(RejectedException cause) {
    int budget = permits.limit();
    int inUse = permits.inUse();
    int waiting = permits.waiting();
    long retryAfter = cause.retryAfter().toNanos();
    String message = "jdbc \"" + config.name() + "\" failing fast, database not asked: "
        + cause.getMessage() + " (budget " + budget + ", in use " + inUse + ", waiting "
        + waiting + ", retry after " + TimeUnit.NANOSECONDS.toMillis(retryAfter) + " ms)";
    ConnectionRejectedException e = new ConnectionRejectedException(message, config.name(),
        ConnectionRejectedException.Reason.BREAKER_OPEN, budget, inUse, waiting, retryAfter);
    e.initCause(cause);
    return e;
  }

  /** Called exactly once per borrowed connection, by whichever path closed it first. */
  void release() {
    permits.release();
  }

  /**
   * Called when a borrower returns a connection, before it goes back to the pool: while a
   * shrink's surplus is not closed yet, and the pool still holds more connections than the
   * permits allow, claims one unit of surplus and closes this connection for good. The common
   * case is one volatile read of a counter that only resizes write.
   *
   * @return whether the connection was closed for good (the caller must not close it again)
   */
  boolean retireIfSurplus(Connection pooled) {
    if (lvSurplus() <= 0) {
      return false;
    }
    return retireSlow(pooled);
  }

  private boolean retireSlow(Connection pooled) {
    int open = control.openConnections();
    if (open >= 0 && open <= Math.max(1, permits.limit())) {
      svSurplus(0); // the pool closed some itself: nothing left above the budget
      return false;
    }
    if (!claimSurplus()) {
      return false;
    }
    try {
      if (control.retire(pooled)) {
        surplusClosed.increment();
        return true;
      }
    } catch (SQLException | RuntimeException e) {
      // fall through: returned normally, and the unit of surplus is given back
    }
    SURPLUS.getAndAdd(this, 1);
    return false;
  }

  private boolean claimSurplus() {
    while (true) {
      int left = lvSurplus();
      if (left <= 0) {
        return false;
      }
      if (casSurplus(left, left - 1)) {
        return true;
      }
    }
  }

  /** Called when the reclaimer closed a connection nobody closed. */
  void countReclaimed() {
    reclaimed.increment();
  }

  /** Called before a borrowed connection is aborted. */
  void evict(Connection pooled) throws SQLException {
    control.evict(pooled);
  }

  // ---------------------------------------------------------------------------------------------
  // Resizing.

  /**
   * Moves the per-pod budget live, e.g. from a pool sizer's listener when the pod count changes.
   * Growing raises the pool, then the permits (waiters are woken at once); shrinking lowers the
   * permits (no new borrower goes past the new size from now on; borrowed connections above it
   * drain as they are closed), then the pool and its minimum idle.
   *
   * @param maxPoolSize the new per-pod maximum, {@code >= 1}
   * @param minIdle the new minimum idle count, in {@code [0, maxPoolSize]}
   * @throws IllegalArgumentException if a size is out of range
   * @throws RuntimeException if the pool control fails (see {@link PoolControl#resize})
   */
  public void resize(int maxPoolSize, int minIdle) {
    Checks.requirePositive("maxPoolSize", maxPoolSize);
    Checks.requireNonNegative("minIdle", minIdle);
    BudgetedDataSourceConfig.requireMinIdleFits(minIdle, maxPoolSize);
    applySize(maxPoolSize, minIdle);
  }

  /**
   * Applies a size; {@code maxPoolSize} may be 0 (a sizer's start-up hold): no permit, and the
   * pool kept at its smallest size with no idle connection.
   */
  private synchronized void applySize(int maxPoolSize, int minIdle) {
    if (closed) {
      return;
    }
    int poolMax = Math.max(1, maxPoolSize);
    int poolIdle = Math.min(minIdle, maxPoolSize);
    if (maxPoolSize >= permits.limit()) {
      svSurplus(0);
      control.resize(poolMax, poolIdle);
      permits.setLimit(maxPoolSize);
    } else {
      permits.setLimit(maxPoolSize);
      control.resize(poolMax, poolIdle);
      // The pool can no longer open connections above poolMax; close what it holds above it:
      // idle connections now, busy ones as they come back. The rest stay open.
      int open = control.openConnections();
      svSurplus(Math.max(0, open - poolMax));
      while (claimSurplus()) {
        if (!control.closeIdle()) {
          SURPLUS.getAndAdd(this, 1); // none idle: the next returned one goes instead
          break;
        }
        surplusClosed.increment();
      }
    }
    this.minIdle = poolIdle;
    resizes.increment();
  }

  /**
   * Subscribes to a sizer. A change published between reading {@code initial} and subscribing
   * would be missed, and a listener call may race with this thread's catch-up; so after
   * subscribing, this thread applies {@code current()} until it reads the sizes it applied.
   * The listener and the catch-up both end in the synchronised {@link #resize}, and the last
   * one to run applies the newest snapshot, because the sizer publishes before it notifies.
   */
  private void follow(PoolSizer.PoolSize initial) {
    sizer.addListener(sizerListener);
    PoolSizer.PoolSize applied = initial;
    PoolSizer.PoolSize latest;
    // Compare the sizes, not the snapshot objects: the sizer publishes a new snapshot on every
    // pod-count reading, often with the same sizes, and those need no resize.
    while (!sameSizes(latest = sizer.current(), applied)) {
      applySize(latest.maxPoolSize(), Math.min(latest.minIdle(), latest.maxPoolSize()));
      applied = latest;
    }
  }

  /**
   * Closes what this data source owns, in order: stops following the sizer and closes it (it
   * was given to this data source alone), refuses new borrowers ({@link #getConnection()} then
   * throws an {@link SQLException} with SQLState {@code 08003}), stops the statement deadline's
   * timer (statements still executed on borrowed connections run without it and pending
   * deadlines no longer fire), and closes the pool if the data
   * source built it ({@link BudgetedHikari}). A pool passed in by the caller stays open: close
   * it yourself, after this. Borrowed connections may still be closed afterwards. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (sizer != null) {
      sizer.removeListener(sizerListener);
      sizer.close();
    }
    permits.setLimit(0);
    if (statementDeadlines != null) {
      statementDeadlines.close();
    }
    if (ownedPool != null) {
      try {
        ownedPool.close();
      } catch (Exception e) {
        throw new IllegalStateException("jdbc \"" + config.name() + "\": closing the pool"
            + " failed: " + e, e);
      }
    }
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return whether this data source is closed
   */
  public boolean isClosed() {
    return closed;
  }

  private static boolean sameSizes(PoolSizer.PoolSize a, PoolSizer.PoolSize b) {
    return a.maxPoolSize() == b.maxPoolSize() && a.minIdle() == b.minIdle();
  }

  // ---------------------------------------------------------------------------------------------
  // Getters (the scaling-signal layer reads these).

  /**
   * Returns the guard that gives each statement execution its deadline
   * ({@link Builder#statementDeadline}): its {@link Guard#deadline()} is the deadline in force,
   * its {@link Guard#count(Guard.Outcome)} the executions by outcome.
   *
   * @return the statement guard, or null if no statement deadline is set
   */
  public Guard statementGuard() {
    return statementDeadlines == null ? null : statementDeadlines.guard();
  }

  /**
   * Returns the configuration this data source was built with (its initial sizes).
   *
   * @return the configuration
   */
  public BudgetedDataSourceConfig config() {
    return config;
  }

  /**
   * Returns the name.
   *
   * @return the name given to the builder
   */
  public String name() {
    return config.name();
  }

  /**
   * Returns the current per-pod budget: the most connections handed out at once.
   *
   * @return the permit limit
   */
  public int maxPoolSize() {
    return permits.limit();
  }

  /**
   * Returns the current minimum idle count passed to the pool.
   *
   * @return the minimum idle count
   */
  public int minIdle() {
    return minIdle;
  }

  /**
   * Returns the connections borrowed and not yet closed; above {@link #maxPoolSize()} only while
   * a shrink drains.
   *
   * @return the permits in use
   */
  public int inUse() {
    return permits.inUse();
  }

  /**
   * Returns the callers waiting for a permit now: a queue-depth signal.
   *
   * @return the waiting callers
   */
  public int waiting() {
    return permits.waiting();
  }

  /**
   * Returns the physical connections the wrapped pool holds open (borrowed and idle), or
   * {@code -1} if the pool control does not know.
   *
   * @return the open connections, or {@code -1}
   */
  public int openConnections() {
    return control.openConnections();
  }

  /**
   * Returns how many connections were handed out since start.
   *
   * @return the successful acquisitions
   */
  public long acquiredCount() {
    return acquired.sum();
  }

  /**
   * Returns the summed time of successful acquisitions (permit wait plus pool borrow), in
   * nanoseconds of the configured clock.
   *
   * @return the total acquire time
   */
  public long acquireTotalNanos() {
    return acquireNanos.sum();
  }

  /**
   * Returns the calls refused because no permit became free in time.
   *
   * @return the budget rejections
   */
  public long budgetRejections() {
    return rejectedBudget.sum();
  }

  /**
   * Returns the calls refused because the breaker was open.
   *
   * @return the breaker rejections
   */
  public long breakerRejections() {
    return rejectedBreaker.sum();
  }

  /**
   * Returns the calls in which the pool itself failed.
   *
   * @return the pool failures
   */
  public long poolFailures() {
    return failures.sum();
  }

  /**
   * Returns the connections that became unreachable without being closed and were reclaimed
   * (always 0 unless {@link BudgetedDataSourceConfig#reclaimAbandoned()}).
   *
   * @return the reclaimed connections
   */
  public long reclaimedCount() {
    return reclaimed.sum();
  }

  /**
   * Returns how many times the database refused a connection at its limit (each attempt,
   * including those retried successfully).
   *
   * @return the refusals seen
   */
  public long databaseRefusals() {
    return refusals.sum();
  }

  /**
   * Returns the calls that failed because the database kept refusing until their deadline.
   *
   * @return the calls refused by the database
   */
  public long databaseRefusedRejections() {
    return rejectedRefused.sum();
  }

  /**
   * Returns the surplus connections closed after shrinks, idle ones at once and busy ones when
   * returned.
   *
   * @return the connections closed as surplus
   */
  public long surplusClosedCount() {
    return surplusClosed.sum();
  }

  /**
   * Returns how many times {@link #resize(int, int)} was applied.
   *
   * @return the resizes
   */
  public long resizeCount() {
    return resizes.sum();
  }

  /**
   * Declares {@code headroom.jdbc.permits}, {@code .in_use}, {@code .waiting},
   * {@code .open_connections} (gauges), {@code headroom.jdbc.acquire} (timer),
   * {@code headroom.jdbc.rejections} (counter tagged {@code reason=budget|breaker|refused}),
   * {@code headroom.jdbc.failures}, {@code headroom.jdbc.reclaimed},
   * {@code headroom.jdbc.resizes}, {@code headroom.jdbc.refusals} (database refusals at its
   * limit, every attempt) and {@code headroom.jdbc.surplus_closed} (counters), all tagged
   * {@code name}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    String name = config.name();
    sink.gauge(id("headroom.jdbc.permits", name, "Per-pod connection budget (permit limit)"),
        this::maxPoolSize);
    sink.gauge(id("headroom.jdbc.in_use", name, "Connections borrowed and not yet closed"),
        this::inUse);
    sink.gauge(id("headroom.jdbc.waiting", name, "Callers waiting for a permit"),
        this::waiting);
    sink.gauge(id("headroom.jdbc.open_connections", name,
        "Physical connections the pool holds open, -1 if unknown"), this::openConnections);
    sink.timer(id("headroom.jdbc.acquire", name, "Time to obtain a connection")
        .baseUnit("seconds"), acquired::sum, acquireNanos::sum);
    sink.counter(id("headroom.jdbc.rejections", name, "Connections refused")
        .tag("reason", "budget"), rejectedBudget::sum);
    sink.counter(id("headroom.jdbc.rejections", name, "Connections refused")
        .tag("reason", "breaker"), rejectedBreaker::sum);
    sink.counter(id("headroom.jdbc.rejections", name, "Connections refused")
        .tag("reason", "refused"), rejectedRefused::sum);
    sink.counter(id("headroom.jdbc.failures", name, "Pool or driver failures on borrow"),
        failures::sum);
    sink.counter(id("headroom.jdbc.refusals", name,
        "Database refusals at its connection limit, every attempt"), refusals::sum);
    sink.counter(id("headroom.jdbc.surplus_closed", name,
        "Surplus connections closed after shrinks"), surplusClosed::sum);
    sink.counter(id("headroom.jdbc.reclaimed", name, "Abandoned connections reclaimed"),
        reclaimed::sum);
    sink.counter(id("headroom.jdbc.resizes", name, "Budget changes applied"), resizes::sum);
    if (statementDeadlines != null) {
      statementDeadlines.guard().describeMeters(sink);
    }
  }

  private static MeterId id(String meter, String name, String description) {
    return MeterId.of(meter).description(description).tag("name", name);
  }

  // ---------------------------------------------------------------------------------------------
  // DataSource plumbing.

  /**
   * Returns this object, the wrapped pool, or whatever the pool unwraps to.
   *
   * @throws SQLException if neither this, the pool nor anything it wraps is an {@code iface}
   */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return Unwrapping.unwrap(this, delegate, iface);
  }

  /**
   * Tells whether this object, the pool, or anything the pool wraps is an {@code iface}.
   *
   * @throws SQLException if the pool fails to answer
   */
  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return Unwrapping.isWrapperFor(this, delegate, iface);
  }

  /**
   * Delegates to the pool.
   *
   * @throws SQLException if the pool fails
   */
  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  /**
   * Delegates to the pool.
   *
   * @throws SQLException if the pool fails
   */
  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  /**
   * Delegates to the pool.
   *
   * @throws SQLException if the pool fails
   */
  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  /**
   * Delegates to the pool.
   *
   * @throws SQLException if the pool fails
   */
  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  /**
   * Delegates to the pool.
   *
   * @throws SQLFeatureNotSupportedException if the pool does not use java.util.logging
   */
  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public String toString() {
    return "BudgetedDataSource[" + config.name() + ", " + permits + ", pool=" + delegate + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Abandoned connections.

  /**
   * Tracks connections with a {@link Cleaner} so that one which becomes unreachable without
   * being closed is closed and its permit released. Registration costs a lock inside the
   * Cleaner and an allocation per borrow, which is why it is opt-in.
   */
  static final class Reclaimer {
    private static final Cleaner CLEANER = Cleaner.create();

    private Reclaimer() {}

    static Connection track(Connection pooled, BudgetedDataSource owner) {
      BudgetedConnection.Lease lease = new BudgetedConnection.Lease(pooled, owner);
      BudgetedConnection connection = new BudgetedConnection(pooled, owner, lease);
      lease.cleanable = CLEANER.register(connection, lease);
      return connection;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Builder.

  /**
   * Builds a {@link BudgetedDataSource}. Each setter validates its value as called and may be
   * called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final String name;
    private final DataSource pool;
    /** Builds the pool at the budgeted size when the data source builds it, else null. */
    private final PoolFactory factory;
    private Integer maxPoolSize;
    private Integer minIdle;
    private Duration acquireTimeout;
    private Duration defaultQueryTimeout;
    private Boolean reclaimAbandoned;
    private PoolControl poolControl;
    private CircuitBreaker breaker;
    private PoolSizer sizer;
    private NanoClock clock;
    private DeadlinePolicy statementDeadline;

    private Builder(String name, DataSource pool) {
      this.name = name;
      this.pool = pool;
      this.factory = null;
    }

    Builder(String name, PoolFactory factory) {
      this.name = name;
      this.pool = null;
      this.factory = factory;
    }

    /**
     * Sets the per-pod budget: the most connections handed out at once. Default for HikariCP:
     * its {@code maximumPoolSize}; required for any other pool.
     *
     * @param maxPoolSize the budget, {@code >= 1}
     * @return this builder
     * @throws IllegalArgumentException if {@code maxPoolSize < 1}
     * @throws IllegalStateException if already set
     */
    public Builder maxPoolSize(int maxPoolSize) {
      Checks.requireNotSet(this.maxPoolSize == null, "maxPoolSize", this.maxPoolSize);
      this.maxPoolSize = Checks.requirePositive("maxPoolSize", maxPoolSize);
      return this;
    }

    /**
     * Sets the minimum idle count passed to the pool. Default: HikariCP's {@code minimumIdle}
     * when the size comes from HikariCP, else {@code maxPoolSize} (a fixed pool).
     *
     * @param minIdle the count, {@code >= 0} and at most {@code maxPoolSize} (checked by
     *     {@link #build()})
     * @return this builder
     * @throws IllegalArgumentException if {@code minIdle < 0}
     * @throws IllegalStateException if already set
     */
    public Builder minIdle(int minIdle) {
      Checks.requireNotSet(this.minIdle == null, "minIdle", this.minIdle);
      this.minIdle = Checks.requireNonNegative("minIdle", minIdle);
      return this;
    }

    /**
     * Sets how long a borrower waits for a permit before {@link ConnectionRejectedException}.
     * Default {@link BudgetedDataSourceConfig#DEFAULT_ACQUIRE_TIMEOUT}; zero never waits.
     *
     * @param acquireTimeout the bound, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder acquireTimeout(Duration acquireTimeout) {
      Checks.requireNotSet(this.acquireTimeout == null, "acquireTimeout", this.acquireTimeout);
      BudgetedDataSourceConfig.requireAcquireTimeout(acquireTimeout);
      this.acquireTimeout = acquireTimeout;
      return this;
    }

    /**
     * Sets the query timeout given to every statement created from a borrowed connection (a
     * statement may still set its own). JDBC counts query timeouts in whole seconds, so this
     * must be whole seconds; zero means none. Default
     * {@link BudgetedDataSourceConfig#DEFAULT_QUERY_TIMEOUT}.
     *
     * @param defaultQueryTimeout the timeout, whole seconds, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null, negative or not whole seconds
     * @throws IllegalStateException if already set
     */
    public Builder defaultQueryTimeout(Duration defaultQueryTimeout) {
      Checks.requireNotSet(this.defaultQueryTimeout == null, "defaultQueryTimeout",
          this.defaultQueryTimeout);
      BudgetedDataSourceConfig.requireQueryTimeout(defaultQueryTimeout);
      this.defaultQueryTimeout = defaultQueryTimeout;
      return this;
    }

    /**
     * Sets whether a connection that becomes unreachable without being closed is closed and its
     * permit released when the garbage collector finds it. Default false: it costs a
     * {@link Cleaner} registration per borrow.
     *
     * @param reclaimAbandoned whether to reclaim
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder reclaimAbandoned(boolean reclaimAbandoned) {
      Checks.requireNotSet(this.reclaimAbandoned == null, "reclaimAbandoned",
          this.reclaimAbandoned);
      this.reclaimAbandoned = reclaimAbandoned;
      return this;
    }

    /**
     * Sets how the pool is resized. Default: detected for HikariCP, {@link PoolControl#NONE}
     * otherwise.
     *
     * @param poolControl the control
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder poolControl(PoolControl poolControl) {
      Checks.requireNotSet(this.poolControl == null, "poolControl", this.poolControl);
      this.poolControl = Checks.requireNonNull("poolControl", poolControl);
      return this;
    }

    /**
     * Guards connection acquisition with a circuit breaker: while it is open,
     * {@link BudgetedDataSource#getConnection()} fails fast without asking the pool; while it
     * is half-open, only the ramp's fraction of borrowers reaches the database. The breaker is
     * driven through a {@link Guard} (the library's one call path, so the permit accounting is
     * the same as everywhere else): every {@link SQLException} from the pool counts as a
     * failure (classified by the breaker's own rules), a refused budget permit counts for
     * nothing, and the latency the breaker hears is the borrow's, not the wait for a budget
     * permit. Default: no breaker.
     *
     * @param breaker the breaker, usually one per database
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder breaker(CircuitBreaker breaker) {
      Checks.requireNotSet(this.breaker == null, "breaker", this.breaker);
      this.breaker = Checks.requireNonNull("breaker", breaker);
      return this;
    }

    /**
     * Follows a pool sizer: the data source starts at {@code sizer.current()} and applies every
     * later change through {@link BudgetedDataSource#resize(int, int)} (shrinks at once, in the
     * order the sizer publishes them). Excludes {@link #maxPoolSize} and {@link #minIdle}. The
     * data source owns the sizer from now on and closes it in {@link BudgetedDataSource#close()}
     * (give each data source its own sizer; sizers may share a source). During the sizer's
     * start-up hold the budget is 0: borrowers wait, within the acquire timeout, for the hold to
     * end.
     *
     * @param sizer the sizer for this service's pool in this pod
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder sizer(PoolSizer sizer) {
      Checks.requireNotSet(this.sizer == null, "sizer", this.sizer);
      this.sizer = Checks.requireNonNull("sizer", sizer);
      return this;
    }

    /**
     * Gives every statement execution on a borrowed connection a deadline, enforced at
     * millisecond precision by {@link java.sql.Statement#cancel()} from a timer thread (one
     * daemon thread per data source, stopped by {@link BudgetedDataSource#close()}), where
     * {@link #defaultQueryTimeout} counts whole seconds and waits for the driver's own timer.
     * A cancelled execution throws {@link java.sql.SQLTimeoutException} naming the data source
     * and the deadline, its cause the driver's exception; the connection stays usable.
     *
     * <p>{@code DeadlinePolicy.fixed(Duration.ofMillis(300))}: every execution gets 300 ms.
     * {@code DeadlinePolicy.adaptive().ceiling(...).build()}: the deadline follows a high
     * percentile of this data source's recent successful executions, times a headroom, between
     * a floor and the ceiling (see {@link DeadlinePolicy}); until it has seen enough of them
     * it is the ceiling. One deadline serves every statement of the data source, so the
     * adaptive one suits a data source whose statements are alike (an OLTP service's lookups
     * and updates); give reports and batch jobs their own data source, or a fixed deadline.
     * Meters: the guard's {@code headroom.guard.calls{name=<name>.statements, outcome}} and
     * {@code headroom.guard.deadline}. The default query timeout, if any, still applies too.
     * Default: none.
     *
     * <p>The driver must allow {@code cancel()} from another thread while the statement
     * executes, as JDBC specifies (PostgreSQL's does). An execution that returns as its cancel
     * goes out waits for the cancel to be sent, so that it cannot reach the statement's next
     * execution.
     *
     * @param policy the deadline policy
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder statementDeadline(DeadlinePolicy policy) {
      Checks.requireNotSet(this.statementDeadline == null, "statementDeadline",
          this.statementDeadline);
      this.statementDeadline = Checks.requireNonNull("statementDeadline", policy);
      return this;
    }

    /**
     * Sets the clock that times acquisitions. Default {@link NanoClock#coarse()}.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock clock) {
      Checks.requireNotSet(this.clock == null, "clock", this.clock);
      this.clock = Checks.requireNonNull("clock", clock);
      return this;
    }

    /**
     * Builds the data source and sizes the pool to the budget at once (or builds the pool at
     * that size, through {@link BudgetedHikari}).
     *
     * @return the data source
     * @throws IllegalArgumentException if {@code minIdle > maxPoolSize}
     * @throws IllegalStateException if {@code maxPoolSize} is not set and the pool is not
     *     HikariCP, a sizer is combined with {@code maxPoolSize} or {@code minIdle}, or a
     *     HikariCP pool was started before it was sized, with a maximum above the budget (it
     *     may already hold more connections than the budget allows)
     */
    public BudgetedDataSource build() {
      PoolControl hikari = pool == null ? null : HikariPoolControl.detect(pool);
      int max;
      int idle;
      PoolSizer.PoolSize sized = null;
      if (sizer != null) {
        Checks.requireState(maxPoolSize == null && minIdle == null, "maxPoolSize and minIdle"
            + " must not be set with a sizer: the sizer decides them (was maxPoolSize "
            + maxPoolSize + ", minIdle " + minIdle + ")");
        sized = sizer.current();
        max = sized.maxPoolSize();
        idle = Math.min(sized.minIdle(), max);
      } else if (maxPoolSize != null) {
        max = maxPoolSize;
        idle = minIdle != null ? minIdle : max;
      } else if (factory != null) {
        max = factory.maximumPoolSize();
        int configured = factory.minimumIdle(); // -1 (unset) means "same as the maximum"
        idle = minIdle != null ? minIdle : configured < 0 ? max : Math.min(configured, max);
      } else {
        Checks.requireState(hikari != null, "maxPoolSize must be set: the wrapped pool "
            + pool.getClass().getName() + " is not HikariCP, so its size cannot be read");
        HikariPoolControl h = (HikariPoolControl) hikari;
        max = h.maximumPoolSize();
        int hikariIdle = h.minimumIdle(); // -1 (unset) means "same as the maximum"
        idle = minIdle != null ? minIdle : hikariIdle < 0 ? max : Math.min(hikariIdle, max);
      }
      int poolMax = Math.max(1, max);
      if (hikari != null && ((HikariPoolControl) hikari).started()
          && ((HikariPoolControl) hikari).maximumPoolSize() > poolMax) {
        throw new IllegalStateException("jdbc \"" + name + "\": the HikariCP pool was started"
            + " before it was sized: maximumPoolSize " + ((HikariPoolControl) hikari)
                .maximumPoolSize() + " > budget " + max + ", and it may already hold "
            + ((HikariPoolControl) hikari).openConnections() + " connections and be filling"
            + " up to its minimum idle; pass its HikariConfig to BudgetedHikari.builder(name,"
            + " config), create it lazily (new HikariDataSource() and setters), or configure"
            + " maximumPoolSize <= " + poolMax);
      }
      DataSource target = pool;
      AutoCloseable owned = null;
      if (factory != null) {
        target = factory.create(poolMax, Math.min(idle, max));
        owned = (AutoCloseable) target;
        hikari = HikariPoolControl.detect(target);
      }
      PoolControl control = poolControl != null ? poolControl
          : hikari != null ? hikari : PoolControl.NONE;
      BudgetedDataSourceConfig config = new BudgetedDataSourceConfig(name, poolMax,
          sizer != null ? Math.min(idle, poolMax) : idle,
          acquireTimeout != null ? acquireTimeout
              : BudgetedDataSourceConfig.DEFAULT_ACQUIRE_TIMEOUT,
          defaultQueryTimeout != null ? defaultQueryTimeout
              : BudgetedDataSourceConfig.DEFAULT_QUERY_TIMEOUT,
          reclaimAbandoned != null && reclaimAbandoned);
      NanoClock time = clock != null ? clock : NanoClock.coarse();
      Guard guard = breaker == null ? null
          : Guard.builder(name).breaker(breaker).clock(time).build();
      StatementDeadlines deadlines = statementDeadline == null ? null
          : new StatementDeadlines(name, statementDeadline, time);
      BudgetedDataSource dataSource = new BudgetedDataSource(config, target, control,
          guard, time, max, sizer, owned, deadlines);
      control.resize(poolMax, Math.min(idle, max));
      if (sizer != null) {
        dataSource.follow(sized);
      }
      return dataSource;
    }
  }

  /** Builds the pool a data source owns, at the size the budget allows (see BudgetedHikari). */
  interface PoolFactory {
    /** The maximum the pool's own configuration asks for. */
    int maximumPoolSize();

    /** The minimum idle the pool's own configuration asks for, -1 if unset. */
    int minimumIdle();

    /** Creates the pool, not yet started, at this size; the result is AutoCloseable. */
    DataSource create(int maxPoolSize, int minIdle);
  }
}
