package dev.headroom.bench.jdbc;

import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.jdbc.BudgetedDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * What {@code BudgetedDataSource.Builder.statementDeadline} adds to one statement execution:
 * {@code execute} on a statement of a borrowed connection, over an in-memory statement that
 * answers at once, so only the wrapper is measured. {@code none}: no statement deadline (the
 * handle's null check); {@code fixed}: a fixed 1 s deadline (a guard permit, a timer task
 * scheduled and cancelled on the data source's timer); {@code adaptive}: the adaptive deadline
 * (the same, plus a latency sample). For scale: one PostgreSQL round trip on loopback takes tens
 * of microseconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class StatementDeadlineBenchmark {

  /** A borrowed connection's statement, with or without a statement deadline. */
  @State(Scope.Thread)
  public static class Borrowed {
    /** The statement deadline. */
    @Param({"none", "fixed", "adaptive"})
    public String deadline;

    BudgetedDataSource dataSource;
    Connection connection;
    Statement statement;

    /** Builds the data source and borrows the connection. */
    @Setup(Level.Trial)
    public void setUp() throws SQLException {
      BudgetedDataSource.Builder b = BudgetedDataSource.builder("bench",
          new SingleConnectionDataSource()).maxPoolSize(1).defaultQueryTimeout(Duration.ZERO);
      switch (deadline) {
        case "none" -> { }
        case "fixed" -> b.statementDeadline(DeadlinePolicy.fixed(Duration.ofSeconds(1)));
        case "adaptive" -> b.statementDeadline(DeadlinePolicy.adaptive()
            .ceiling(Duration.ofSeconds(1)).build());
        default -> throw new IllegalArgumentException("deadline must be none, fixed or adaptive"
            + " (was \"" + deadline + "\")");
      }
      dataSource = b.build();
      connection = dataSource.getConnection();
      statement = connection.createStatement();
    }

    /** Returns the connection and stops the timer. */
    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
      connection.close();
      dataSource.close();
    }
  }

  /**
   * One execution.
   *
   * @param state the statement
   * @return what {@code execute} returned
   * @throws SQLException never with the in-memory statement
   */
  @Benchmark
  public boolean execute(Borrowed state) throws SQLException {
    return state.statement.execute("select 1");
  }
}
