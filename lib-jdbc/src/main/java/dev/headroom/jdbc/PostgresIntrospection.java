package dev.headroom.jdbc;

import dev.headroom.core.Checks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads from a PostgreSQL server what a connection budget needs: its connection limits, a
 * role's own connection limit, and how many connections each application holds now.
 *
 * <pre>{@code
 * try (Connection c = dataSource.getConnection()) {
 *   PostgresLimits limits = PostgresIntrospection.readLimits(c);
 *   Map<String, Integer> byApp = PostgresIntrospection.connectionsByApplication(c);
 * }
 * }</pre>
 *
 * <p>Everything is read-only and works for an ordinary role (no superuser needed):
 * {@code current_setting} for the limits ({@code reserved_connections} read with
 * {@code missing_ok}, so servers before 16 report it as absent), {@code pg_roles} for a role's
 * {@code CONNECTION LIMIT}, and {@code pg_stat_activity} for the client backends by
 * {@code application_name} (set {@code ApplicationName} in the JDBC URL to tell services apart).
 *
 * <p>Thread-safety: stateless; each call uses only the connection it is given.
 */
public final class PostgresIntrospection {

  private PostgresIntrospection() {}

  /**
   * Reads {@code max_connections}, {@code superuser_reserved_connections} and, on PostgreSQL 16
   * and later, {@code reserved_connections}.
   *
   * @param connection an open connection to the server
   * @return the limits
   * @throws SQLException if the query fails
   * @throws IllegalArgumentException if {@code connection} is null
   */
  public static PostgresLimits readLimits(Connection connection) throws SQLException {
    Checks.requireNonNull("connection", connection);
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("select current_setting('server_version_num'),"
            + " current_setting('max_connections'),"
            + " current_setting('superuser_reserved_connections'),"
            + " current_setting('reserved_connections', true)")) {
      rs.next();
      return PostgresLimits.parse(rs.getString(1), rs.getString(2), rs.getString(3),
          rs.getString(4));
    }
  }

  /**
   * Reads a role's {@code CONNECTION LIMIT}.
   *
   * @param connection an open connection to the server
   * @param role the role's name
   * @return the limit, or empty if the role has none ({@code -1}) or does not exist
   * @throws SQLException if the query fails
   * @throws IllegalArgumentException if an argument is null or {@code role} is blank
   */
  public static OptionalInt roleConnectionLimit(Connection connection, String role)
      throws SQLException {
    Checks.requireNonNull("connection", connection);
    Checks.requireNonBlank("role", role);
    try (PreparedStatement statement = connection.prepareStatement(
        "select rolconnlimit from pg_roles where rolname = ?")) {
      statement.setString(1, role);
      try (ResultSet rs = statement.executeQuery()) {
        if (!rs.next() || rs.getInt(1) < 0) {
          return OptionalInt.empty();
        }
        return OptionalInt.of(rs.getInt(1));
      }
    }
  }

  /**
   * Counts the client connections per {@code application_name} (an empty name for clients that
   * set none), this connection included. Background processes are not counted.
   *
   * @param connection an open connection to the server
   * @return application name to connection count, sorted by name
   * @throws SQLException if the query fails
   * @throws IllegalArgumentException if {@code connection} is null
   */
  public static Map<String, Integer> connectionsByApplication(Connection connection)
      throws SQLException {
    return countBy(connection, "coalesce(application_name, '')");
  }

  /**
   * Counts the client connections per role ({@code usename}), this connection included.
   *
   * @param connection an open connection to the server
   * @return role name to connection count, sorted by name
   * @throws SQLException if the query fails
   * @throws IllegalArgumentException if {@code connection} is null
   */
  public static Map<String, Integer> connectionsByRole(Connection connection)
      throws SQLException {
    return countBy(connection, "coalesce(usename::text, '')");
  }

  private static Map<String, Integer> countBy(Connection connection, String key)
      throws SQLException {
    Checks.requireNonNull("connection", connection);
    // backend_type exists from PostgreSQL 10; it tells client backends from background workers.
    String sql = "select " + key + ", count(*) from pg_stat_activity"
        + " where backend_type = 'client backend' group by 1 order by 1";
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getInt(2));
      }
    }
    return Collections.unmodifiableMap(counts);
  }
}
