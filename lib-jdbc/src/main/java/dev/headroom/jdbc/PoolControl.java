package dev.headroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * How a {@link BudgetedDataSource} steers the pool it wraps: resize it when the per-pod budget
 * changes, close surplus connections when it shrinks, evict a connection that is being aborted,
 * report how many connections it holds open.
 *
 * <p>Shrinking closes only the surplus. After {@link #resize} lowers the maximum, the wrapper
 * closes idle connections one at a time with {@link #closeIdle()} while the pool holds more than
 * the new maximum, and {@link #retire retires} connections as they come back from borrowers
 * until the surplus is gone; every other connection stays open, so the pool never dips below
 * what its borrowers use. (HikariCP's own soft eviction would replace every connection.)
 *
 * <p>HikariCP is supported out of the box: a wrapped {@code HikariDataSource} is detected and
 * steered through its {@code HikariConfigMXBean} and {@code HikariPoolMXBean}. Implement this
 * interface for another pool (its own MXBean or setters), or use {@link #NONE} for a pool that
 * cannot be resized: the wrapper's permits still enforce the budget on their own.
 *
 * <p>Thread-safety: implementations must be safe for concurrent use; {@link #resize} is called
 * by one thread at a time, {@link #evict} and {@link #openConnections} from any thread.
 */
public interface PoolControl {

  /** A pool that is not steered: resizing does nothing, and open connections are unknown. */
  PoolControl NONE = new PoolControl() {
    @Override
    public void resize(int maxPoolSize, int minIdle) {}

    @Override
    public String toString() {
      return "PoolControl.NONE";
    }
  };

  /**
   * Sets the pool's maximum size and minimum idle count. Called before the wrapper raises its
   * permits (growing) and after it lowers them (shrinking), so that the pool never has fewer
   * connections allowed than the wrapper hands out. It closes nothing itself: after a shrink the
   * wrapper closes the surplus through {@link #closeIdle()} and {@link #retire}.
   *
   * @param maxPoolSize the new maximum, {@code >= 1}
   * @param minIdle the new minimum idle count, in {@code [0, maxPoolSize]}
   * @throws RuntimeException if the pool refuses; the wrapper's permits are then left as they
   *     were when growing, and already lowered when shrinking
   */
  void resize(int maxPoolSize, int minIdle);

  /**
   * Marks a borrowed connection so that the pool closes it instead of reusing it when it comes
   * back. Called just before the connection is aborted. The default does nothing.
   *
   * @param connection the pool's connection (as the pool returned it)
   * @throws SQLException if the pool reports an error
   */
  default void evict(Connection connection) throws SQLException {}

  /**
   * Closes one idle connection for good, if the pool has one, without opening another. Called
   * after a shrink while the pool holds more connections than its new maximum. The default
   * closes nothing.
   *
   * @return whether a connection was closed; false if none was idle or the pool cannot
   */
  default boolean closeIdle() {
    return false;
  }

  /**
   * Closes a connection a borrower is returning for good instead of returning it to the pool:
   * a busy surplus connection finishing after a shrink. The wrapper then does not call
   * {@code close()} on it. The default returns false, and the wrapper closes it normally.
   *
   * @param connection the pool's connection (as the pool returned it), not yet closed
   * @return whether the connection was closed for good
   * @throws SQLException if the pool reports an error; the wrapper then closes it normally
   */
  default boolean retire(Connection connection) throws SQLException {
    return false;
  }

  /**
   * Returns the number of physical connections the pool holds open now (in use and idle), or
   * {@code -1} if unknown. The default returns {@code -1}.
   *
   * @return the open connections, or {@code -1}
   */
  default int openConnections() {
    return -1;
  }
}
