package dev.headroom.bench.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.jdbc.BudgetedDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One borrow: {@code getConnection()} plus {@code close()}, through the bare HikariCP pool and
 * through {@link BudgetedDataSource} wrapped around the same kind of pool, over an in-memory
 * driver ({@link FakeDriver}) so that only the pool and the wrapper are measured. The pool holds
 * more connections than there are benchmark threads, so nobody waits: this is the uncontended
 * hot path, where the wrapper's added cost (permit CAS, release CAS, breaker check, counters,
 * one wrapper object) shows. Target: at most 100 ns added per borrow.
 *
 * <ul>
 *   <li>{@code hikari}: the bare pool, the baseline a user has today.
 *   <li>{@code headroom}: the budgeted wrapper without a breaker.
 *   <li>{@code headroom+breaker}: the budgeted wrapper guarded by a closed circuit breaker.
 * </ul>
 *
 * <p>{@link #wrapperOnly} isolates the wrapper's own cost from the pool's: the same borrow over a
 * "pool" that hands out one in-memory connection without any bookkeeping ({@code direct}), bare
 * and wrapped. The difference between its two rows is what the wrapper adds to any pool, and it
 * is less sensitive to a noisy machine than the difference of two HikariCP runs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DataSourceBenchmark {

  /** A HikariCP pool of 8 in-memory connections, bare or wrapped. */
  @State(Scope.Benchmark)
  public static class Pooled {
    /** Which data source borrows. */
    @Param({"hikari", "headroom", "headroom+breaker"})
    public String pool;

    HikariDataSource hikari;
    DataSource dataSource;

    /** Starts the pool and, for Headroom, the wrapper. */
    @Setup(Level.Trial)
    public void setUp() {
      HikariConfig config = new HikariConfig();
      config.setPoolName("bench-" + pool);
      config.setDriverClassName(FakeDriver.class.getName());
      config.setJdbcUrl(FakeDriver.PREFIX + "bench");
      config.setMaximumPoolSize(8);
      config.setMinimumIdle(8);
      hikari = new HikariDataSource(config);
      switch (pool) {
        case "hikari" -> dataSource = hikari;
        case "headroom" -> dataSource = BudgetedDataSource.builder("bench", hikari)
            .maxPoolSize(8).build();
        case "headroom+breaker" -> dataSource = BudgetedDataSource.builder("bench", hikari)
            .maxPoolSize(8).breaker(CircuitBreaker.builder("bench-db").build()).build();
        default -> throw new IllegalArgumentException("pool must be hikari, headroom or"
            + " headroom+breaker (was \"" + pool + "\")");
      }
    }

    /** Closes the pool and its threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
      hikari.close();
    }
  }

  /** A data source without a pool: one in-memory connection, handed out again and again. */
  @State(Scope.Benchmark)
  public static class Overhead {
    /** {@code direct}: the bare data source; {@code headroom}: wrapped. */
    @Param({"direct", "headroom"})
    public String source;

    DataSource dataSource;

    /** Builds the data source. */
    @Setup(Level.Trial)
    public void setUp() {
      DataSource direct = new SingleConnectionDataSource();
      dataSource = "direct".equals(source) ? direct
          : BudgetedDataSource.builder("overhead", direct).maxPoolSize(8).build();
    }
  }

  /**
   * Borrows and returns through a data source without a pool: the wrapper's own cost.
   *
   * @param state the data source
   * @return the (closed) connection
   * @throws SQLException never
   */
  @Benchmark
  public Connection wrapperOnly(Overhead state) throws SQLException {
    Connection connection = state.dataSource.getConnection();
    connection.close();
    return connection;
  }

  /**
   * Borrows a connection and returns it.
   *
   * @param state the pool
   * @return the (closed) connection, so the borrow cannot be optimised away
   * @throws SQLException never with the in-memory driver
   */
  @Benchmark
  public Connection borrowAndClose(Pooled state) throws SQLException {
    Connection connection = state.dataSource.getConnection();
    connection.close();
    return connection;
  }
}
