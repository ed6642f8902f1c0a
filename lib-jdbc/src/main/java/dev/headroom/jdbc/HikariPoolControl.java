package dev.headroom.jdbc;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Steers a {@link HikariDataSource} through its MXBeans. Loaded only when HikariCP is on the
 * class path and the wrapped pool is a {@code HikariDataSource} (see {@link #detect}), so that
 * HikariCP stays an optional dependency.
 *
 * <p>HikariCP grows at once (a borrower that finds no idle connection makes the pool add one up
 * to the new maximum) but shrinks lazily: lowering {@code maximumPoolSize} closes nothing, and
 * idle connections above {@code minimumIdle} are retired only after {@code idleTimeout} (ten
 * minutes by default), and only if they stay idle that long. Under load they do not: the bag
 * hands recently used connections back to the threads that used them, so surplus connections
 * keep circulating and stay open. Other pods, sized for the new pod count, would then hit the
 * database's connection wall. So when the pool holds more connections than the new maximum,
 * shrinking also soft-evicts: idle connections close now, busy ones close when returned, and
 * HikariCP refills up to the new minimum idle. The cost is one reconnect per connection per
 * shrink, paid only when the pod count rises.
 *
 * <p>Thread-safety: safe for concurrent use; the MXBean setters are HikariCP's runtime knobs.
 */
final class HikariPoolControl implements PoolControl {

  private static final String HIKARI = "com.zaxxer.hikari.HikariDataSource";

  private final HikariDataSource pool;

  private HikariPoolControl(HikariDataSource pool) {
    this.pool = pool;
  }

  /**
   * Returns a control for {@code dataSource} if it is a HikariCP pool, else null. Never loads a
   * HikariCP class unless HikariCP is visible from the data source's class loader.
   */
  static PoolControl detect(DataSource dataSource) {
    Class<?> hikari;
    try {
      hikari = Class.forName(HIKARI, false, dataSource.getClass().getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
    if (!hikari.isInstance(dataSource)) {
      return null;
    }
    return Loaded.create(dataSource);
  }

  /** Holds the only reference to HikariCP types reached from {@link #detect}. */
  private static final class Loaded {
    static PoolControl create(DataSource dataSource) {
      return new HikariPoolControl((HikariDataSource) dataSource);
    }
  }

  /** Returns the pool's configured maximum size. */
  int maximumPoolSize() {
    return pool.getHikariConfigMXBean().getMaximumPoolSize();
  }

  /** Returns the pool's configured minimum idle count. */
  int minimumIdle() {
    return pool.getHikariConfigMXBean().getMinimumIdle();
  }

  @Override
  public void resize(int maxPoolSize, int minIdle) {
    HikariConfigMXBean config = pool.getHikariConfigMXBean();
    if (maxPoolSize >= config.getMaximumPoolSize()) {
      config.setMaximumPoolSize(maxPoolSize);
      config.setMinimumIdle(minIdle);
      return;
    }
    config.setMinimumIdle(minIdle);
    config.setMaximumPoolSize(maxPoolSize);
    HikariPoolMXBean running = pool.getHikariPoolMXBean(); // null until a lazy pool starts
    if (running != null && running.getTotalConnections() > maxPoolSize) {
      running.softEvictConnections();
    }
  }

  @Override
  public void evict(Connection connection) throws SQLException {
    pool.evictConnection(connection);
  }

  @Override
  public int openConnections() {
    HikariPoolMXBean running = pool.getHikariPoolMXBean();
    return running == null ? 0 : running.getTotalConnections();
  }

  @Override
  public String toString() {
    return "HikariPoolControl[" + pool.getPoolName() + "]";
  }
}
