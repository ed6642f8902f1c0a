package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.budget.PushedPodCountSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The connection wall as a new user meets it, replayed against the real PostgreSQL: a role with
 * {@code CONNECTION LIMIT 40} plays {@code max_connections}; pods of one service, each with its
 * own HikariCP pool inside a {@link BudgetedDataSource} following its own {@link PoolSizer},
 * boot every 0.5 s from 4 to 12 (the declared maximum) or to 16 (beyond it), under query load.
 * Each pod sees the replica count through a {@link PushedPodCountSource} driven with a delay of
 * its own, up to 0 s or 2 s; the hold window is 0 or its default. In every scenario: no caller
 * ever gets SQLSTATE 53300, every pod serves, and the server never holds more than the role's
 * limit. The server's own refusals (a pod connecting while another still returns its surplus)
 * are counted and reported; the pods back off and retry them within the caller's deadline.
 */
class ConnectionWallReplayPostgresTest {

  private static final int ROLE_LIMIT = 40;
  private static final int ADMIN_HEADROOM = 2;
  private static final int MAX_REPLICAS = 12;
  private static final int INITIAL_PODS = 4;
  private static final int THREADS_PER_POD = 4;
  private static final long BOOT_EVERY_MILLIS = 500;
  private static final long STEADY_MILLIS = 2_500;
  /** Scheduling jitter of the test's delivery thread, added to the declared count delay. */
  private static final long JITTER_MILLIS = 100;

  private static String role;
  private static PoolBudget budget;

  @BeforeAll
  static void createRole() throws SQLException {
    Postgres.requireUp();
    role = Postgres.uniqueRole("headroom_replay");
    Postgres.execute("create role " + role + " login connection limit " + ROLE_LIMIT);
    try (Connection admin = Postgres.superuser()) {
      budget = PoolBudget.builder()
          .maxConnections(PostgresIntrospection.roleConnectionLimit(admin, role).getAsInt())
          .superuserReservedConnections(0)
          .adminHeadroom(ADMIN_HEADROOM)
          .service(PoolBudget.Service.builder("replay").maxReplicas(MAX_REPLICAS).build())
          .build();
    }
  }

  @AfterAll
  static void dropRole() throws SQLException {
    if (role != null) {
      Postgres.dropRole(role);
    }
  }

  @ParameterizedTest(name = "count late by up to {0} ms, hold window {1}, to {2} pods")
  @CsvSource({
      "0,    0s,      12",
      "2000, 0s,      12",
      "0,    default, 12",
      "2000, default, 12",
      "2000, 0s,      16",
      "0,    default, 16"})
  void noCallerMeetsTheWallWhateverTheCountSays(long lateMillis, String hold, int finalPods)
      throws Exception {
    Duration holdWindow = "default".equals(hold) ? null : Duration.parse("PT" + hold);
    Fleet fleet = new Fleet(lateMillis, holdWindow);
    try (Connection admin = Postgres.superuser()) {
      ConnectionWallPostgresTest.Sampler sampler = new ConnectionWallPostgresTest.Sampler(admin,
          role);
      sampler.start();
      try {
        for (int i = 0; i < INITIAL_PODS; i++) {
          fleet.boot();
        }
        while (fleet.pods.size() < finalPods) {
          Thread.sleep(BOOT_EVERY_MILLIS);
          fleet.boot();
        }
        Thread.sleep(lateMillis + JITTER_MILLIS + STEADY_MILLIS);
      } finally {
        fleet.stop();
        sampler.stop();
      }
      // Every pool closed: the role's backends go back to 0 (no connection leaks on shutdown).
      HikariResizePostgresTest.awaitAtMost(0, () -> count(admin), "role connections after stop");

      long callers53300 = fleet.tooManyInCallers.get();
      long serverRefusals = fleet.pods.stream().mapToLong(p -> p.source.tooManyConnections.get())
          .sum();
      long retried = fleet.pods.stream().mapToLong(p -> p.dataSource.databaseRefusals()).sum();
      long idlePods = fleet.pods.stream().filter(p -> p.queries.get() == 0).count();
      int atEnd = budget.maxPoolSizeFor("replay", finalPods);
      System.out.printf("wall replay: late <= %d ms, hold %s, %d -> %d pods (declared %d):"
              + " %d queries, 53300 to callers %d, server refusals %d (retried %d), budget"
              + " rejections %d, other errors %d, pods that never served %d, peak backends %d"
              + " (limit %d, budget %d), per-pod size at the end %d%n",
          lateMillis, hold, INITIAL_PODS, finalPods, MAX_REPLICAS, fleet.queries(),
          callers53300, serverRefusals, retried, fleet.rejections.get(),
          fleet.otherErrors.get(), idlePods, sampler.peak.get(), ROLE_LIMIT,
          budget.available(), atEnd);
      assertEquals(0, callers53300, "no caller saw 53300");
      assertEquals(0, idlePods, "every pod served");
      assertTrue(sampler.peak.get() <= ROLE_LIMIT, "peak " + sampler.peak.get());
      assertEquals(0, fleet.otherErrors.get(), "no other failure");
      if (finalPods > MAX_REPLICAS) {
        for (Pod pod : fleet.pods) {
          assertTrue(pod.sizer.overDeclaredMaximumCount() >= 1, pod.name + " counted it");
          assertTrue(pod.sizer.explain().contains("ABOVE THE DECLARED MAXIMUM"), pod.name);
        }
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

  /** One pod: its own count source, sizer, pool (built by the wrapper) and workers. */
  static final class Pod {
    final String name;
    final PushedPodCountSource pods;
    final PoolSizer sizer;
    final BudgetedDataSource dataSource;
    final Postgres.CountingDataSource source;
    final long lateMillis;
    final AtomicLong queries = new AtomicLong();
    final List<Thread> workers = new ArrayList<>();

    Pod(String name, long lateMillis, long declaredMillis, Duration holdWindow, int count) {
      this.name = name;
      this.lateMillis = lateMillis;
      this.source = new Postgres.CountingDataSource(role, name);
      this.pods = PodCountSource.pushed().name(name).maxDelay(Duration.ofMillis(declaredMillis))
          .build();
      pods.update(count);
      PoolSizer.Builder sizing = PoolSizer.builder().budget(budget).service("replay")
          .podCountSource(pods).ownsPodCountSource();
      if (holdWindow != null) {
        sizing.holdWindow(holdWindow);
      }
      this.sizer = sizing.build();
      HikariConfig config = new HikariConfig();
      config.setDataSource(source);
      config.setMaximumPoolSize(10); // the naive size: the wrapper builds the pool at its share
      config.setConnectionTimeout(1_000);
      config.setValidationTimeout(500);
      this.dataSource = BudgetedHikari.builder(name, config).sizer(sizer)
          .acquireTimeout(Duration.ofSeconds(3)).defaultQueryTimeout(Duration.ofSeconds(5))
          .build();
    }
  }

  /** The pods, the replica count, and its delivery to each pod with the pod's own delay. */
  static final class Fleet {
    final List<Pod> pods = new ArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong rejections = new AtomicLong();
    final AtomicLong otherErrors = new AtomicLong();
    final AtomicLong tooManyInCallers = new AtomicLong();
    private final long lateMillis;
    private final Duration holdWindow;
    private final ScheduledThreadPoolExecutor delivery = new ScheduledThreadPoolExecutor(1);

    Fleet(long lateMillis, Duration holdWindow) {
      this.lateMillis = lateMillis;
      this.holdWindow = holdWindow;
    }

    /** A new pod: the replica count rises, every pod hears it late, the new pod starts now. */
    void boot() {
      int count = pods.size() + 1;
      int index = pods.size();
      // Delays 0, late/2 and late, in turn: some pods hear at once, some at the bound.
      long late = lateMillis * (index % 3) / 2;
      Pod pod = new Pod("replay-" + index, late, lateMillis + (lateMillis > 0 ? JITTER_MILLIS : 0),
          holdWindow, count);
      for (Pod other : pods) {
        if (other.lateMillis == 0) {
          other.pods.update(count);
        } else {
          delivery.schedule(() -> other.pods.update(count), other.lateMillis,
              TimeUnit.MILLISECONDS);
        }
      }
      pods.add(pod);
      startLoad(pod);
    }

    private void startLoad(Pod pod) {
      for (int t = 0; t < THREADS_PER_POD; t++) {
        Thread worker = new Thread(() -> {
          while (running.get()) {
            try (Connection c = pod.dataSource.getConnection();
                Statement s = c.createStatement()) {
              s.execute("select pg_sleep(0.02)");
              pod.queries.incrementAndGet();
            } catch (SQLException e) {
              if (Refusals.connectionLimit(e) != null) {
                tooManyInCallers.incrementAndGet();
              } else if (e instanceof ConnectionRejectedException) {
                rejections.incrementAndGet();
              } else {
                otherErrors.incrementAndGet();
                e.printStackTrace();
              }
            }
          }
        }, pod.name + "-worker-" + t);
        worker.setDaemon(true);
        pod.workers.add(worker);
        worker.start();
      }
    }

    long queries() {
      return pods.stream().mapToLong(p -> p.queries.get()).sum();
    }

    void stop() throws InterruptedException {
      running.set(false);
      delivery.shutdownNow();
      for (Pod pod : pods) {
        for (Thread worker : pod.workers) {
          worker.join(TimeUnit.SECONDS.toMillis(10));
          assertTrue(!worker.isAlive(), worker.getName() + " stopped");
        }
      }
      for (Pod pod : pods) {
        pod.dataSource.close(); // closes the sizer, its source and the pool it built
        assertEquals(0, pod.dataSource.inUse(), pod.name + " released every permit");
      }
    }
  }
}
