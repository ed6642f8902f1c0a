package dev.headroom.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * An in-memory pool for the wrapper's mechanics: hands out proxy connections and counts what
 * happens to them, exactly. Faults are tested against PostgreSQL elsewhere.
 */
final class FakePool implements DataSource {

  final AtomicLong borrowed = new AtomicLong();
  /** Connections closed for the first time (returned to the pool). */
  final AtomicLong returned = new AtomicLong();
  /** Every close() call, including repeated ones. */
  final AtomicLong closeCalls = new AtomicLong();
  final AtomicLong aborted = new AtomicLong();
  final AtomicInteger lastQueryTimeout = new AtomicInteger(-1);
  volatile SQLException failWith;

  /** Every call of getConnection(). */
  final AtomicLong attempts = new AtomicLong();
  /** -1: failWith applies to every call; else to this many more calls only. */
  final AtomicInteger failuresLeft = new AtomicInteger(-1);

  @Override
  public Connection getConnection() throws SQLException {
    attempts.incrementAndGet();
    SQLException fail = failWith;
    if (fail != null) {
      int left = failuresLeft.get();
      if (left < 0 || (left > 0 && failuresLeft.compareAndSet(left, left - 1))) {
        throw fail;
      }
    }
    borrowed.incrementAndGet();
    AtomicBoolean closed = new AtomicBoolean();
    InvocationHandler handler = (proxy, method, args) -> {
      switch (method.getName()) {
        case "close":
          closeCalls.incrementAndGet();
          if (closed.compareAndSet(false, true)) {
            returned.incrementAndGet();
          }
          return null;
        case "abort":
          aborted.incrementAndGet();
          return null;
        case "isClosed":
          return closed.get();
        case "createStatement":
        case "prepareStatement":
        case "prepareCall":
          return statement(method.getReturnType());
        case "unwrap":
          throw new SQLException("not a wrapper for " + args[0]);
        case "isWrapperFor":
          return false;
        case "toString":
          return "FakeConnection";
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == args[0];
        default:
          throw new SQLFeatureNotSupportedException(method.getName());
      }
    };
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {Connection.class}, handler);
  }

  private Object statement(Class<?> type) {
    InvocationHandler handler = (proxy, method, args) -> {
      switch (method.getName()) {
        case "setQueryTimeout":
          lastQueryTimeout.set((Integer) args[0]);
          return null;
        case "close":
          return null;
        case "isWrapperFor":
          return false;
        case "toString":
          return "FakeStatement";
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == args[0];
        default:
          throw new SQLFeatureNotSupportedException(method.getName());
      }
    };
    Class<?> iface = Statement.class.isAssignableFrom(type) ? type : PreparedStatement.class;
    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {iface}, handler);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("getConnection(username, password)");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper for " + iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }

  @Override
  public String toString() {
    return "FakePool";
  }
}
