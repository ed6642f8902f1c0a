package dev.headroom.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.core.Checks;
import javax.sql.DataSource;

/**
 * Builds a {@link BudgetedDataSource} that creates and owns its HikariCP pool, so that the pool
 * can never open a connection before the budget has sized it: the pool is created from a copy of
 * the given configuration with {@code maximumPoolSize} and {@code minimumIdle} set to the budget,
 * lazily (it starts at the first borrow, after a sizer's start-up hold), and
 * {@link BudgetedDataSource#close()} closes it.
 *
 * <pre>{@code
 * HikariConfig config = new HikariConfig();
 * config.setJdbcUrl("jdbc:postgresql://db:5432/orders");
 * config.setConnectionTimeout(1_000);
 * try (BudgetedDataSource dataSource = BudgetedHikari.builder("orders-db", config)
 *     .sizer(sizer)
 *     .build()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Kept apart from {@link BudgetedDataSource} so that HikariCP's types appear in no signature
 * of the wrapper itself: HikariCP stays an optional dependency.
 *
 * <p>Thread-safety: stateless; the builder it returns is not thread-safe.
 */
public final class BudgetedHikari {

  private BudgetedHikari() {}

  /**
   * Starts a builder whose data source creates its own HikariCP pool from {@code config} (which
   * is copied, not changed) at the budgeted size. Without {@code maxPoolSize} or a sizer, the
   * configuration's {@code maximumPoolSize} and {@code minimumIdle} are the budget.
   *
   * @param name the name used in metrics and messages, and the pool's name unless the
   *     configuration names it
   * @param config the pool's configuration
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is blank or {@code config} is null
   */
  public static BudgetedDataSource.Builder builder(String name, HikariConfig config) {
    Checks.requireNonBlank("name", name);
    Checks.requireNonNull("config", config);
    HikariConfig copy = new HikariConfig();
    config.copyStateTo(copy);
    return new BudgetedDataSource.Builder(name, new BudgetedDataSource.PoolFactory() {
      @Override
      public int maximumPoolSize() {
        return copy.getMaximumPoolSize();
      }

      @Override
      public int minimumIdle() {
        return copy.getMinimumIdle();
      }

      @Override
      public DataSource create(int maxPoolSize, int minIdle) {
        HikariDataSource pool = new HikariDataSource(); // lazy: starts at the first borrow
        copy.copyStateTo(pool);
        if (pool.getPoolName() == null) {
          pool.setPoolName(name);
        }
        pool.setMaximumPoolSize(maxPoolSize);
        pool.setMinimumIdle(minIdle);
        return pool;
      }
    });
  }
}
