package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.budget.SettablePodCountSource;
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
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connection wall, replayed against the real PostgreSQL without touching its settings: a
 * role with {@code CONNECTION LIMIT} plays the database's {@code max_connections}, and K HikariCP
 * pools in this JVM play K pods of one service under concurrent query load.
 *
 * <p>Sized the naive way (every pod gets the pool size that looked right for one pod), the pods
 * hit the wall: the server refuses connections with SQLSTATE 53300. Wrapped in
 * {@link BudgetedDataSource}, each following its own {@link PoolSizer} over one
 * {@link PoolBudget} computed from the role's limit, the same pods get no refusal, the server
 * never sees more connections than the budget, and scaling out keeps it that way: the pod count
 * rises, every running pod's sizer shrinks its pool at once, and the new pods start once the
 * shrink shows in {@code pg_stat_activity} (the sizer's "shrink before growth elsewhere").
 */
class ConnectionWallPostgresTest {

  private static final int ROLE_LIMIT = 30;
  /** Kept free for an operator's psql session and a migration, as a real budget would. */
  private static final int ADMIN_HEADROOM = 2;
  private static final int BUDGET = ROLE_LIMIT - ADMIN_HEADROOM;
  private static final int PODS = 5;
  private static final int SCALED_PODS = 9;
  private static final int NAIVE_POOL_SIZE = 10;
  private static final int THREADS_PER_POD = 8;
  private static final long PHASE_MILLIS = 2_500;

  private static String role;
  private static PoolBudget budget;

  @BeforeAll
  static void createRole() throws SQLException {
    Postgres.requireUp();
    role = Postgres.uniqueRole("headroom_wall");
    Postgres.execute("create role " + role + " login connection limit " + ROLE_LIMIT);
    // The role's limit plays max_connections; nothing is reserved for superusers inside it.
    try (Connection admin = Postgres.superuser()) {
      budget = PoolBudget.builder()
          .maxConnections(PostgresIntrospection.roleConnectionLimit(admin, role).getAsInt())
          .superuserReservedConnections(0)
          .adminHeadroom(ADMIN_HEADROOM)
          .service(PoolBudget.Service.builder("wall").maxReplicas(SCALED_PODS).build())
          .build();
    }
    assertEquals(BUDGET, budget.available(), budget.explain());
    System.out.println(budget.explain());
  }

  @AfterAll
  static void dropRole() throws SQLException {
    if (role != null) {
      Postgres.dropRole(role);
    }
  }

  @Test
  void naivePodsHitTheWallAndBudgetedPodsNeverDo() throws Exception {
    try (Connection admin = Postgres.superuser();
        SettablePodCountSource replicas = new SettablePodCountSource(PODS)) {
      // --- Naive: K pods, each sized for itself. -------------------------------------------
      Load naive = new Load();
      List<Pod> naivePods = new ArrayList<>();
      Sampler naiveSampler = new Sampler(admin, role);
      naiveSampler.start();
      for (int i = 0; i < PODS; i++) {
        naivePods.add(Pod.naive("naive-" + i, naive));
      }
      Thread.sleep(PHASE_MILLIS);
      naive.stop(naivePods);
      naiveSampler.stop();
      HikariResizePostgresTest.awaitAtMost(0, () -> count(admin), "role connections after naive");

      // --- Budgeted: the same K pods, each given its share of the role's limit. ------------
      Load budgeted = new Load();
      List<Pod> pods = new ArrayList<>();
      Sampler sampler = new Sampler(admin, role);
      sampler.start();
      for (int i = 0; i < PODS; i++) {
        pods.add(Pod.budgeted("pod-" + i, replicas, budgeted));
      }
      int share = budget.maxPoolSizeFor("wall", PODS);
      for (Pod pod : pods) {
        assertEquals(share, pod.budgeted.maxPoolSize(), pod.name + " sized by its sizer");
      }
      Thread.sleep(PHASE_MILLIS);

      // --- Scale out while the load runs: every running pod's sizer shrinks its pool at once;
      // the new pods start once the database shows the shrink. -------------------------------
      replicas.set(SCALED_PODS);
      int scaledShare = budget.maxPoolSizeFor("wall", SCALED_PODS);
      for (Pod pod : pods) {
        assertEquals(scaledShare, pod.budgeted.maxPoolSize(), pod.name + " shrank at once");
      }
      for (Pod pod : pods) {
        HikariResizePostgresTest.awaitAtMost(scaledShare, pod.budgeted::openConnections,
            pod.name + " open connections after shrink");
      }
      HikariResizePostgresTest.awaitAtMost(PODS * scaledShare, () -> count(admin),
          "role connections after shrink");
      for (int i = PODS; i < SCALED_PODS; i++) {
        pods.add(Pod.budgeted("pod-" + i, replicas, budgeted));
      }
      Thread.sleep(PHASE_MILLIS);
      budgeted.stop(pods);
      sampler.stop();
      for (Pod pod : pods) {
        pod.sizer.close();
      }

      long naiveFatal = naive.serverRefusals(naivePods);
      long budgetedFatal = budgeted.serverRefusals(pods);
      System.out.printf("connection wall (role limit %d, budget %d): naive %d pods x %d ->"
              + " %d FATAL 53300 from the server, %d failed borrows, peak %d backends;"
              + " budgeted %d -> %d pods -> %d FATAL 53300, %d failed borrows,"
              + " %d budget rejections, %d queries, peak %d backends%n",
          ROLE_LIMIT, BUDGET, PODS, NAIVE_POOL_SIZE, naiveFatal, naive.errors.get(),
          naiveSampler.peak.get(), PODS, SCALED_PODS, budgetedFatal, budgeted.errors.get(),
          budgeted.rejections.get(), budgeted.queries.get(), sampler.peak.get());

      assertTrue(naiveFatal > 0, "the naive pods hit the wall");
      assertEquals(0, budgetedFatal, "no FATAL 53300 with the budget");
      assertEquals(0, budgeted.tooManyInCallers.get(), "no caller saw 53300");
      assertEquals(0, budgeted.errors.get() - budgeted.rejections.get(), "no other failure");
      assertTrue(sampler.peak.get() <= BUDGET,
          "backends peaked at " + sampler.peak.get() + ", above the budget " + BUDGET);
      assertTrue(budgeted.queries.get() > 0, "the budgeted pods did work");
      for (Pod pod : pods) {
        assertEquals(0, pod.budgeted.inUse(), pod.name + " released every permit");
      }
    }
  }

  private static int count(Connection admin) {
    try {
      return Postgres.connectionsOf(admin, role);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** One simulated pod: a HikariCP pool, possibly wrapped, and its worker threads. */
  static final class Pod {
    final String name;
    final HikariDataSource hikari;
    final BudgetedDataSource budgeted;
    final Postgres.CountingDataSource source;
    final PoolSizer sizer;
    final List<Thread> workers = new ArrayList<>();

    private Pod(String name, HikariDataSource hikari, BudgetedDataSource budgeted,
        Postgres.CountingDataSource source, PoolSizer sizer) {
      this.name = name;
      this.hikari = hikari;
      this.budgeted = budgeted;
      this.source = source;
      this.sizer = sizer;
    }

    static Pod naive(String name, Load load) {
      Postgres.CountingDataSource source = new Postgres.CountingDataSource(role, name);
      Pod pod = new Pod(name, Postgres.lazyHikari(name, source, NAIVE_POOL_SIZE), null, source,
          null);
      load.start(pod, pod.hikari);
      return pod;
    }

    static Pod budgeted(String name, SettablePodCountSource replicas, Load load) {
      Postgres.CountingDataSource source = new Postgres.CountingDataSource(role, name);
      // The pool is configured the naive way; the wrapper sizes it down before it starts.
      HikariDataSource hikari = Postgres.lazyHikari(name, source, NAIVE_POOL_SIZE);
      PoolSizer sizer = PoolSizer.builder()
          .budget(budget)
          .service("wall")
          .podCountSource(replicas)
          .holdWindow(Duration.ZERO) // pods here start and stop within the test
          .staticPoolSize(NAIVE_POOL_SIZE)
          .build();
      BudgetedDataSource budgeted = BudgetedDataSource.builder(name, hikari)
          .sizer(sizer)
          .acquireTimeout(Duration.ofSeconds(2))
          .defaultQueryTimeout(Duration.ofSeconds(5))
          .build();
      Pod pod = new Pod(name, hikari, budgeted, source, sizer);
      load.start(pod, budgeted);
      return pod;
    }
  }

  /** Query load: every worker borrows, sleeps 20 ms in the database, returns, again. */
  static final class Load {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong queries = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong rejections = new AtomicLong();
    final AtomicLong tooManyInCallers = new AtomicLong();

    void start(Pod pod, DataSource entry) {
      for (int t = 0; t < THREADS_PER_POD; t++) {
        Thread worker = new Thread(() -> {
          while (running.get()) {
            try (Connection c = entry.getConnection(); Statement s = c.createStatement()) {
              s.execute("select pg_sleep(0.02)");
              queries.incrementAndGet();
            } catch (SQLException e) {
              errors.incrementAndGet();
              if (e instanceof ConnectionRejectedException) {
                rejections.incrementAndGet();
              }
              if (causedBy53300(e)) {
                tooManyInCallers.incrementAndGet();
              }
            }
          }
        }, pod.name + "-worker-" + t);
        worker.setDaemon(true);
        pod.workers.add(worker);
        worker.start();
      }
    }

    void stop(List<Pod> pods) throws InterruptedException {
      running.set(false);
      for (Pod pod : pods) {
        for (Thread worker : pod.workers) {
          worker.join(TimeUnit.SECONDS.toMillis(10));
          assertTrue(!worker.isAlive(), worker.getName() + " stopped");
        }
      }
      for (Pod pod : pods) {
        pod.hikari.close();
      }
    }

    long serverRefusals(List<Pod> pods) {
      return pods.stream().mapToLong(p -> p.source.tooManyConnections.get()).sum();
    }

    private static boolean causedBy53300(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SQLException sql && "53300".equals(sql.getSQLState())) {
          return true;
        }
      }
      return false;
    }
  }

  /** Polls pg_stat_activity for the role's backends every few milliseconds; keeps the peak. */
  static final class Sampler {
    final AtomicInteger peak = new AtomicInteger();
    private final Connection admin;
    private final String role;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile Throwable failure;

    Sampler(Connection admin, String role) {
      this.admin = admin;
      this.role = role;
      this.thread = new Thread(this::run, "pg-stat-activity-sampler");
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      try {
        while (running.get()) {
          peak.accumulateAndGet(Postgres.connectionsOf(admin, role), Math::max);
          Thread.sleep(5);
        }
      } catch (Throwable e) {
        failure = e;
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(TimeUnit.SECONDS.toMillis(10));
      if (failure != null) {
        throw new AssertionError("sampler failed", failure);
      }
    }
  }
}
