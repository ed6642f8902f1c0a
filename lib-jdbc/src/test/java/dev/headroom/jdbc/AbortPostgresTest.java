package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Aborting a borrowed connection over a real HikariCP pool: evicted, never reused, permit back. */
class AbortPostgresTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void abortEvictsThePhysicalConnectionAndReleasesThePermit() throws Exception {
    String app = "headroom-abort-" + ProcessHandle.current().pid();
    Postgres.CountingDataSource source = new Postgres.CountingDataSource(Postgres.SUPERUSER, app);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (HikariDataSource hikari = Postgres.lazyHikari("abort", source, 2);
        Connection admin = Postgres.superuser()) {
      BudgetedDataSource ds = BudgetedDataSource.builder("abort", hikari)
          .maxPoolSize(1).minIdle(0).acquireTimeout(Duration.ofSeconds(5)).build();
      Connection c = ds.getConnection();
      int abortedPid = backendPid(c);
      c.abort(executor);
      c.abort(executor);
      c.close();
      assertTrue(c.isClosed());
      assertEquals(0, ds.inUse());
      HikariResizePostgresTest.awaitAtMost(0, () -> {
        try {
          Integer n = PostgresIntrospection.connectionsByApplication(admin).get(app);
          return n == null ? 0 : n;
        } catch (SQLException e) {
          throw new AssertionError(e);
        }
      }, "backends after abort");
      try (Connection next = ds.getConnection()) {
        assertNotEquals(abortedPid, backendPid(next), "the aborted connection is not reused");
      }
      assertEquals(0, ds.inUse());
      assertEquals(2, source.opened.get());
    } finally {
      executor.shutdownNow();
    }
  }

  private static int backendPid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
