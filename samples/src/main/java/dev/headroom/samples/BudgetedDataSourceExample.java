package dev.headroom.samples;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.jdbc.BudgetedDataSource;
import dev.headroom.jdbc.PostgresIntrospection;
import dev.headroom.jdbc.PostgresLimits;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

/**
 * The README's JDBC example: a HikariCP pool wrapped in a {@link BudgetedDataSource} that holds
 * this pod to its share of the database's connections, fails fast while the database is down,
 * and cancels slow queries. Runs against the local PostgreSQL (127.0.0.1:5432, user postgres,
 * database test).
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
    CircuitBreaker breaker = CircuitBreaker.builder("orders-db")
        .consecutiveFailures(5)
        .build();
    return BudgetedDataSource.builder("orders-db", hikari)
        .maxPoolSize(5)                              // this pod's share of the budget
        .minIdle(2)
        .acquireTimeout(Duration.ofMillis(500))      // then SQLTransientConnectionException
        .defaultQueryTimeout(Duration.ofSeconds(2))  // a slow replica cannot hold a thread 30 s
        .breaker(breaker)                            // database down: fail fast, ramp back
        .build();
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
    try (hikari) {
      BudgetedDataSource dataSource = wrap(hikari);
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select 1")) {
        rs.next();
        PostgresLimits limits = PostgresIntrospection.readLimits(c);
        Map<String, Integer> byApp = PostgresIntrospection.connectionsByApplication(c);
        System.out.println("max_connections " + limits.maxConnections() + ", reserved "
            + limits.reservedTotal() + ", open by application " + byApp);
      }
      dataSource.resize(3, 1); // what a pool sizer's listener does when the pod count rises
      System.out.println(dataSource.maxPoolSize() + " permits, " + dataSource.inUse()
          + " in use, " + dataSource.openConnections() + " open");
    }
  }
}
