package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A shrink closes only the surplus, against the real PostgreSQL: idle connections above the new
 * maximum close at once, busy ones when they come back, and every other connection stays open,
 * so the pool never dips below what its borrowers use and no connection is reopened. HikariCP's
 * own soft eviction, which the wrapper used before, replaces every connection: shown beside it.
 */
class ShrinkOnlySurplusPostgresTest {

  private static final int WORKERS = 5;

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void connectionsNeverDipBelowDemandAndNoneIsReopened() throws Exception {
    String app = "headroom-shrink-" + ProcessHandle.current().pid();
    Postgres.CountingDataSource source = new Postgres.CountingDataSource(Postgres.SUPERUSER, app);
    HikariConfig config = new HikariConfig();
    config.setDataSource(source);
    config.setConnectionTimeout(2_000);
    try (Connection admin = Postgres.superuser();
        BudgetedDataSource ds = BudgetedHikari.builder("shrink", config).maxPoolSize(8)
            .minIdle(8).acquireTimeout(Duration.ofSeconds(5)).build()) {
      // Warm up to 8 open connections.
      List<Connection> held = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        held.add(ds.getConnection());
      }
      for (Connection c : held) {
        c.close();
      }
      assertEquals(8, ds.openConnections());
      assertEquals(8, source.opened.get());

      Load load = new Load(ds);
      Sampler sampler = new Sampler(ds, admin, app);
      try {
        load.start();
        load.awaitQueries(50);
        sampler.start();

        // 8 -> 6 with 5 busy workers: 2 close, 6 stay, none reopened.
        ds.resize(6, 6);
        HikariResizePostgresTest.awaitAtMost(6, ds::openConnections, "open after 8 -> 6");
        load.awaitQueries(load.queries.get() + 100);
        assertEquals(6, ds.openConnections(), "the rest stay open");
        assertTrue(sampler.minOpen.get() >= 6, "dipped to " + sampler.minOpen.get());

        // 6 -> 3 below the demand of 5: the pool keeps exactly 3, busy ones finish first.
        sampler.resetMinimum();
        ds.resize(3, 3);
        HikariResizePostgresTest.awaitAtMost(3, ds::openConnections, "open after 6 -> 3");
        load.awaitQueries(load.queries.get() + 100);
        assertEquals(3, ds.openConnections());
        assertTrue(sampler.minOpen.get() >= 3, "dipped to " + sampler.minOpen.get());
        HikariResizePostgresTest.awaitAtMost(3, () -> connectionsOf(admin, app),
            "backends after 6 -> 3");
      } finally {
        load.stop();
        sampler.stop();
      }
      assertEquals(8, source.opened.get(), "no connection was closed and reopened");
      assertEquals(5, ds.surplusClosedCount(), "exactly the surplus: 2 then 3");
      assertEquals(0, load.errors.get(), "every query succeeded");
      System.out.printf("shrink 8 -> 6 -> 3 under %d busy workers: %d queries, %d connections"
              + " opened in all, %d surplus closed, lowest open %d%n", WORKERS,
          load.queries.get(), source.opened.get(), ds.surplusClosedCount(),
          sampler.minOpen.get());
    }
  }

  /** What the wrapper did before: HikariCP's soft eviction reopens every connection. */
  @Test
  void hikarisSoftEvictionReplacesEveryConnectionNotOnlyTheSurplus() throws Exception {
    String app = "headroom-softevict-" + ProcessHandle.current().pid();
    Postgres.CountingDataSource source = new Postgres.CountingDataSource(Postgres.SUPERUSER, app);
    try (HikariDataSource hikari = Postgres.lazyHikari("softevict", source, 8)) {
      hikari.setMinimumIdle(8);
      List<Connection> held = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        held.add(hikari.getConnection());
      }
      for (Connection c : held) {
        c.close();
      }
      hikari.getHikariConfigMXBean().setMinimumIdle(6);
      hikari.getHikariConfigMXBean().setMaximumPoolSize(6);
      hikari.getHikariPoolMXBean().softEvictConnections();
      HikariResizePostgresTest.awaitAtLeast(14, () -> (int) source.opened.get(),
          "connections opened after the soft eviction");
      assertTrue(source.opened.get() >= 8 + 6, "all 8 closed, 6 reopened: " + source.opened);
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

  /** Workers that borrow, query 5 ms, return, again. */
  private static final class Load {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong queries = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final List<Thread> threads = new ArrayList<>();
    private final BudgetedDataSource ds;

    Load(BudgetedDataSource ds) {
      this.ds = ds;
    }

    void start() {
      for (int i = 0; i < WORKERS; i++) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
              s.execute("select pg_sleep(0.005)");
              queries.incrementAndGet();
            } catch (SQLException e) {
              errors.incrementAndGet();
            }
          }
        }, "shrink-worker-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }

    void awaitQueries(long n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (queries.get() < n) {
        assertTrue(System.nanoTime() < deadline, "queries stalled at " + queries.get());
        Thread.sleep(5);
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
        assertTrue(!t.isAlive(), t.getName() + " stopped");
      }
    }
  }

  /** Samples the pool's open connections every millisecond; keeps the minimum. */
  private static final class Sampler {
    final AtomicInteger minOpen = new AtomicInteger(Integer.MAX_VALUE);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Sampler(BudgetedDataSource ds, Connection admin, String app) {
      thread = new Thread(() -> {
        while (running.get()) {
          minOpen.accumulateAndGet(ds.openConnections(), Math::min);
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "open-connections-sampler");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void resetMinimum() {
      minOpen.set(Integer.MAX_VALUE);
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }
}
