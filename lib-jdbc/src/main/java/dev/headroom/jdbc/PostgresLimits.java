package dev.headroom.jdbc;

import dev.headroom.budget.PoolBudget;
import dev.headroom.core.Checks;

/**
 * The connection limits of a PostgreSQL server, as read by
 * {@link PostgresIntrospection#readLimits}: the numbers a pool budget starts from.
 *
 * <p>PostgreSQL admits {@code max_connections} backends, of which the last
 * {@code superuser_reserved_connections} are kept for superusers and, from PostgreSQL 16, the
 * {@code reserved_connections} before them for roles with {@code pg_use_reserved_connections}.
 * An ordinary application role therefore gets at most {@link #availableToOrdinaryRoles()}; the
 * next one fails with SQLSTATE 53300 ("remaining connection slots are reserved ...").
 *
 * <p>Thread-safety: immutable.
 *
 * @param serverVersionNum the server's {@code server_version_num}, e.g. {@code 150020}
 * @param maxConnections {@code max_connections}, {@code >= 1}
 * @param superuserReservedConnections {@code superuser_reserved_connections}, {@code >= 0}
 * @param reservedConnections {@code reserved_connections}, {@code >= 0}; 0 before PostgreSQL 16,
 *     which has no such setting
 * @param reservedConnectionsSupported whether the server has {@code reserved_connections}
 */
public record PostgresLimits(int serverVersionNum, int maxConnections,
    int superuserReservedConnections, int reservedConnections,
    boolean reservedConnectionsSupported) {

  /**
   * Validates the numbers.
   *
   * @param serverVersionNum the server's {@code server_version_num}
   * @param maxConnections {@code max_connections}, {@code >= 1}
   * @param superuserReservedConnections {@code superuser_reserved_connections}, {@code >= 0}
   * @param reservedConnections {@code reserved_connections}, {@code >= 0}
   * @param reservedConnectionsSupported whether the server has {@code reserved_connections}
   * @throws IllegalArgumentException if a number is out of range, or the reserved slots exceed
   *     {@code max_connections}
   */
  public PostgresLimits {
    Checks.requirePositive("serverVersionNum", serverVersionNum);
    Checks.requirePositive("maxConnections", maxConnections);
    Checks.requireNonNegative("superuserReservedConnections", superuserReservedConnections);
    Checks.requireNonNegative("reservedConnections", reservedConnections);
    Checks.requireArgument(reservedConnectionsSupported || reservedConnections == 0,
        "reservedConnections", "0 when the server has no reserved_connections",
        reservedConnections);
    Checks.requireArgument(
        (long) superuserReservedConnections + reservedConnections <= maxConnections,
        "superuserReservedConnections + reservedConnections",
        "<= maxConnections " + maxConnections,
        (long) superuserReservedConnections + reservedConnections);
  }

  /**
   * Returns the slots held back from ordinary roles: superuser plus reserved connections.
   *
   * @return the reserved slots
   */
  public int reservedTotal() {
    return superuserReservedConnections + reservedConnections;
  }

  /**
   * Returns the connections an ordinary (non-superuser, non-reserved) role can open at most:
   * {@code max_connections - superuser_reserved_connections - reserved_connections}.
   *
   * @return the connections available to ordinary roles
   */
  public int availableToOrdinaryRoles() {
    return maxConnections - reservedTotal();
  }

  /**
   * Starts a {@link PoolBudget} with these limits filled in: {@code maxConnections},
   * {@code superuserReservedConnections} and {@code reservedConnections}. Add the admin
   * headroom, other clients and the services sharing the database, then build.
   *
   * <pre>{@code
   * PoolBudget budget = PostgresIntrospection.readLimits(connection).budgetBuilder()
   *     .adminHeadroom(5)
   *     .service(PoolBudget.Service.builder("enrollment").maxReplicas(95).build())
   *     .build();
   * }</pre>
   *
   * @return a budget builder with the server's limits set
   */
  public PoolBudget.Builder budgetBuilder() {
    return PoolBudget.builder()
        .maxConnections(maxConnections)
        .superuserReservedConnections(superuserReservedConnections)
        .reservedConnections(reservedConnections);
  }

  /**
   * Parses the settings as the server reports them.
   *
   * @param serverVersionNum {@code server_version_num}
   * @param maxConnections {@code max_connections}
   * @param superuserReserved {@code superuser_reserved_connections}
   * @param reserved {@code reserved_connections}, or null when the server has no such setting
   * @return the limits
   * @throws IllegalArgumentException if a value is missing, not a number or out of range
   */
  static PostgresLimits parse(String serverVersionNum, String maxConnections,
      String superuserReserved, String reserved) {
    return new PostgresLimits(number("server_version_num", serverVersionNum),
        number("max_connections", maxConnections),
        number("superuser_reserved_connections", superuserReserved),
        reserved == null ? 0 : number("reserved_connections", reserved),
        reserved != null);
  }

  private static int number(String setting, String value) {
    Checks.requireNonNull(setting, value);
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(Checks.message(setting, "an integer", value), e);
    }
  }
}
