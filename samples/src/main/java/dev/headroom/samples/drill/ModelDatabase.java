package dev.headroom.samples.drill;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A model of a database with a hard connection limit, for the connection wall when no
 * PostgreSQL is reachable: the drill labels every figure it produces with it as the model's.
 *
 * <p>Model: at most {@code limit} connections are open at once; one more is refused at once
 * with the error PostgreSQL gives a role over its {@code CONNECTION LIMIT} (SQLSTATE
 * {@code 53300}), which is what the pools of a fleet meet at the wall. Every statement takes
 * {@code queryMillis} of real time (the drill's pods run real threads and real HikariCP
 * pools), and fails with SQLSTATE {@code 08003} on a closed connection. Nothing else is
 * modelled: there is no SQL, no transaction, no result set; the JDBC methods a pool calls on
 * its connections (validity, auto-commit, isolation, network timeout, warnings) answer as a
 * fresh connection would.
 *
 * <p>Thread-safety: safe for concurrent use; the open count is an atomic counter and each
 * connection's close is a CAS, so a connection closed twice frees its slot once.
 */
final class ModelDatabase {

  private final int limit;
  private final long queryMillis;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  /**
   * @param limit the connections the model holds at most
   * @param queryMillis how long each statement takes
   */
  ModelDatabase(int limit, long queryMillis) {
    this.limit = limit;
    this.queryMillis = queryMillis;
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  /** Connections refused for the limit so far. */
  int refused() {
    return refused.get();
  }

  /** The connection limit. */
  int limit() {
    return limit;
  }

  /** A data source whose connections count against the limit. */
  DataSource dataSource() {
    InvocationHandler handler = (proxy, method, args) -> switch (method.getName()) {
      case "getConnection" -> connect();
      case "getLoginTimeout" -> 0;
      case "setLoginTimeout", "setLogWriter" -> null;
      case "getLogWriter" -> (PrintWriter) null;
      case "getParentLogger" -> Logger.getLogger("dev.headroom.samples.drill");
      case "isWrapperFor" -> false;
      case "unwrap" -> throw new SQLException("not a wrapper: " + args[0]);
      case "toString" -> "ModelDatabase[limit " + limit + ", open " + open.get() + "]";
      case "hashCode" -> System.identityHashCode(proxy);
      case "equals" -> proxy == args[0];
      default -> throw new SQLFeatureNotSupportedException("model database: " + method.getName());
    };
    return (DataSource) Proxy.newProxyInstance(ModelDatabase.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, handler);
  }

  private Connection connect() throws SQLException {
    for (;;) {
      int n = open.get();
      if (n >= limit) {
        refused.incrementAndGet();
        throw new SQLException("FATAL: too many connections for role (a model of a database"
            + " with a limit of " + limit + " connections)", "53300");
      }
      if (open.compareAndSet(n, n + 1)) {
        return connection();
      }
    }
  }

  private Connection connection() {
    AtomicBoolean closed = new AtomicBoolean();
    int[] isolation = {Connection.TRANSACTION_READ_COMMITTED};
    boolean[] autoCommit = {true};
    boolean[] readOnly = {false};
    int[] networkTimeout = {0};
    Connection[] self = new Connection[1];
    InvocationHandler handler = (proxy, method, args) -> switch (method.getName()) {
      case "close", "abort" -> {
        if (closed.compareAndSet(false, true)) {
          open.decrementAndGet();
        }
        yield null;
      }
      case "isClosed" -> closed.get();
      case "isValid" -> !closed.get();
      case "createStatement" -> {
        requireOpen(closed);
        yield statement(self[0], closed);
      }
      case "getAutoCommit" -> autoCommit[0];
      case "setAutoCommit" -> {
        autoCommit[0] = (Boolean) args[0];
        yield null;
      }
      case "getTransactionIsolation" -> isolation[0];
      case "setTransactionIsolation" -> {
        isolation[0] = (Integer) args[0];
        yield null;
      }
      case "isReadOnly" -> readOnly[0];
      case "setReadOnly" -> {
        readOnly[0] = (Boolean) args[0];
        yield null;
      }
      case "getNetworkTimeout" -> networkTimeout[0];
      case "setNetworkTimeout" -> {
        networkTimeout[0] = (Integer) args[1];
        yield null;
      }
      case "commit", "rollback", "clearWarnings", "setCatalog", "setSchema" -> null;
      case "getWarnings", "getCatalog", "getSchema" -> null;
      case "isWrapperFor" -> false;
      case "unwrap" -> throw new SQLException("not a wrapper: " + args[0]);
      case "toString" -> "ModelConnection[" + (closed.get() ? "closed" : "open") + "]";
      case "hashCode" -> System.identityHashCode(proxy);
      case "equals" -> proxy == args[0];
      default -> throw new SQLFeatureNotSupportedException("model connection: "
          + method.getName());
    };
    self[0] = (Connection) Proxy.newProxyInstance(ModelDatabase.class.getClassLoader(),
        new Class<?>[] {Connection.class}, handler);
    return self[0];
  }

  private Statement statement(Connection connection, AtomicBoolean connectionClosed) {
    AtomicBoolean closed = new AtomicBoolean();
    int[] queryTimeout = {0};
    InvocationHandler handler = (proxy, method, args) -> {
      String name = method.getName();
      if (name.startsWith("execute")) {
        return execute(method, connectionClosed, closed);
      }
      return switch (name) {
        case "close" -> {
          closed.set(true);
          yield null;
        }
        case "isClosed" -> closed.get();
        case "getConnection" -> connection;
        case "getQueryTimeout" -> queryTimeout[0];
        case "setQueryTimeout" -> {
          queryTimeout[0] = (Integer) args[0];
          yield null;
        }
        case "getWarnings" -> null;
        case "clearWarnings", "setEscapeProcessing", "setFetchSize", "setMaxRows" -> null;
        case "isWrapperFor" -> false;
        case "unwrap" -> throw new SQLException("not a wrapper: " + args[0]);
        case "toString" -> "ModelStatement";
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        default -> throw new SQLFeatureNotSupportedException("model statement: " + name);
      };
    };
    return (Statement) Proxy.newProxyInstance(ModelDatabase.class.getClassLoader(),
        new Class<?>[] {Statement.class}, handler);
  }

  private Object execute(Method method, AtomicBoolean connectionClosed, AtomicBoolean closed)
      throws SQLException {
    requireOpen(connectionClosed);
    if (closed.get()) {
      throw new SQLException("statement is closed", "08003");
    }
    try {
      TimeUnit.MILLISECONDS.sleep(queryMillis); // the model's service time, in real time
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted", "57014", e);
    }
    Class<?> type = method.getReturnType();
    if (type == boolean.class) {
      return false; // no result set
    }
    if (type == int.class) {
      return 0;
    }
    if (type == long.class) {
      return 0L;
    }
    if (type == int[].class) {
      return new int[0];
    }
    if (type == long[].class) {
      return new long[0];
    }
    throw new SQLFeatureNotSupportedException("model statement: " + method.getName()
        + " (no result sets)");
  }

  private static void requireOpen(AtomicBoolean closed) throws SQLException {
    if (closed.get()) {
      throw new SQLException("connection is closed", "08003");
    }
  }
}
