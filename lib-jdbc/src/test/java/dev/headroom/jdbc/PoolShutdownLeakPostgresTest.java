package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Regression for the backend that stayed open after the wall test closed its naive pools (once
 * in nine runs under load): HikariCP's shutdown waits for a connection its creator thread is
 * still opening for as long as the data source's login timeout. A data source that answers 0
 * makes it stop waiting at once; the connection then lands in a closed pool, which refuses it,
 * and nobody closes it. The test data source of the wall tests now keeps the login timeout the
 * pool gives it, as a real one does; this test pins both sides against the real PostgreSQL.
 */
class PoolShutdownLeakPostgresTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void aDataSourceThatForgetsTheLoginTimeoutLeaksTheConnectionOpenedDuringShutdown()
      throws Exception {
    String app = "headroom-leak-" + ProcessHandle.current().pid();
    try (Connection admin = Postgres.superuser()) {
      assertEquals(1, closeWhileConnecting(app, false, admin),
          "the late connection stays open: the leak");
    } finally {
      Postgres.execute("select pg_terminate_backend(pid) from pg_stat_activity"
          + " where application_name = '" + app + "'");
    }
  }

  @Test
  void aDataSourceThatKeepsTheLoginTimeoutLetsTheShutdownWaitAndCloseIt() throws Exception {
    String app = "headroom-noleak-" + ProcessHandle.current().pid();
    try (Connection admin = Postgres.superuser()) {
      assertEquals(0, closeWhileConnecting(app, true, admin), "nothing left open");
    }
  }

  /** Closes a pool while its creator is inside connect(); returns the backends left after. */
  private static int closeWhileConnecting(String app, boolean keepsLoginTimeout, Connection admin)
      throws Exception {
    Gate gate = new Gate(new Postgres.CountingDataSource(Postgres.SUPERUSER, app),
        keepsLoginTimeout);
    HikariConfig config = new HikariConfig();
    config.setDataSource(gate);
    config.setMaximumPoolSize(1);
    config.setMinimumIdle(1);
    config.setInitializationFailTimeout(-1);
    config.setConnectionTimeout(2_000);
    HikariDataSource pool = new HikariDataSource(config); // starts filling: connect() blocks
    assertTrue(gate.entered.await(10, TimeUnit.SECONDS), "the creator is connecting");
    Thread closer = new Thread(pool::close, "pool-closer");
    closer.start();
    Thread.sleep(300); // the shutdown is under way while the connect is in flight
    gate.release.countDown();
    closer.join(10_000);
    assertTrue(!closer.isAlive());
    Thread.sleep(500); // let a late connection land, and a closed one's backend exit
    HikariResizePostgresTest.awaitAtMost(keepsLoginTimeout ? 0 : 1,
        () -> backends(admin, app), "backends of " + app);
    return backends(admin, app);
  }

  private static int backends(Connection admin, String app) {
    try (Statement s = admin.createStatement();
        java.sql.ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity"
            + " where application_name = '" + app + "'")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Holds the first connect until released; keeps or forgets the pool's login timeout. */
  private static final class Gate implements DataSource {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final DataSource target;
    private final boolean keepsLoginTimeout;
    private volatile int loginTimeout;

    Gate(DataSource target, boolean keepsLoginTimeout) {
      this.target = target;
      this.keepsLoginTimeout = keepsLoginTimeout;
    }

    @Override
    public Connection getConnection() throws SQLException {
      entered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted", e);
      }
      return target.getConnection();
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
      if (keepsLoginTimeout) {
        loginTimeout = seconds;
      }
    }

    @Override
    public int getLoginTimeout() {
      return loginTimeout;
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
