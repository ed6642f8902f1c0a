package dev.headroom.bench.jdbc;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * An in-memory connection that does nothing: what HikariCP calls on borrow and return (state
 * getters and setters, {@code clearWarnings}, {@code isValid}) is answered from fields, so a
 * benchmark of borrowing measures the pool and the wrapper, not a network. One statement that
 * answers {@code execute} at once is shared by every {@code createStatement()}; prepared and
 * callable statements are not supported.
 */
final class FakeConnection implements Connection {

  private volatile boolean closed;
  private boolean autoCommit = true;
  private boolean readOnly;
  private int isolation = Connection.TRANSACTION_READ_COMMITTED;
  private int networkTimeout;

  @Override
  public Statement createStatement() {
    return STATEMENT;
  }

  /**
   * A statement that answers at once: {@code execute} returns false, {@code cancel} and
   * {@code close} do nothing, {@code setQueryTimeout} is accepted; every other method throws.
   */
  private static final Statement STATEMENT = (Statement) java.lang.reflect.Proxy.newProxyInstance(
      FakeConnection.class.getClassLoader(), new Class<?>[] {Statement.class},
      (proxy, method, args) -> switch (method.getName()) {
        case "execute" -> Boolean.FALSE;
        case "cancel", "close", "setQueryTimeout" -> null;
        case "toString" -> "FakeStatement";
        case "hashCode" -> 0;
        case "equals" -> proxy == args[0];
        default -> throw new SQLFeatureNotSupportedException(method.getName());
      });

  @Override
  public PreparedStatement prepareStatement(String a0) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public CallableStatement prepareCall(String a0) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareCall");
  }

  @Override
  public String nativeSQL(String a0) throws SQLException {
    return null;
  }

  @Override
  public void setAutoCommit(boolean a0) throws SQLException {
    autoCommit = a0;
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return autoCommit;
  }

  @Override
  public void commit() throws SQLException {
    // nothing to do in memory
  }

  @Override
  public void rollback() throws SQLException {
    // nothing to do in memory
  }

  @Override
  public void close() throws SQLException {
    closed = true;
  }

  @Override
  public boolean isClosed() throws SQLException {
    return closed;
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    throw new SQLFeatureNotSupportedException("getMetaData");
  }

  @Override
  public void setReadOnly(boolean a0) throws SQLException {
    readOnly = a0;
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return readOnly;
  }

  @Override
  public void setCatalog(String a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public String getCatalog() throws SQLException {
    return null;
  }

  @Override
  public void setTransactionIsolation(int a0) throws SQLException {
    isolation = a0;
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return isolation;
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return null;
  }

  @Override
  public void clearWarnings() throws SQLException {
    // nothing to do in memory
  }

  @Override
  public Statement createStatement(int a0, int a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("createStatement");
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareCall");
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return null;
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public void setHoldability(int a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public int getHoldability() throws SQLException {
    return ResultSet.HOLD_CURSORS_OVER_COMMIT;
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    throw new SQLFeatureNotSupportedException("setSavepoint");
  }

  @Override
  public Savepoint setSavepoint(String a0) throws SQLException {
    throw new SQLFeatureNotSupportedException("setSavepoint");
  }

  @Override
  public void rollback(Savepoint a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public void releaseSavepoint(Savepoint a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public Statement createStatement(int a0, int a1, int a2) throws SQLException {
    throw new SQLFeatureNotSupportedException("createStatement");
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareCall");
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("prepareStatement");
  }

  @Override
  public Clob createClob() throws SQLException {
    throw new SQLFeatureNotSupportedException("createClob");
  }

  @Override
  public Blob createBlob() throws SQLException {
    throw new SQLFeatureNotSupportedException("createBlob");
  }

  @Override
  public NClob createNClob() throws SQLException {
    throw new SQLFeatureNotSupportedException("createNClob");
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    throw new SQLFeatureNotSupportedException("createSQLXML");
  }

  @Override
  public boolean isValid(int a0) throws SQLException {
    return !closed;
  }

  @Override
  public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
    // nothing to do in memory
  }

  @Override
  public void setClientInfo(Properties a0) throws SQLClientInfoException {
    // nothing to do in memory
  }

  @Override
  public String getClientInfo(String a0) throws SQLException {
    return null;
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return null;
  }

  @Override
  public Array createArrayOf(String a0, Object[] a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("createArrayOf");
  }

  @Override
  public Struct createStruct(String a0, Object[] a1) throws SQLException {
    throw new SQLFeatureNotSupportedException("createStruct");
  }

  @Override
  public void setSchema(String a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public String getSchema() throws SQLException {
    return null;
  }

  @Override
  public void abort(Executor a0) throws SQLException {
    // nothing to do in memory
  }

  @Override
  public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
    networkTimeout = a1;
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return networkTimeout;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("not a wrapper for " + iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
