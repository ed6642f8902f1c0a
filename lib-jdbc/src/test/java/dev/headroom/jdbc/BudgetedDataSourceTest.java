package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CallNotPermittedException;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.budget.SettablePodCountSource;
import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class BudgetedDataSourceTest {

  private final FakePool pool = new FakePool();

  private BudgetedDataSource budgeted(int max, Duration acquireTimeout) {
    return BudgetedDataSource.builder("orders", pool)
        .maxPoolSize(max)
        .acquireTimeout(acquireTimeout)
        .build();
  }

  // --- bad input, exact messages --------------------------------------------------------------

  @Test
  void rejectsBadBuilderInputWithExactMessages() {
    assertEquals("name must be non-blank (was \" \")", assertThrows(
        IllegalArgumentException.class, () -> BudgetedDataSource.builder(" ", pool)).getMessage());
    assertEquals("pool must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> BudgetedDataSource.builder("a", null))
        .getMessage());
    BudgetedDataSource.Builder b = BudgetedDataSource.builder("a", pool);
    assertEquals("maxPoolSize must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> b.maxPoolSize(0)).getMessage());
    assertEquals("maxPoolSize must be > 0 (was -3)", assertThrows(
        IllegalArgumentException.class, () -> b.maxPoolSize(-3)).getMessage());
    assertEquals("minIdle must be >= 0 (was -1)", assertThrows(
        IllegalArgumentException.class, () -> b.minIdle(-1)).getMessage());
    assertEquals("acquireTimeout must be >= 0 (was PT-0.001S)", assertThrows(
        IllegalArgumentException.class, () -> b.acquireTimeout(Duration.ofMillis(-1)))
        .getMessage());
    assertEquals("defaultQueryTimeout must be whole seconds (JDBC query timeouts are in seconds)"
        + " (was PT1.5S)", assertThrows(IllegalArgumentException.class,
            () -> b.defaultQueryTimeout(Duration.ofMillis(1500))).getMessage());
    assertEquals("defaultQueryTimeout must be >= 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class, () -> b.defaultQueryTimeout(Duration.ofSeconds(-1)))
        .getMessage());
    assertEquals("poolControl must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> b.poolControl(null)).getMessage());
  }

  @Test
  void rejectsRepeatedAndConflictingSettings() {
    BudgetedDataSource.Builder b = BudgetedDataSource.builder("a", pool).maxPoolSize(5);
    assertEquals("maxPoolSize was already set to 5", assertThrows(
        IllegalStateException.class, () -> b.maxPoolSize(6)).getMessage());
    b.minIdle(6);
    assertEquals("minIdle must be <= maxPoolSize 5 (was 6)", assertThrows(
        IllegalArgumentException.class, b::build).getMessage());
    assertEquals("maxPoolSize must be set: the wrapped pool dev.headroom.jdbc.FakePool is not"
        + " HikariCP, so its size cannot be read", assertThrows(IllegalStateException.class,
            () -> BudgetedDataSource.builder("a", pool).build()).getMessage());
  }

  @Test
  void rejectsBadResizeWithExactMessagesAndKeepsTheBudget() {
    BudgetedDataSource ds = budgeted(4, Duration.ZERO);
    assertEquals("maxPoolSize must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> ds.resize(0, 0)).getMessage());
    assertEquals("minIdle must be >= 0 (was -1)", assertThrows(
        IllegalArgumentException.class, () -> ds.resize(3, -1)).getMessage());
    assertEquals("minIdle must be <= maxPoolSize 3 (was 4)", assertThrows(
        IllegalArgumentException.class, () -> ds.resize(3, 4)).getMessage());
    assertEquals(4, ds.maxPoolSize());
    assertEquals(0, ds.resizeCount());
  }

  @Test
  void defaults() {
    BudgetedDataSource ds = BudgetedDataSource.builder("a", pool).maxPoolSize(3).build();
    assertEquals(new BudgetedDataSourceConfig("a", 3, 3, Duration.ofSeconds(1),
        Duration.ofSeconds(5), false), ds.config());
    assertEquals(3, ds.minIdle());
    assertEquals(-1, ds.openConnections(), "unknown for a pool without control");
  }

  // --- the budget -----------------------------------------------------------------------------

  @Test
  void refusesAfterTheBoundedWaitNamingBudgetInUseAndWaiting() throws SQLException {
    BudgetedDataSource ds = budgeted(2, Duration.ofMillis(20));
    Connection a = ds.getConnection();
    Connection b = ds.getConnection();
    ConnectionRejectedException e = assertThrows(ConnectionRejectedException.class,
        ds::getConnection);
    assertEquals("jdbc \"orders\" connection budget exhausted: no permit within 20 ms"
        + " (budget 2, in use 2, waiting 0)", e.getMessage());
    assertTrue(e instanceof SQLTransientConnectionException);
    assertEquals("08001", e.getSQLState());
    assertEquals(ConnectionRejectedException.Reason.BUDGET_EXHAUSTED, e.reason());
    assertEquals("orders", e.name());
    assertEquals(2, e.budget());
    assertEquals(2, e.inUse());
    assertEquals(0, e.waiting());
    assertEquals(Duration.ZERO, e.retryAfter());
    assertEquals(0, e.getStackTrace().length, "no stack trace");
    assertEquals(2, pool.borrowed.get(), "the pool was not asked a third time");
    assertEquals(1, ds.budgetRejections());
    a.close();
    b.close();
    assertEquals(0, ds.inUse());
  }

  @Test
  void aWaiterGetsTheConnectionThatIsClosed() throws Exception {
    BudgetedDataSource ds = budgeted(1, Duration.ofSeconds(10));
    Connection held = ds.getConnection();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      Future<Connection> waiter = executor.submit(() -> ds.getConnection());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (ds.waiting() == 0 && System.nanoTime() - deadline < 0) {
        Thread.sleep(1);
      }
      assertEquals(1, ds.waiting());
      held.close();
      Connection next = waiter.get(10, TimeUnit.SECONDS);
      assertEquals(1, ds.inUse());
      assertEquals(0, ds.waiting());
      next.close();
    } finally {
      executor.shutdownNow();
    }
    assertEquals(0, ds.inUse());
    assertEquals(2, ds.acquiredCount());
  }

  @Test
  void poolFailureReleasesThePermitAndPropagates() {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    SQLException broken = new SQLException("Connection refused", "08001");
    pool.failWith = broken;
    assertSame(broken, assertThrows(SQLException.class, ds::getConnection));
    assertSame(broken, assertThrows(SQLException.class, ds::getConnection));
    assertEquals(0, ds.inUse());
    assertEquals(2, ds.poolFailures());
    assertEquals(0, ds.budgetRejections());
    assertEquals(0, ds.databaseRefusals(), "not a refusal at the limit: no retry");
  }

  @Test
  void aRefusalAtTheDatabasesLimitIsRetriedWithinTheDeadlineAndTheFinalErrorCarriesIt()
      throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ofMillis(300));
    SQLException refused = new SQLException("FATAL: too many connections for role \"r\"",
        "53300");
    // HikariCP wraps the driver's refusal in its own timeout, SQLState copied: the chain counts.
    SQLException wrapped = new java.sql.SQLTransientConnectionException(
        "pool - Connection is not available, request timed out after 1000ms", "53300", refused);
    pool.failWith = wrapped;
    ConnectionRejectedException e = assertThrows(ConnectionRejectedException.class,
        ds::getConnection);
    assertEquals(ConnectionRejectedException.Reason.DATABASE_REFUSED, e.reason());
    assertSame(wrapped, e.getCause(), "the caller sees why");
    assertTrue(e.getMessage().startsWith("jdbc \"orders\": the database refused new"
        + " connections at its limit (SQLSTATE 53300: FATAL: too many connections for role"
        + " \"r\") on "), e.getMessage());
    assertTrue(ds.databaseRefusals() >= 3, "backed off and retried: " + ds.databaseRefusals());
    assertEquals(ds.databaseRefusals(), pool.attempts.get());
    assertEquals(1, ds.databaseRefusedRejections());
    assertEquals(0, ds.inUse(), "the permit went back");

    // The database frees a slot while the caller backs off: the caller never sees the refusal.
    pool.failWith = refused;
    pool.failuresLeft.set(2);
    long before = ds.databaseRefusals();
    try (Connection c = ds.getConnection()) {
      assertTrue(c != null);
    }
    assertEquals(before + 2, ds.databaseRefusals());
    assertEquals(1, ds.databaseRefusedRejections());
  }

  @Test
  void mysqlAndOracleRefusalsAtTheLimitAreRecognisedToo() {
    assertTrue(Refusals.connectionLimit(new SQLException("Too many connections", "08004",
        1040)) != null);
    assertTrue(Refusals.connectionLimit(new SQLException("User has exceeded the"
        + " 'max_user_connections' resource", "42000", 1203)) != null);
    assertTrue(Refusals.connectionLimit(new SQLException("ORA-00020: maximum number of"
        + " processes (150) exceeded", "66000", 20)) != null);
    assertTrue(Refusals.connectionLimit(new SQLException("query canceled", "57014")) == null);
    assertTrue(Refusals.connectionLimit(new SQLException("error 20", "XX000", 20)) == null);
  }

  @Test
  void unsupportedGetConnectionWithCredentialsReleasesThePermit() {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    assertThrows(SQLFeatureNotSupportedException.class, () -> ds.getConnection("u", "p"));
    assertEquals(0, ds.inUse());
    assertEquals(0, ds.poolFailures(), "not a database failure");
  }

  @Test
  void interruptedWaiterGetsSqlExceptionAndKeepsTheFlag() throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ofSeconds(10));
    Connection held = ds.getConnection();
    Thread.currentThread().interrupt();
    try {
      SQLException e = assertThrows(SQLException.class, ds::getConnection);
      assertEquals("jdbc \"orders\": interrupted while waiting for a connection permit",
          e.getMessage());
      assertTrue(Thread.interrupted(), "interrupt flag kept");
    } finally {
      Thread.interrupted();
    }
    held.close();
    assertEquals(0, ds.inUse());
  }

  // --- close paths ----------------------------------------------------------------------------

  @Test
  void closeReleasesOnceAndRepeatedCloseIsANoOp() throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    Connection c = ds.getConnection();
    assertFalse(c.isClosed());
    c.close();
    c.close();
    c.close();
    assertTrue(c.isClosed());
    assertEquals(0, ds.inUse());
    assertEquals(1, pool.closeCalls.get(), "the pool's connection was closed once");
    Connection again = ds.getConnection(); // the permit really is free
    again.close();
    assertEquals(0, ds.inUse());
  }

  @Test
  void abortReleasesOnceAndEvictsAndLaterCloseIsANoOp() throws SQLException {
    List<String> calls = new ArrayList<>();
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(1)
        .poolControl(new RecordingControl(calls)).build();
    calls.clear();
    Connection c = ds.getConnection();
    c.abort(Runnable::run);
    c.abort(Runnable::run);
    c.close();
    assertEquals(List.of("evict"), calls);
    assertEquals(1, pool.aborted.get());
    assertEquals(1, pool.returned.get(), "the pool got its connection back once");
    assertEquals(0, ds.inUse());
    assertTrue(c.isClosed());
  }

  @Test
  void abortWithoutExecutorIsRefusedAndKeepsTheConnection() throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    Connection c = ds.getConnection();
    assertEquals("executor must be non-null (was null)",
        assertThrows(SQLException.class, () -> c.abort(null)).getMessage());
    assertEquals(1, ds.inUse());
    c.close();
    assertEquals(0, ds.inUse());
  }

  // --- statements, unwrap, metrics --------------------------------------------------------------

  @Test
  void statementsGetTheDefaultQueryTimeout() throws SQLException {
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(1)
        .defaultQueryTimeout(Duration.ofSeconds(2)).build();
    try (Connection c = ds.getConnection()) {
      try (Statement s = c.createStatement()) {
        assertEquals(2, pool.lastQueryTimeout.getAndSet(-1));
      }
      c.prepareStatement("select 1").close();
      assertEquals(2, pool.lastQueryTimeout.getAndSet(-1));
      c.prepareCall("select 1").close();
      assertEquals(2, pool.lastQueryTimeout.getAndSet(-1));
      c.prepareStatement("select 1", 1, 1, 1).close();
      assertEquals(2, pool.lastQueryTimeout.getAndSet(-1));
    }
  }

  @Test
  void statementsLeadBackToTheBudgetedConnection() throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    Connection c = ds.getConnection();
    Statement s = c.createStatement();
    java.sql.PreparedStatement p = c.prepareStatement("select 1");
    java.sql.CallableStatement call = c.prepareCall("select 1");
    assertSame(c, s.getConnection());
    assertSame(c, p.getConnection());
    assertSame(c, call.getConnection());
    assertTrue(s.isWrapperFor(Statement.class));
    assertSame(s, s.unwrap(Statement.class));
    assertFalse(s.isWrapperFor(String.class));
    s.getConnection().close(); // the path some frameworks take
    assertEquals(0, ds.inUse(), "closing statement.getConnection() released the permit");
    assertTrue(c.isClosed());
    c.close();
    assertEquals(1, pool.closeCalls.get());
    assertEquals(0, ds.inUse());
  }

  @Test
  void zeroQueryTimeoutLeavesStatementsAlone() throws SQLException {
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(1)
        .defaultQueryTimeout(Duration.ZERO).build();
    try (Connection c = ds.getConnection()) {
      c.createStatement().close();
      assertEquals(-1, pool.lastQueryTimeout.get());
    }
  }

  @Test
  void unwrapAndIsWrapperFor() throws SQLException {
    BudgetedDataSource ds = budgeted(1, Duration.ZERO);
    assertSame(ds, ds.unwrap(BudgetedDataSource.class));
    assertSame(pool, ds.unwrap(FakePool.class));
    assertSame(ds, ds.unwrap(DataSource.class));
    assertTrue(ds.isWrapperFor(FakePool.class));
    assertFalse(ds.isWrapperFor(String.class));
    assertThrows(SQLException.class, () -> ds.unwrap(String.class));
    try (Connection c = ds.getConnection()) {
      assertSame(c, c.unwrap(Connection.class));
      assertTrue(c.isWrapperFor(Connection.class));
      assertFalse(c.isWrapperFor(String.class));
      assertThrows(SQLException.class, () -> c.unwrap(String.class));
    }
  }

  @Test
  void metricsReadLiveState() throws SQLException {
    ManualClock clock = new ManualClock();
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(2)
        .acquireTimeout(Duration.ZERO).clock(clock).build();
    RecordingMeterSink sink = new RecordingMeterSink();
    ds.describeMeters(sink);
    Connection a = ds.getConnection();
    Connection b = ds.getConnection();
    assertThrows(ConnectionRejectedException.class, ds::getConnection);
    assertEquals(2, sink.value("headroom.jdbc.permits", "name", "orders"));
    assertEquals(2, sink.value("headroom.jdbc.in_use", "name", "orders"));
    assertEquals(0, sink.value("headroom.jdbc.waiting", "name", "orders"));
    assertEquals(-1, sink.value("headroom.jdbc.open_connections", "name", "orders"));
    assertEquals(2, sink.value("headroom.jdbc.acquire", "name", "orders"));
    assertEquals(1, sink.value("headroom.jdbc.rejections", "name", "orders", "reason", "budget"));
    assertEquals(0, sink.value("headroom.jdbc.rejections", "name", "orders", "reason",
        "breaker"));
    assertEquals(0, sink.value("headroom.jdbc.failures", "name", "orders"));
    assertEquals(0, sink.value("headroom.jdbc.reclaimed", "name", "orders"));
    a.close();
    b.close();
    ds.resize(3, 1);
    assertEquals(3, sink.value("headroom.jdbc.permits", "name", "orders"));
    assertEquals(0, sink.value("headroom.jdbc.in_use", "name", "orders"));
    assertEquals(1, sink.value("headroom.jdbc.resizes", "name", "orders"));
    assertEquals(0, ds.acquireTotalNanos(), "the manual clock did not move");
  }

  // --- breaker --------------------------------------------------------------------------------

  @Test
  void openBreakerFailsFastWithoutAskingThePool() {
    CircuitBreaker breaker = CircuitBreaker.builder("orders-db").build();
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(2)
        .breaker(breaker).build();
    breaker.forceOpen();
    ConnectionRejectedException e = assertThrows(ConnectionRejectedException.class,
        ds::getConnection);
    assertEquals("jdbc \"orders\" failing fast, database not asked: breaker 'orders-db' is"
        + " FORCED_OPEN until reset (budget 2, in use 0, waiting 0, retry after 1000 ms)",
        e.getMessage());
    assertEquals(ConnectionRejectedException.Reason.BREAKER_OPEN, e.reason());
    assertEquals(Duration.ofSeconds(1), e.retryAfter());
    assertTrue(e.getCause() instanceof CallNotPermittedException);
    assertEquals(0, pool.borrowed.get());
    assertEquals(0, ds.inUse());
    assertEquals(1, ds.breakerRejections());
    RecordingMeterSink sink = new RecordingMeterSink();
    ds.describeMeters(sink);
    assertEquals(1, sink.value("headroom.jdbc.rejections", "name", "orders", "reason",
        "breaker"));
  }

  @Test
  void poolFailuresTripTheBreakerAndBudgetRefusalsDoNotCount() throws SQLException {
    CircuitBreaker breaker = CircuitBreaker.builder("orders-db").consecutiveFailures(2).build();
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(1)
        .acquireTimeout(Duration.ZERO).breaker(breaker).build();
    Connection held = ds.getConnection();
    assertThrows(ConnectionRejectedException.class, ds::getConnection);
    assertEquals(1, breaker.ignoredCount(), "a refused permit is not the database's fault");
    assertEquals(BreakerState.CLOSED, breaker.state());
    held.close();
    pool.failWith = new SQLException("Connection refused", "08001");
    assertThrows(SQLException.class, ds::getConnection);
    assertThrows(SQLException.class, ds::getConnection);
    assertEquals(BreakerState.OPEN, breaker.state());
    assertEquals(2, breaker.failureCount());
    assertEquals(ConnectionRejectedException.Reason.BREAKER_OPEN,
        assertThrows(ConnectionRejectedException.class, ds::getConnection).reason());
    assertEquals(0, ds.inUse());
  }

  @Test
  void connectTimeoutsAreBreakerFailuresThroughTheGuard() {
    CircuitBreaker breaker = CircuitBreaker.builder("orders-db").consecutiveFailures(2).build();
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(2)
        .breaker(breaker).build();
    pool.failWith = new SQLTimeoutException("connect timed out", "08001");
    assertThrows(SQLTimeoutException.class, ds::getConnection);
    assertEquals(1, breaker.failureCount());
    assertThrows(SQLTimeoutException.class, ds::getConnection);
    assertEquals(BreakerState.OPEN, breaker.state());
    assertEquals(0, ds.inUse());
  }

  @Test
  void rejectsANullOrRepeatedBreaker() {
    CircuitBreaker breaker = CircuitBreaker.builder("b").build();
    BudgetedDataSource.Builder b = BudgetedDataSource.builder("a", pool);
    assertEquals("breaker must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> b.breaker(null)).getMessage());
    b.breaker(breaker);
    assertThrows(IllegalStateException.class, () -> b.breaker(breaker));
  }

  // --- resizing -------------------------------------------------------------------------------

  @Test
  void growRaisesThePoolBeforeThePermitsAndShrinkLowersThePermitsFirst() throws SQLException {
    List<String> calls = new ArrayList<>();
    BudgetedDataSource[] holder = new BudgetedDataSource[1];
    PoolControl control = new RecordingControl(calls) {
      @Override
      public void resize(int maxPoolSize, int minIdle) {
        super.resize(maxPoolSize, minIdle);
        if (holder[0] != null) {
          calls.add("permits at pool resize " + holder[0].maxPoolSize());
        }
      }
    };
    BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).maxPoolSize(4).minIdle(2)
        .acquireTimeout(Duration.ZERO).poolControl(control).build();
    holder[0] = ds;
    assertEquals(List.of("resize 4/2"), calls, "build sizes the pool to the budget");
    calls.clear();
    ds.resize(6, 3);
    assertEquals(List.of("resize 6/3", "permits at pool resize 4"), calls, "pool first");
    calls.clear();
    ds.resize(2, 0);
    assertEquals(List.of("resize 2/0", "permits at pool resize 2"), calls, "permits first");
    assertEquals(2, ds.maxPoolSize());
    assertEquals(0, ds.minIdle());
  }

  @Test
  void shrinkTakesEffectAtOnceAndBorrowedConnectionsDrain() throws SQLException {
    BudgetedDataSource ds = budgeted(4, Duration.ZERO);
    List<Connection> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(ds.getConnection());
    }
    ds.resize(2, 0);
    assertEquals(4, ds.inUse());
    held.remove(0).close();
    held.remove(0).close();
    assertThrows(ConnectionRejectedException.class, ds::getConnection, "still at the new size");
    held.remove(0).close();
    held.add(ds.getConnection());
    assertEquals(2, ds.inUse());
    for (Connection c : held) {
      c.close();
    }
    assertEquals(0, ds.inUse());
  }

  @Test
  void followsAPoolSizerFromItsCurrentSize() throws Exception {
    PoolBudget budget = PoolBudget.builder().maxConnections(100).superuserReservedConnections(3)
        .adminHeadroom(7)
        .service(PoolBudget.Service.builder("orders").maxReplicas(30).build())
        .build();
    List<String> calls = new ArrayList<>();
    try (SettablePodCountSource replicas = new SettablePodCountSource(10);
        PoolSizer sizer = PoolSizer.builder().budget(budget).service("orders")
            .podCountSource(replicas).holdWindow(Duration.ZERO).build()) {
      BudgetedDataSource ds = BudgetedDataSource.builder("orders", pool).sizer(sizer)
          .acquireTimeout(Duration.ZERO).poolControl(new RecordingControl(calls)).build();
      assertEquals(9, ds.maxPoolSize(), "90 connections for 10 pods");
      assertEquals(3, ds.minIdle(), "what each pod keeps at 30 pods");
      assertEquals(List.of("resize 9/3"), calls);
      replicas.set(30);
      assertEquals(3, ds.maxPoolSize(), "shrunk at once");
      replicas.set(15);
      assertEquals(6, ds.maxPoolSize());
      assertEquals(List.of("resize 9/3", "resize 3/3", "resize 6/3"), calls);
      assertEquals(2, ds.resizeCount());
    }
  }

  @Test
  void aSizerExcludesFixedSizes() throws Exception {
    PoolBudget budget = PoolBudget.builder().maxConnections(100)
        .service(PoolBudget.Service.builder("orders").maxReplicas(10).build())
        .build();
    try (SettablePodCountSource replicas = new SettablePodCountSource(10);
        PoolSizer sizer = PoolSizer.builder().budget(budget).service("orders")
            .podCountSource(replicas).build()) {
      assertEquals("maxPoolSize and minIdle must not be set with a sizer: the sizer decides them"
          + " (was maxPoolSize 5, minIdle null)", assertThrows(IllegalStateException.class,
              () -> BudgetedDataSource.builder("orders", pool).sizer(sizer).maxPoolSize(5)
                  .build()).getMessage());
      assertEquals("sizer must be non-null (was null)", assertThrows(
          IllegalArgumentException.class, () -> BudgetedDataSource.builder("orders", pool)
              .sizer(null)).getMessage());
    }
  }

  /** Records the calls a pool control receives. */
  static class RecordingControl implements PoolControl {
    final List<String> calls;

    RecordingControl(List<String> calls) {
      this.calls = calls;
    }

    @Override
    public void resize(int maxPoolSize, int minIdle) {
      calls.add("resize " + maxPoolSize + "/" + minIdle);
    }

    @Override
    public void evict(Connection connection) {
      calls.add("evict");
    }
  }
}
