package dev.headroom.jdbc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A borrowed connection: delegates everything to the pool's connection, gives new statements the
 * default query timeout, and releases its permit exactly once. Statements are wrapped
 * ({@link StatementHandle}) only so that {@code statement.getConnection()} returns this
 * connection: closing that closes this, permit included. (Result sets and metadata are not
 * wrapped: {@code resultSet.getStatement().getConnection()} reaches the pool's connection, whose
 * close returns it to the pool while the permit stays held until this connection is closed.)
 *
 * <p>Algorithm: the first of {@code close()} and {@code abort()} to win a CAS on {@code closed}
 * (0 to 1) returns the pool's connection and then releases the permit; every later call, from
 * any thread, loses the CAS and does nothing, as JDBC requires of closing a closed connection.
 * The permit is released after the pool has its connection back, so a woken waiter finds it
 * idle instead of making the pool open another. While a shrink's surplus is still open, the
 * connection is closed for good instead of going back (see {@link PoolControl#retire}). The release sits in a {@code finally}: a pool
 * that throws while taking the connection back still gets the permit returned. When abandoned
 * connections are reclaimed, the flag lives in the shared {@link Lease} instead, because the
 * {@link Cleaner} action must not reach this object; the protocol is the same.
 *
 * <p>Memory order: the CAS is a volatile read-modify-write, so exactly one caller wins and
 * {@link #isClosed()} reads the flag with a volatile load.
 *
 * <p>Thread-safety: closing is safe from any thread; everything else has the thread-safety of
 * the pool's connection.
 */
final class BudgetedConnection implements Connection {

  private static final VarHandle CLOSED;

  static {
    try {
      CLOSED = MethodHandles.lookup().findVarHandle(BudgetedConnection.class, "closed", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Connection delegate;
  private final BudgetedDataSource owner;
  private final Lease lease;

  /** 0 while open, 1 once closed or aborted. Accessed through {@link #CLOSED}. */
  @SuppressWarnings("unused")
  private volatile int closed;

  BudgetedConnection(Connection delegate, BudgetedDataSource owner, Lease lease) {
    this.delegate = delegate;
    this.owner = owner;
    this.lease = lease;
  }

  /** Wins the right to release the permit; true exactly once. */
  private boolean markClosed() {
    return lease != null ? lease.markClosed() : CLOSED.compareAndSet(this, 0, 1);
  }

  private boolean isMarkedClosed() {
    return lease != null ? lease.isMarkedClosed() : (int) CLOSED.getVolatile(this) != 0;
  }

  private <S extends Statement> S applyTimeout(S statement) throws SQLException {
    int seconds = owner.queryTimeoutSeconds;
    if (seconds > 0) {
      try {
        statement.setQueryTimeout(seconds);
      } catch (SQLException | RuntimeException e) {
        try {
          statement.close();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
    return statement;
  }

  /**
   * Returns the connection to the pool and releases the permit; does nothing if already closed
   * or aborted.
   */
  @Override
  public void close() throws SQLException {
    if (!markClosed()) {
      return;
    }
    try {
      if (!owner.retireIfSurplus(delegate)) {
        delegate.close();
      }
    } finally {
      owner.release();
      if (lease != null) {
        lease.deregister();
      }
    }
  }

  /**
   * Aborts the physical connection (the pool is told to evict it, so it is never reused) and
   * releases the permit; does nothing if already closed or aborted.
   */
  @Override
  public void abort(Executor executor) throws SQLException {
    if (executor == null) {
      throw new SQLException("executor must be non-null (was null)");
    }
    if (!markClosed()) {
      return;
    }
    try {
      owner.evict(delegate);
      delegate.abort(executor);
    } finally {
      try {
        delegate.close();
      } catch (SQLException ignored) {
        // The physical connection is being aborted; the pool may complain that it is gone.
      } finally {
        owner.release();
        if (lease != null) {
          lease.deregister();
        }
      }
    }
  }

  @Override
  public boolean isClosed() throws SQLException {
    return isMarkedClosed() || delegate.isClosed();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return Unwrapping.unwrap(this, delegate, iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return Unwrapping.isWrapperFor(this, delegate, iface);
  }

  @Override
  public String toString() {
    return "BudgetedConnection[" + delegate + "]";
  }

  @Override
  public Statement createStatement() throws SQLException {
    return new StatementHandle<>(applyTimeout(delegate.createStatement()), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0) throws SQLException {
    return new PreparedStatementHandle<>(applyTimeout(delegate.prepareStatement(a0)), this,
        owner.statementDeadlines);
  }

  @Override
  public CallableStatement prepareCall(String a0) throws SQLException {
    return new CallableStatementHandle(applyTimeout(delegate.prepareCall(a0)), this,
        owner.statementDeadlines);
  }

  @Override
  public String nativeSQL(String a0) throws SQLException {
    return delegate.nativeSQL(a0);
  }

  @Override
  public void setAutoCommit(boolean a0) throws SQLException {
    delegate.setAutoCommit(a0);
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return delegate.getAutoCommit();
  }

  @Override
  public void commit() throws SQLException {
    delegate.commit();
  }

  @Override
  public void rollback() throws SQLException {
    delegate.rollback();
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return delegate.getMetaData();
  }

  @Override
  public void setReadOnly(boolean a0) throws SQLException {
    delegate.setReadOnly(a0);
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return delegate.isReadOnly();
  }

  @Override
  public void setCatalog(String a0) throws SQLException {
    delegate.setCatalog(a0);
  }

  @Override
  public String getCatalog() throws SQLException {
    return delegate.getCatalog();
  }

  @Override
  public void setTransactionIsolation(int a0) throws SQLException {
    delegate.setTransactionIsolation(a0);
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return delegate.getTransactionIsolation();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return delegate.getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    delegate.clearWarnings();
  }

  @Override
  public Statement createStatement(int a0, int a1) throws SQLException {
    return new StatementHandle<>(applyTimeout(delegate.createStatement(a0, a1)), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
    return new PreparedStatementHandle<>(applyTimeout(delegate.prepareStatement(a0, a1, a2)), this,
        owner.statementDeadlines);
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
    return new CallableStatementHandle(applyTimeout(delegate.prepareCall(a0, a1, a2)), this,
        owner.statementDeadlines);
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return delegate.getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
    delegate.setTypeMap(a0);
  }

  @Override
  public void setHoldability(int a0) throws SQLException {
    delegate.setHoldability(a0);
  }

  @Override
  public int getHoldability() throws SQLException {
    return delegate.getHoldability();
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return delegate.setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String a0) throws SQLException {
    return delegate.setSavepoint(a0);
  }

  @Override
  public void rollback(Savepoint a0) throws SQLException {
    delegate.rollback(a0);
  }

  @Override
  public void releaseSavepoint(Savepoint a0) throws SQLException {
    delegate.releaseSavepoint(a0);
  }

  @Override
  public Statement createStatement(int a0, int a1, int a2) throws SQLException {
    return new StatementHandle<>(applyTimeout(delegate.createStatement(a0, a1, a2)), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
    return new PreparedStatementHandle<>(
        applyTimeout(delegate.prepareStatement(a0, a1, a2, a3)), this, owner.statementDeadlines);
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
    return new CallableStatementHandle(applyTimeout(delegate.prepareCall(a0, a1, a2, a3)), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
    return new PreparedStatementHandle<>(applyTimeout(delegate.prepareStatement(a0, a1)), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
    return new PreparedStatementHandle<>(applyTimeout(delegate.prepareStatement(a0, a1)), this,
        owner.statementDeadlines);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
    return new PreparedStatementHandle<>(applyTimeout(delegate.prepareStatement(a0, a1)), this,
        owner.statementDeadlines);
  }

  @Override
  public Clob createClob() throws SQLException {
    return delegate.createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    return delegate.createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return delegate.createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return delegate.createSQLXML();
  }

  @Override
  public boolean isValid(int a0) throws SQLException {
    return delegate.isValid(a0);
  }

  @Override
  public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
    delegate.setClientInfo(a0, a1);
  }

  @Override
  public void setClientInfo(Properties a0) throws SQLClientInfoException {
    delegate.setClientInfo(a0);
  }

  @Override
  public String getClientInfo(String a0) throws SQLException {
    return delegate.getClientInfo(a0);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return delegate.getClientInfo();
  }

  @Override
  public Array createArrayOf(String a0, Object[] a1) throws SQLException {
    return delegate.createArrayOf(a0, a1);
  }

  @Override
  public Struct createStruct(String a0, Object[] a1) throws SQLException {
    return delegate.createStruct(a0, a1);
  }

  @Override
  public void setSchema(String a0) throws SQLException {
    delegate.setSchema(a0);
  }

  @Override
  public String getSchema() throws SQLException {
    return delegate.getSchema();
  }

  @Override
  public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
    delegate.setNetworkTimeout(a0, a1);
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return delegate.getNetworkTimeout();
  }

  @Override
  public void beginRequest() throws SQLException {
    delegate.beginRequest();
  }

  @Override
  public void endRequest() throws SQLException {
    delegate.endRequest();
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey a0, ShardingKey a1, int a2) throws SQLException {
    return delegate.setShardingKeyIfValid(a0, a1, a2);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey a0, int a1) throws SQLException {
    return delegate.setShardingKeyIfValid(a0, a1);
  }

  @Override
  public void setShardingKey(ShardingKey a0, ShardingKey a1) throws SQLException {
    delegate.setShardingKey(a0, a1);
  }

  @Override
  public void setShardingKey(ShardingKey a0) throws SQLException {
    delegate.setShardingKey(a0);
  }

  /**
   * The closed flag and the reclaiming action of a connection tracked for abandonment. It holds
   * the pool's connection and the data source, never the wrapper, so the wrapper can become
   * unreachable; the {@link Cleaner} then runs {@link #run()}.
   */
  static final class Lease implements Runnable {
    private static final VarHandle LEASE_CLOSED;

    static {
      try {
        LEASE_CLOSED = MethodHandles.lookup().findVarHandle(Lease.class, "closed", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Connection pooled;
    private final BudgetedDataSource owner;
    volatile Cleaner.Cleanable cleanable;

    @SuppressWarnings("unused")
    private volatile int closed;

    Lease(Connection pooled, BudgetedDataSource owner) {
      this.pooled = pooled;
      this.owner = owner;
    }

    boolean markClosed() {
      return LEASE_CLOSED.compareAndSet(this, 0, 1);
    }

    boolean isMarkedClosed() {
      return (int) LEASE_CLOSED.getVolatile(this) != 0;
    }

    /** Unregisters from the Cleaner after a normal close; {@link #run()} then does nothing. */
    void deregister() {
      Cleaner.Cleanable c = cleanable;
      if (c != null) {
        c.clean();
      }
    }

    /** The Cleaner's action: reclaim a connection nobody closed. */
    @Override
    public void run() {
      if (!markClosed()) {
        return;
      }
      try {
        pooled.close();
      } catch (SQLException | RuntimeException ignored) {
        // Nobody is left to tell; the pool evicts a connection it cannot take back.
      } finally {
        owner.release();
        owner.countReclaimed();
      }
    }
  }
}
