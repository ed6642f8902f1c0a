package dev.headroom.jdbc;

import java.sql.SQLException;

/**
 * Recognises a database that refused a connection because it is at its connection limit: the
 * budget signal that {@link BudgetedDataSource} answers by backing off and retrying within the
 * caller's deadline. The cause chain is walked, so a pool's own timeout that carries the
 * driver's refusal as its cause (HikariCP does) counts.
 *
 * <ul>
 *   <li>PostgreSQL: SQLSTATE {@code 53300} {@code too_many_connections}, for
 *       {@code max_connections}, the reserved slots and a role's or database's
 *       {@code CONNECTION LIMIT};
 *   <li>MySQL and MariaDB: error 1040 {@code ER_CON_COUNT_ERROR} ("Too many connections") and
 *       1203 {@code ER_TOO_MANY_USER_CONNECTIONS};
 *   <li>Oracle: ORA-00018 (sessions), ORA-00020 (processes), and the listener's ORA-12516,
 *       ORA-12519 and ORA-12520 (no handler available).
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
final class Refusals {

  private Refusals() {}

  /**
   * Returns the deepest refusal in the cause chain of {@code e} (the driver's own, under a
   * pool's timeout that copied its SQLState), or null if there is none.
   */
  static SQLException connectionLimit(Throwable e) {
    SQLException found = null;
    int depth = 0;
    for (Throwable t = e; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof SQLException sql && isConnectionLimit(sql)) {
        found = sql;
      }
    }
    return found;
  }

  private static boolean isConnectionLimit(SQLException e) {
    String state = e.getSQLState();
    if ("53300".equals(state)) {
      return true;
    }
    int code = e.getErrorCode();
    String message = e.getMessage();
    boolean mysql = code == 1040 || code == 1203;
    if (mysql && ("08004".equals(state) || "42000".equals(state) || "HY000".equals(state))) {
      return true;
    }
    boolean oracle = code == 18 || code == 20 || code == 12516 || code == 12519 || code == 12520;
    return oracle && message != null && message.contains("ORA-");
  }
}
