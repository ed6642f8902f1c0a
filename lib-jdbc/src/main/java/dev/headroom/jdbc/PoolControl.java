package dev.headroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * How a {@link BudgetedDataSource} steers the pool it wraps: resize it when the per-pod budget
 * changes, evict a connection that is being aborted, report how many connections it holds open.
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
   * connections allowed than the wrapper hands out. A pool that shrinks lazily should retire
   * surplus connections promptly: other pods are about to use the connections it gives up.
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
   * Returns the number of physical connections the pool holds open now (in use and idle), or
   * {@code -1} if unknown. The default returns {@code -1}.
   *
   * @return the open connections, or {@code -1}
   */
  default int openConnections() {
    return -1;
  }
}
