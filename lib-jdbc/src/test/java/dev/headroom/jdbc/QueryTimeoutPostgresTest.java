package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A query sleeping past the default timeout is cancelled by the server and its permit freed. */
class QueryTimeoutPostgresTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void pgSleepPastTheDefaultTimeoutIsCancelledAndThePermitReleased() throws Exception {
    Postgres.CountingDataSource source =
        new Postgres.CountingDataSource(Postgres.SUPERUSER, "headroom-timeout");
    try (HikariDataSource hikari = Postgres.lazyHikari("timeout", source, 2)) {
      BudgetedDataSource ds = BudgetedDataSource.builder("timeout", hikari)
          .maxPoolSize(1).minIdle(0)
          .acquireTimeout(Duration.ZERO)
          .defaultQueryTimeout(Duration.ofSeconds(1))
          .build();
      long start = System.nanoTime();
      try (Connection c = ds.getConnection()) {
        try (Statement s = c.createStatement()) {
          assertEquals(1, s.getQueryTimeout());
          assertEquals(c, s.getConnection());
          assertTrue(s.isWrapperFor(org.postgresql.PGStatement.class));
          SQLException e = assertThrows(SQLException.class,
              () -> s.executeQuery("select pg_sleep(30)"));
          assertEquals("57014", e.getSQLState(), "query_canceled: " + e.getMessage());
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs < 10_000, "cancelled after about 1 s, not 30 s: " + elapsedMs);
        assertEquals(1, ds.inUse(), "still borrowed until closed");
        assertThrows(ConnectionRejectedException.class, ds::getConnection, "budget of one");
        // The connection survives a cancelled statement and prepared statements get it too.
        try (PreparedStatement p = c.prepareStatement("select ?::int")) {
          assertEquals(1, p.getQueryTimeout());
          p.setInt(1, 42);
          try (ResultSet rs = p.executeQuery()) {
            rs.next();
            assertEquals(42, rs.getInt(1));
          }
        }
      }
      assertEquals(0, ds.inUse(), "permit released on close");
      try (Connection again = ds.getConnection(); Statement s = again.createStatement()) {
        s.setQueryTimeout(3); // a statement may still choose its own
        assertEquals(3, s.getQueryTimeout());
        s.execute("select pg_sleep(1.5)");
      }
      assertEquals(0, ds.inUse());
      assertEquals(2, ds.acquiredCount());
    }
  }
}
