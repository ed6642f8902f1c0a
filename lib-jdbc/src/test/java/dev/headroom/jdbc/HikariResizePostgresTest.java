package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Live resizing of a real HikariCP pool over PostgreSQL through its MXBeans. */
class HikariResizePostgresTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void growsAtOnceAndShrinksTheOpenConnectionsToo() throws Exception {
    String app = "headroom-resize-" + ProcessHandle.current().pid();
    Postgres.CountingDataSource source = new Postgres.CountingDataSource(Postgres.SUPERUSER, app);
    try (HikariDataSource hikari = Postgres.lazyHikari("resize", source, 10);
        Connection admin = Postgres.superuser()) {
      BudgetedDataSource ds = BudgetedDataSource.builder("resize", hikari)
          .maxPoolSize(3).minIdle(1).acquireTimeout(Duration.ZERO).build();
      assertEquals(3, hikari.getHikariConfigMXBean().getMaximumPoolSize(), "sized at build");
      assertEquals(1, hikari.getHikariConfigMXBean().getMinimumIdle());
      assertSame(hikari, ds.unwrap(HikariDataSource.class));
      assertTrue(ds.isWrapperFor(HikariDataSource.class));

      List<Connection> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(ds.getConnection());
      }
      assertThrows(ConnectionRejectedException.class, ds::getConnection);

      ds.resize(6, 6);
      assertEquals(6, hikari.getHikariConfigMXBean().getMaximumPoolSize());
      assertEquals(6, hikari.getHikariConfigMXBean().getMinimumIdle());
      for (int i = 0; i < 3; i++) {
        held.add(ds.getConnection()); // HikariCP grows at once
      }
      assertEquals(6, ds.inUse());
      assertEquals(6, ds.openConnections());
      assertEquals(6, connectionsOf(admin, app));
      for (Connection c : held) {
        c.close();
      }
      held.clear();

      // Shrink while half of the connections are borrowed: the permits enforce the new size
      // at once, idle surplus closes now, borrowed surplus closes when returned.
      for (int i = 0; i < 3; i++) {
        held.add(ds.getConnection());
      }
      ds.resize(2, 1);
      assertEquals(2, hikari.getHikariConfigMXBean().getMaximumPoolSize());
      assertEquals(1, hikari.getHikariConfigMXBean().getMinimumIdle());
      assertThrows(ConnectionRejectedException.class, ds::getConnection, "3 in use, budget 2");
      for (Connection c : held) {
        c.close();
      }
      held.clear();
      awaitAtMost(2, ds::openConnections, "HikariCP open connections");
      awaitAtMost(2, () -> connectionsOf(admin, app), "backends in pg_stat_activity");

      // Busy at the new size: never more than 2 connections, from any thread.
      ExecutorService load = Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          work.add(load.submit(() -> {
            for (int i = 0; i < 20; i++) {
              try (Connection c = ds.getConnection(); java.sql.Statement s = c.createStatement()) {
                s.execute("select pg_sleep(0.005)");
              } catch (ConnectionRejectedException expected) {
                // budget of two for four threads with no wait: refusals are the point
              }
              assertTrue(ds.inUse() <= 2);
            }
            return null;
          }));
        }
        for (java.util.concurrent.Future<?> f : work) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        load.shutdownNow();
      }
      assertTrue(ds.openConnections() <= 2);
      assertTrue(connectionsOf(admin, app) <= 2);
      assertEquals(0, source.tooManyConnections.get());
    }
  }

  private static int connectionsOf(Connection admin, String app) {
    try {
      Integer n = PostgresIntrospection.connectionsByApplication(admin).get(app);
      return n == null ? 0 : n;
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static void awaitAtMost(int bound, IntSupplier value, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    int seen;
    while ((seen = value.getAsInt()) > bound) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + " stayed at " + seen + ", above " + bound);
      }
      Thread.sleep(20);
    }
  }

  static void awaitAtLeast(int bound, IntSupplier value, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    int seen;
    while ((seen = value.getAsInt()) < bound) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + " stayed at " + seen + ", below " + bound);
      }
      Thread.sleep(20);
    }
  }
}
