package dev.headroom.jdbc;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
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
 * minutes by default), and only if they stay idle that long. Under load they do not. Its
 * {@code softEvictConnections()} would close them, but it marks every connection, busy or idle,
 * surplus or not, so the pool reconnects all of them (connections dipped from 36 to 13-20 at each
 * shrink in the wall replay). So the surplus is closed one connection at a time instead:
 * {@link #closeIdle()} borrows an idle connection straight from the pool (with the maximum already
 * lowered the pool cannot open a new one for it, and the borrow waits at most a millisecond) and
 * evicts it with {@code HikariDataSource.evictConnection}, which closes a borrowed connection at
 * once; {@link #retire} evicts a surplus connection a borrower returns the same way. Every other
 * connection stays open.
 *
 * <p>Thread-safety: safe for concurrent use; the MXBean setters are HikariCP's runtime knobs.
 */
final class HikariPoolControl implements PoolControl {

  private static final String HIKARI = "com.zaxxer.hikari.HikariDataSource";

  /** How long {@link #closeIdle()} waits for an idle connection: it only takes one that is. */
  private static final long IDLE_BORROW_MILLIS = 1;

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

  /** Whether the pool has started (a lazily created pool starts at its first borrow). */
  boolean started() {
    return pool.getHikariPoolMXBean() != null;
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
  }

  @Override
  public boolean closeIdle() {
    HikariPoolMXBean running = pool.getHikariPoolMXBean(); // null until a lazy pool starts
    if (!(running instanceof HikariPool hikariPool) || running.getIdleConnections() <= 0) {
      return false;
    }
    Connection idle;
    try {
      idle = hikariPool.getConnection(IDLE_BORROW_MILLIS);
    } catch (SQLException e) {
      return false; // a borrower took the last idle one first
    }
    pool.evictConnection(idle); // not closed: evicted and closed at once, never returned
    return true;
  }

  @Override
  public boolean retire(Connection connection) {
    pool.evictConnection(connection);
    return true;
  }

  /** HikariCP's closed pool. */
  void close() {
    pool.close();
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
