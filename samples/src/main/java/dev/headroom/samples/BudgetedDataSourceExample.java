package dev.headroom.samples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.jdbc.BudgetedDataSource;
import dev.headroom.jdbc.BudgetedHikari;
import dev.headroom.jdbc.PostgresIntrospection;
import dev.headroom.jdbc.PostgresLimits;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The README's JDBC example: a HikariCP pool wrapped in a {@link BudgetedDataSource} that holds
 * this pod to its share of the database's connections, fails fast while the database is down,
 * and cancels slow queries; then the same wrapper following a {@link PoolSizer} over a budget
 * read from the server itself. Runs against the local PostgreSQL (127.0.0.1:5432, user
 * postgres, database test).
 */
public final class BudgetedDataSourceExample {

  private BudgetedDataSourceExample() {}

  /**
   * Wraps a pool: at most 5 connections at once for this pod, a bounded wait for one, a breaker
   * on acquisition and a 2 s default query timeout.
   *
   * @param hikari the service's pool
   * @return the data source to hand to the application
   */
  public static BudgetedDataSource wrap(HikariDataSource hikari) {
    // tag::wrap[]
    CircuitBreaker breaker = CircuitBreaker.builder("orders-db")
        .consecutiveFailures(5)
        .build();
    BudgetedDataSource dataSource = BudgetedDataSource.builder("orders-db", hikari)
        .maxPoolSize(5)                              // this pod's share of the budget
        .minIdle(2)
        .acquireTimeout(Duration.ofMillis(500))      // then SQLTransientConnectionException
        .defaultQueryTimeout(Duration.ofSeconds(2))  // a slow replica cannot hold a thread 30 s
        .breaker(breaker)                            // database down: fail fast, ramp back
        .build();
    // end::wrap[]
    return dataSource;
  }

  /**
   * Sizes a pool from the database's own limits and the pod count, live. The data source builds
   * the pool itself at the budgeted size (it cannot fill before it is sized) and owns it: closing
   * the data source closes the sizer and the pool.
   *
   * @param config the service's pool configuration (URL, credentials, timeouts)
   * @param limits what the server reported
   * @param pods where the pod count comes from (Kubernetes, an environment variable, ...)
   * @return the data source; the sizer resizes it whenever the pod count changes
   */
  public static BudgetedDataSource follow(HikariConfig config, PostgresLimits limits,
      PodCountSource pods) {
    // tag::follow[]
    PoolBudget budget = limits.budgetBuilder()       // max_connections and reserved slots
        .adminHeadroom(5)                            // an operator, a migration
        .service(PoolBudget.Service.builder("orders").maxReplicas(20).maxSurge(5).build())
        .build();
    PoolSizer sizer = PoolSizer.builder()
        .budget(budget)
        .service("orders")
        .podCountSource(pods)
        .build();
    return BudgetedHikari.builder("orders-db", config)
        .sizer(sizer)                                // starts at its size, follows every change
        .build();
    // end::follow[]
  }

  /**
   * Borrows, queries, and reads what a budget starts from.
   *
   * @param args ignored
   * @throws SQLException if PostgreSQL is not reachable
   */
  public static void main(String[] args) throws SQLException {
    HikariDataSource hikari = new HikariDataSource(); // lazy: sized by the wrapper before start
    hikari.setJdbcUrl("jdbc:postgresql://127.0.0.1:5432/test?ApplicationName=orders");
    hikari.setUsername("postgres");
    hikari.setConnectionTimeout(500);
    PostgresLimits limits;
    try (hikari; BudgetedDataSource dataSource = wrap(hikari)) { // close the wrapper first
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select 1")) {
        rs.next();
        limits = PostgresIntrospection.readLimits(c);
        System.out.println("max_connections " + limits.maxConnections() + ", reserved "
            + limits.reservedTotal() + ", open by application "
            + PostgresIntrospection.connectionsByApplication(c));
      }
      // tag::resize[]
      dataSource.resize(3, 1); // live, e.g. when the pod count rises
      // end::resize[]
      System.out.println(dataSource.maxPoolSize() + " permits, " + dataSource.inUse()
          + " in use, " + dataSource.openConnections() + " open");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:5432/test?ApplicationName=orders");
    config.setUsername("postgres");
    try (PodCountSource pods = PodCountSource.fixed(4);
        BudgetedDataSource sized = follow(config, limits, pods)) {
      System.out.println("sized for the budget: " + sized.maxPoolSize() + " connections, "
          + sized.minIdle() + " idle");
    }
  }
}
