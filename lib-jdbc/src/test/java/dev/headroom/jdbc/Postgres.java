package dev.headroom.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The real PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth, database test). Tests that
 * need it call {@link #requireUp()} first: if the server does not answer they fail, loudly,
 * never skip.
 */
final class Postgres {

  static final String HOST = "127.0.0.1";
  static final int PORT = 5432;
  static final String DATABASE = "test";
  static final String SUPERUSER = "postgres";

  private Postgres() {}

  static String url(int port) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + DATABASE;
  }

  /** Fails the calling test if PostgreSQL does not answer. */
  static void requireUp() {
    try (Connection c = superuser()) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new AssertionError("PostgreSQL is not answering on " + HOST + ":" + PORT
          + " (user " + SUPERUSER + ", database " + DATABASE + "); start it with"
          + " `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`: "
          + e.getMessage(), e);
    }
  }

  /** A fresh superuser connection, outside any pool. */
  static Connection superuser() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", SUPERUSER);
    props.setProperty("connectTimeout", "5");
    props.setProperty("ApplicationName", "headroom-test-admin");
    return DriverManager.getConnection(url(PORT), props);
  }

  static void execute(String sql) throws SQLException {
    try (Connection c = superuser(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** A role name no other run uses. */
  static String uniqueRole(String prefix) {
    return prefix + "_" + ProcessHandle.current().pid() + "_"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
  }

  /** Ends the role's sessions and drops it. */
  static void dropRole(String role) throws SQLException {
    try (Connection c = superuser(); Statement s = c.createStatement()) {
      s.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '"
          + role + "'");
      s.execute("drop role if exists " + role);
    }
  }

  /** Client connections the server holds now for {@code role}. */
  static int connectionsOf(Connection admin, String role) throws SQLException {
    Integer n = PostgresIntrospection.connectionsByRole(admin).get(role);
    return n == null ? 0 : n;
  }

  /** A lazily started HikariCP pool over {@code dataSource}: nothing connects before use. */
  static HikariDataSource lazyHikari(String name, DataSource dataSource, int maxPoolSize) {
    HikariDataSource hikari = new HikariDataSource();
    hikari.setPoolName(name);
    hikari.setDataSource(dataSource);
    hikari.setMaximumPoolSize(maxPoolSize);
    hikari.setConnectionTimeout(1_000);
    hikari.setValidationTimeout(500);
    hikari.setInitializationFailTimeout(-1);
    return hikari;
  }

  /**
   * Counts what the server answers to every physical connection attempt, so that a test can
   * report the exact number of FATAL "too many connections" (SQLSTATE 53300) refusals. The port
   * can be switched, to play a database that goes away and comes back.
   *
   * <p>It keeps the login timeout a pool sets, as a real {@code DataSource} does. HikariCP sets
   * it at start-up and, at shutdown, waits that long for a connection its creator thread is
   * still opening; a data source that forgets it (answering 0) makes the pool stop waiting at
   * once, the late connection lands in a closed pool and is never closed: the backend that
   * stayed open after the naive pods of the wall test were closed, once in nine runs.
   */
  static final class CountingDataSource implements DataSource {
    final AtomicLong attempts = new AtomicLong();
    final AtomicLong opened = new AtomicLong();
    final AtomicLong tooManyConnections = new AtomicLong();
    final AtomicLong otherFailures = new AtomicLong();
    private final String user;
    private final String applicationName;
    private volatile int port = PORT;
    private volatile int loginTimeoutSeconds = 2;

    CountingDataSource(String user, String applicationName) {
      this.user = user;
      this.applicationName = applicationName;
    }

    void port(int port) {
      this.port = port;
    }

    @Override
    public Connection getConnection() throws SQLException {
      PGSimpleDataSource pg = new PGSimpleDataSource();
      pg.setServerNames(new String[] {HOST});
      pg.setPortNumbers(new int[] {port});
      pg.setDatabaseName(DATABASE);
      pg.setUser(user);
      pg.setApplicationName(applicationName);
      pg.setConnectTimeout(loginTimeoutSeconds);
      pg.setLoginTimeout(loginTimeoutSeconds);
      attempts.incrementAndGet();
      try {
        Connection c = pg.getConnection();
        opened.incrementAndGet();
        return c;
      } catch (SQLException e) {
        if ("53300".equals(e.getSQLState())) {
          tooManyConnections.incrementAndGet();
        } else {
          otherFailures.incrementAndGet();
        }
        throw e;
      }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {
      loginTimeoutSeconds = seconds <= 0 ? 2 : seconds;
    }

    @Override
    public int getLoginTimeout() {
      return loginTimeoutSeconds;
    }


    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
