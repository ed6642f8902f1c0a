package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CallNotPermittedException;
import dev.headroom.breaker.CircuitBreaker;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The database goes away (its backends are terminated with {@code pg_terminate_backend} and new
 * connections meet a closed port) and comes back: the breaker opens, borrowers fail fast without
 * the pool trying to connect, and after the database returns, traffic comes back along the
 * breaker's ramp until it closes.
 */
class DatabaseUnavailablePostgresTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void breakerOpensFailsFastAndRecoversAlongTheRamp() throws Exception {
    String app = "headroom-unavailable-" + ProcessHandle.current().pid();
    Postgres.CountingDataSource source = new Postgres.CountingDataSource(Postgres.SUPERUSER, app);
    CircuitBreaker breaker = CircuitBreaker.builder("pg")
        .consecutiveFailures(3)
        .openDuration(Duration.ofMillis(500))
        .openJitter(0.0)
        .rampSteps(0.25, 0.5, 1.0)
        .rampStep(Duration.ofMillis(300), 3)
        .build();
    try (HikariDataSource hikari = Postgres.lazyHikari("unavailable", source, 4)) {
      hikari.setConnectionTimeout(250);
      BudgetedDataSource ds = BudgetedDataSource.builder("unavailable", hikari)
          .maxPoolSize(4).minIdle(0)
          .acquireTimeout(Duration.ofSeconds(1))
          .breaker(breaker)
          .build();

      // Healthy.
      assertEquals(1, query(ds));
      assertEquals(BreakerState.CLOSED, breaker.state());

      // The database goes away.
      source.port(closedPort());
      Postgres.execute("select pg_terminate_backend(pid) from pg_stat_activity"
          + " where application_name = '" + app + "'");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      int failedBorrows = 0;
      while (breaker.state() != BreakerState.OPEN) {
        assertTrue(System.nanoTime() - deadline < 0, "breaker opened within 15 s");
        try {
          query(ds);
        } catch (ConnectionRejectedException e) {
          throw new AssertionError("rejected before the breaker opened", e);
        } catch (SQLException e) {
          failedBorrows++; // a dead pooled connection, then the closed port
        }
      }
      assertTrue(ds.poolFailures() >= 3, "the pool failed " + ds.poolFailures() + " times");

      // Open: fail fast, and the pool does not even try to connect.
      long attemptsBefore = source.attempts.get();
      for (int i = 0; i < 50; i++) {
        // Fail fast is shown by what happens, not by a timer: a typed rejection and no
        // connection attempt (checked after the loop).
        ConnectionRejectedException e = assertThrows(ConnectionRejectedException.class,
            ds::getConnection);
        assertEquals(ConnectionRejectedException.Reason.BREAKER_OPEN, e.reason());
        assertTrue(e.getMessage().startsWith("jdbc \"unavailable\" failing fast, database not"
            + " asked: breaker 'pg' is OPEN, rejecting calls for another "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" (budget 4, in use 0, waiting 0, retry after "
            + e.retryAfter().toMillis() + " ms)"), e.getMessage());
        assertInstanceOf(CallNotPermittedException.class, e.getCause());
        assertTrue(e.retryAfter().compareTo(Duration.ofMillis(500)) <= 0);
        if (breaker.state() != BreakerState.OPEN) {
          break;
        }
      }
      assertEquals(attemptsBefore, source.attempts.get(), "no connection attempt while open");
      assertEquals(0, ds.inUse());
      assertTrue(ds.breakerRejections() > 0);

      // The database comes back: recovery along the ramp.
      source.port(Postgres.PORT);
      List<Double> fractions = new ArrayList<>();
      int successes = 0;
      int rampRejections = 0;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (breaker.state() != BreakerState.CLOSED) {
        assertTrue(System.nanoTime() - deadline < 0, "breaker closed within 20 s, now "
            + breaker.state() + " at " + breaker.admittedFraction());
        double f = breaker.admittedFraction();
        if (breaker.state() == BreakerState.HALF_OPEN
            && (fractions.isEmpty() || fractions.get(fractions.size() - 1) != f)) {
          fractions.add(f);
        }
        try {
          assertEquals(1, query(ds));
          successes++;
        } catch (ConnectionRejectedException e) {
          assertEquals(ConnectionRejectedException.Reason.BREAKER_OPEN, e.reason());
          rampRejections++;
        }
        Thread.sleep(5);
      }
      System.out.printf("database unavailable: %d failed borrows before opening, %d fast"
              + " rejections while open, recovery ramp %s with %d successes and %d rejections%n",
          failedBorrows, ds.breakerRejections() - rampRejections, fractions, successes,
          rampRejections);
      assertTrue(fractions.size() >= 2, "went through the ramp: " + fractions);
      assertTrue(fractions.get(0) < 1.0, "started below full traffic: " + fractions);
      assertTrue(rampRejections > 0, "the ramp held some borrowers back");
      assertEquals(1, query(ds));
      assertEquals(0, ds.inUse());
    }
  }

  private static int query(BudgetedDataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("select 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1,
        java.net.InetAddress.getByName(Postgres.HOST))) {
      return socket.getLocalPort(); // closed again when this returns: connections are refused
    }
  }
}
