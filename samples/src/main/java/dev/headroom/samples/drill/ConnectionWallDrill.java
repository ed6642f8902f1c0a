package dev.headroom.samples.drill;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.budget.PushedPodCountSource;
import dev.headroom.jdbc.BudgetedDataSource;
import dev.headroom.jdbc.BudgetedHikari;
import dev.headroom.jdbc.ConnectionRejectedException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * The connection wall against the real PostgreSQL: a role created with
 * {@code CONNECTION LIMIT 30} plays the database's {@code max_connections} (the server's own
 * settings are never touched); pods of one service, each a HikariCP pool in this process, boot
 * every 0.5 s from 4 to 12. Requests arrive at a steady {@value #REQUESTS_PER_SECOND} a second,
 * whatever happens to them (users do not slow down because a pod cannot reach the database),
 * and a load balancer sends each to the next pod in turn; a pod serves it on one of its
 * {@value #THREADS_PER_POD} request threads with {@code select pg_sleep(0.02)}, and a request
 * that finds all of them busy and {@value #QUEUE_PER_POD} waiting is refused. Both fleets get
 * the same requests at the same moments, so "served" compares like with like. When no
 * PostgreSQL answers at the URL (a connection error, SQLSTATE class 08), the same fleets run
 * against a {@link ModelDatabase} with the same limit and a 20 ms query, and the result says
 * so in what it ran on; any other error (a refused login, say) fails the scenario.
 *
 * <p>Without Headroom every pod's pool is sized 10, as for one pod. With Headroom every pod wraps
 * the same pool configuration in {@link BudgetedHikari} following a {@link PoolSizer} over one
 * {@link PoolBudget} built from the role's limit, told the pod count as it rises. A superuser
 * connection samples {@code pg_stat_activity} every 100 ms.
 */
public final class ConnectionWallDrill implements DrillScenario {

  static final int ROLE_LIMIT = 30;
  static final int ADMIN_HEADROOM = 2;
  static final int FIRST_PODS = 4;
  static final int LAST_PODS = 12;
  static final int THREADS_PER_POD = 16;
  static final int QUEUE_PER_POD = 64;
  /** Well within the budget's capacity: 28 connections serve over 1,000 queries a second. */
  static final int REQUESTS_PER_SECOND = 120;
  static final long BOOT_EVERY_MILLIS = 500;
  static final long STEADY_MILLIS = 2_500;
  /** The requests of one run: from the first pod's boot to STEADY_MILLIS after the last. */
  static final long REQUESTS = REQUESTS_PER_SECOND
      * ((LAST_PODS - FIRST_PODS) * BOOT_EVERY_MILLIS + STEADY_MILLIS) / 1000;
  static final int NAIVE_POOL = 10;
  static final long SAMPLE_MILLIS = 100;

  @Override
  public String name() {
    return "connection-wall";
  }

  /** What one fleet did. */
  static final class Run {
    final AtomicLong offered = new AtomicLong();
    final AtomicLong queries = new AtomicLong();
    /** Requests a pod refused because its threads and queue were full. */
    final AtomicLong saturated = new AtomicLong();
    final AtomicLong wall = new AtomicLong();
    final AtomicLong budget = new AtomicLong();
    final AtomicLong other = new AtomicLong();
    final List<double[]> samples = new ArrayList<>(); // {seconds, backends, failures, queries}
    int peak;
    long podsThatNeverServed;

    long failures() {
      return wall.get() + budget.get() + other.get() + saturated.get();
    }

    double successShare() {
      return offered.get() == 0 ? 0.0 : (double) queries.get() / offered.get();
    }
  }

  /** One pod: its pool and its request threads. */
  private static final class Pod {
    final DataSource dataSource;
    final AutoCloseable closer;
    final PushedPodCountSource count;
    final AtomicLong served = new AtomicLong();
    final ThreadPoolExecutor threads;

    Pod(String name, DataSource dataSource, AutoCloseable closer, PushedPodCountSource count) {
      this.dataSource = dataSource;
      this.closer = closer;
      this.count = count;
      this.threads = new ThreadPoolExecutor(THREADS_PER_POD, THREADS_PER_POD, 0,
          TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE_PER_POD), r -> {
            Thread t = new Thread(r, name + "-request");
            t.setDaemon(true);
            return t;
          }, new ThreadPoolExecutor.AbortPolicy());
    }
  }

  /** Where the fleets' pools connect, and how the connections they hold are counted. */
  private interface Backend {
    /** Points a pool at the database. */
    void configure(HikariConfig config);

    /** The connections the database holds for the service now. */
    int connections() throws SQLException;

    /** Waits until the database holds none (the pools of a fleet closed). */
    void awaitEmpty() throws Exception;
  }

  @Override
  public DrillResult run(DrillOptions options) throws Exception {
    PoolBudget budget = PoolBudget.builder().maxConnections(ROLE_LIMIT)
        .superuserReservedConnections(0).adminHeadroom(ADMIN_HEADROOM)
        .service(PoolBudget.Service.builder("wall").maxReplicas(LAST_PODS).build()).build();
    Run naive;
    Run headroom;
    String ranOn;
    Connection admin = connectOrNull(options.postgresUrl());
    if (admin == null) {
      ModelDatabase model = new ModelDatabase(ROLE_LIMIT, 20);
      Backend backend = new Backend() {
        @Override
        public void configure(HikariConfig config) {
          config.setDataSource(model.dataSource());
        }

        @Override
        public int connections() {
          return model.open();
        }

        @Override
        public void awaitEmpty() {
          if (model.open() != 0) {
            throw new IllegalStateException("the model database still holds " + model.open()
                + " connections after the pools closed");
          }
        }
      };
      naive = fleet(backend, null);
      backend.awaitEmpty();
      headroom = fleet(backend, budget);
      ranOn = "A MODEL of a database, not PostgreSQL (none answered at "
          + options.postgresUrl().replaceAll("\\?.*", "") + "): a hard limit of " + ROLE_LIMIT
          + " connections, SQLSTATE 53300 beyond it, 20 ms per query; real HikariCP pools";
    } else {
      String role = "headroom_drill_" + ProcessHandle.current().pid() + "_"
          + Long.toString(System.nanoTime() & 0xffffff, 36);
      try (admin) {
        try (Statement s = admin.createStatement()) {
          s.execute("create role " + role + " login connection limit " + ROLE_LIMIT);
        }
        try {
          String url = roleUrl(options.postgresUrl(), role);
          Backend backend = new Backend() {
            @Override
            public void configure(HikariConfig config) {
              config.setJdbcUrl(url);
            }

            @Override
            public int connections() throws SQLException {
              try (PreparedStatement ps = admin.prepareStatement(
                  "select count(*) from pg_stat_activity where usename = ?")) {
                ps.setString(1, role);
                try (ResultSet rs = ps.executeQuery()) {
                  rs.next();
                  return rs.getInt(1);
                }
              }
            }

            @Override
            public void awaitEmpty() throws Exception {
              awaitNoBackends(admin, role);
            }
          };
          naive = fleet(backend, null);
          backend.awaitEmpty();
          headroom = fleet(backend, budget);
        } finally {
          try (Statement s = admin.createStatement()) {
            s.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '"
                + role + "'");
            s.execute("drop role if exists " + role);
          }
        }
      }
      ranOn = "real PostgreSQL at " + options.postgresUrl().replaceAll("\\?.*", "")
          + " (a role with CONNECTION LIMIT " + ROLE_LIMIT + " plays max_connections), real"
          + " HikariCP pools";
    }
    DrillResult out = new DrillResult(name(), "pods of one service boot from " + FIRST_PODS
            + " to " + LAST_PODS + " under query load against a database limit of " + ROLE_LIMIT
            + " connections",
        ranOn, "HikariCP, maximumPoolSize " + NAIVE_POOL + " per pod", null);
    out.add(new Comparison("requests that failed", false, naive.failures(), Double.NaN,
        headroom.failures()));
    out.add(new Comparison("requests refused by the database (SQLSTATE 53300)", false,
        naive.wall.get(), Double.NaN, headroom.wall.get()));
    out.add(new Comparison("pods that never served a query", false, naive.podsThatNeverServed,
        Double.NaN, headroom.podsThatNeverServed));
    out.add(new Comparison("requests served (%)", true, OverloadDrill.pct(
        naive.successShare()), Double.NaN, OverloadDrill.pct(headroom.successShare())));
    out.add(new Comparison("requests served", true, naive.queries.get(), Double.NaN,
        headroom.queries.get()));
    out.add(new Comparison("peak server connections (limit " + ROLE_LIMIT + ")", false,
        naive.peak, Double.NaN, headroom.peak));
    if (naive.offered.get() != REQUESTS || headroom.offered.get() != REQUESTS) {
      throw new IllegalStateException("the load balancer sent " + naive.offered.get() + " and "
          + headroom.offered.get() + " requests, not " + REQUESTS + " each");
    }
    out.note(String.format(Locale.ROOT, "the same %,d requests in each run (%d a second, the"
        + " load balancer's turn decides the pod); without Headroom a request sent to a pod"
        + " whose pool got no connection waits 1 s for one, then fails", REQUESTS,
        REQUESTS_PER_SECOND));
    out.note("budget: " + budget.available() + " of " + ROLE_LIMIT + " connections for the"
        + " service (" + ADMIN_HEADROOM + " kept for operators); per-pod pool at " + LAST_PODS
        + " pods: " + budget.maxPoolSizeFor("wall", LAST_PODS) + "; Headroom requests rejected"
        + " by the budget (bounded wait, then fail fast): " + headroom.budget.get()
        + "; requests refused by a saturated pod: without " + naive.saturated.get()
        + ", with Headroom " + headroom.saturated.get() + "; other failures: without "
        + naive.other.get() + ", with Headroom " + headroom.other.get());
    out.chart(Chart.lines("Connections the database holds for the service", "time (s)",
        "server connections", List.of(
            series("without: pools of " + NAIVE_POOL, "#d62728", true, naive, 1),
            series("Headroom: pools sized by the budget", "#1f77b4", false, headroom, 1),
            limitLine(naive, headroom))));
    out.chart(Chart.lines("Requests that failed, cumulative", "time (s)", "failed requests",
        List.of(series("without: pools of " + NAIVE_POOL, "#d62728", true, naive, 2),
            series("Headroom: pools sized by the budget", "#1f77b4", false, headroom, 2))));
    return out;
  }

  private static Series limitLine(Run a, Run b) {
    double end = Math.max(a.samples.get(a.samples.size() - 1)[0],
        b.samples.get(b.samples.size() - 1)[0]);
    return new Series("database limit (" + ROLE_LIMIT + ")", "#7f7f7f", true,
        new double[] {0, end}, new double[] {ROLE_LIMIT, ROLE_LIMIT});
  }

  private static Series series(String name, String color, boolean dashed, Run r, int column) {
    double[] x = new double[r.samples.size()];
    double[] y = new double[r.samples.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.samples.get(i)[0];
      y[i] = r.samples.get(i)[column];
    }
    return new Series(name, color, dashed, x, y);
  }

  static String roleUrl(String adminUrl, String role) {
    int q = adminUrl.indexOf('?');
    String base = q < 0 ? adminUrl : adminUrl.substring(0, q);
    return base + "?user=" + role + "&ApplicationName=headroom-drill";
  }

  /**
   * A connection to the PostgreSQL at {@code url}, or null when none answers there (SQLSTATE
   * class 08, a connection error: the drill then runs on the model). Any other refusal is an
   * error of the set-up and is thrown.
   */
  static Connection connectOrNull(String url) throws SQLException {
    try {
      return DriverManager.getConnection(url);
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        return null;
      }
      throw e;
    }
  }

  private static Run fleet(Backend backend, PoolBudget budget) throws Exception {
    Run run = new Run();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean sampling = new AtomicBoolean(true); // until the last request has ended
    List<Pod> pods = new CopyOnWriteArrayList<>();
    CountDownLatch samplerStopped = new CountDownLatch(1);
    long start = System.nanoTime();
    Thread sampler = new Thread(() -> {
      try {
        while (sampling.get()) {
          int n = backend.connections();
          run.peak = Math.max(run.peak, n);
          run.samples.add(new double[] {(System.nanoTime() - start) / 1e9, n,
              run.failures(), run.queries.get()});
          Thread.sleep(SAMPLE_MILLIS); // the sampling period
        }
      } catch (SQLException | InterruptedException e) {
        run.other.incrementAndGet();
      } finally {
        samplerStopped.countDown();
      }
    }, "drill-sampler");
    sampler.setDaemon(true);
    sampler.start();
    // The load balancer: a steady arrival rate, each request to the next pod in turn, the same
    // number of requests in every run. The pod list only grows, and only this method's thread
    // adds to it (a copy-on-write list).
    Thread dispatcher = new Thread(() -> {
      long period = TimeUnit.SECONDS.toNanos(1) / REQUESTS_PER_SECOND;
      long next = System.nanoTime();
      long turn = 0;
      while (turn < REQUESTS && running.get()) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait); // the arrival schedule
          continue;
        }
        next += period;
        Pod pod = pods.get((int) (turn++ % pods.size()));
        run.offered.incrementAndGet();
        try {
          pod.threads.execute(() -> serve(pod, run));
        } catch (RejectedExecutionException e) {
          run.saturated.incrementAndGet();
        }
      }
    }, "drill-load-balancer");
    dispatcher.setDaemon(true);
    try {
      for (int i = 0; i < LAST_PODS; i++) {
        if (i >= FIRST_PODS) {
          Thread.sleep(BOOT_EVERY_MILLIS); // the rollout's pace
        }
        int count = i + 1;
        for (Pod p : pods) {
          if (p.count != null) {
            p.count.update(count);
          }
        }
        pods.add(boot("pod-" + i, backend, budget, count));
        if (i == 0) {
          dispatcher.start();
        }
      }
      dispatcher.join(TimeUnit.SECONDS.toMillis(30)); // the rest of the schedule: STEADY_MILLIS
    } finally {
      running.set(false);
      dispatcher.join(TimeUnit.SECONDS.toMillis(5));
      for (Pod p : pods) {
        p.threads.shutdown();
      }
      try {
        for (Pod p : pods) {
          if (!p.threads.awaitTermination(15, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pod requests still running 15 s after the load"
                + " stopped");
          }
        }
      } finally {
        sampling.set(false);
      }
      samplerStopped.await(5, TimeUnit.SECONDS);
      for (Pod p : pods) {
        p.closer.close();
      }
    }
    run.podsThatNeverServed = pods.stream().filter(p -> p.served.get() == 0).count();
    return run;
  }

  private static Pod boot(String name, Backend backend, PoolBudget budget, int count) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    backend.configure(config);
    config.setMaximumPoolSize(NAIVE_POOL);
    config.setConnectionTimeout(1_000);
    config.setValidationTimeout(500);
    config.setInitializationFailTimeout(-1);
    if (budget == null) {
      HikariDataSource ds = new HikariDataSource(config);
      return new Pod(name, ds, ds, null);
    }
    // The drill tells every pod the new count in the same step that boots a pod.
    PushedPodCountSource pods = PodCountSource.pushed().name(name)
        .maxDelay(Duration.ofMillis(100)).build();
    pods.update(count);
    PoolSizer sizer = PoolSizer.builder().budget(budget).service("wall").podCountSource(pods)
        .ownsPodCountSource().build();
    BudgetedDataSource ds = BudgetedHikari.builder(name, config).sizer(sizer)
        .acquireTimeout(Duration.ofSeconds(3)).build();
    return new Pod(name, ds, ds, pods);
  }

  /** One request on a pod's thread: a connection, a 20 ms query, counted by outcome. */
  private static void serve(Pod pod, Run run) {
    try (Connection c = pod.dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("select pg_sleep(0.02)");
      run.queries.incrementAndGet();
      pod.served.incrementAndGet();
    } catch (SQLException e) {
      if (refusedForLimit(e)) {
        run.wall.incrementAndGet();
      } else if (e instanceof ConnectionRejectedException) {
        run.budget.incrementAndGet();
      } else {
        run.other.incrementAndGet();
      }
    }
  }

  /** SQLSTATE 53300 anywhere in the cause chain (HikariCP wraps the driver's refusal). */
  static boolean refusedForLimit(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "53300".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static void awaitNoBackends(Connection admin, String role) throws Exception {
    try (PreparedStatement ps = admin.prepareStatement(
        "select count(*) from pg_stat_activity where usename = ?")) {
      ps.setString(1, role);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() - deadline < 0) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getInt(1) == 0) {
            return;
          }
        }
        Thread.sleep(50); // polling the server: backends leave on their own schedule
      }
    }
    throw new IllegalStateException(String.format(Locale.ROOT,
        "role %s still has backends 10 s after its pools closed", role));
  }
}
