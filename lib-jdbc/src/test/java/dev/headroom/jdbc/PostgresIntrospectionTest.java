package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresIntrospectionTest {

  @BeforeAll
  static void postgres() {
    Postgres.requireUp();
  }

  @Test
  void readsTheServersLimits() throws SQLException {
    try (Connection c = Postgres.superuser(); Statement s = c.createStatement()) {
      PostgresLimits limits = PostgresIntrospection.readLimits(c);
      assertEquals(setting(s, "max_connections"), limits.maxConnections());
      assertEquals(setting(s, "superuser_reserved_connections"),
          limits.superuserReservedConnections());
      assertEquals(setting(s, "server_version_num"), limits.serverVersionNum());
      boolean has16 = limits.serverVersionNum() >= 160000;
      assertEquals(has16, limits.reservedConnectionsSupported(),
          "reserved_connections exists from PostgreSQL 16");
      if (has16) {
        assertEquals(setting(s, "reserved_connections"), limits.reservedConnections());
      } else {
        assertEquals(0, limits.reservedConnections());
      }
      assertEquals(limits.maxConnections() - limits.superuserReservedConnections()
          - limits.reservedConnections(), limits.availableToOrdinaryRoles());
      dev.headroom.budget.PoolBudget budget = limits.budgetBuilder()
          .adminHeadroom(5)
          .service(dev.headroom.budget.PoolBudget.Service.builder("app").maxReplicas(4).build())
          .build();
      assertEquals(limits.availableToOrdinaryRoles() - 5, budget.available(), budget.explain());
      assertEquals(limits.maxConnections(), budget.maxConnections());
      assertEquals(limits.superuserReservedConnections(), budget.superuserReservedConnections());
      assertEquals(limits.reservedConnections(), budget.reservedConnections());
    }
  }

  @Test
  void countsConnectionsPerApplicationAndRole() throws Exception {
    String app = "headroom-introspect-" + ProcessHandle.current().pid();
    String role = Postgres.uniqueRole("headroom_introspect");
    Postgres.execute("create role " + role + " login connection limit 7");
    List<Connection> opened = new ArrayList<>();
    try {
      Postgres.CountingDataSource source = new Postgres.CountingDataSource(role, app);
      for (int i = 0; i < 3; i++) {
        opened.add(source.getConnection());
      }
      try (Connection admin = Postgres.superuser()) {
        Map<String, Integer> byApp = PostgresIntrospection.connectionsByApplication(admin);
        assertEquals(3, byApp.get(app));
        assertTrue(byApp.get("headroom-test-admin") >= 1, "the asking connection counts");
        assertEquals(3, PostgresIntrospection.connectionsByRole(admin).get(role));
        assertEquals(OptionalInt.of(7), PostgresIntrospection.roleConnectionLimit(admin, role));
        assertEquals(OptionalInt.empty(),
            PostgresIntrospection.roleConnectionLimit(admin, "postgres"), "no limit");
        assertEquals(OptionalInt.empty(),
            PostgresIntrospection.roleConnectionLimit(admin, role + "_missing"));
      }
      // An ordinary role can introspect too.
      PostgresLimits seenByRole = PostgresIntrospection.readLimits(opened.get(0));
      assertTrue(seenByRole.maxConnections() > 0);
      assertEquals(3, PostgresIntrospection.connectionsByApplication(opened.get(0)).get(app));
    } finally {
      for (Connection c : opened) {
        c.close();
      }
      Postgres.dropRole(role);
    }
  }

  @Test
  void rejectsBadLimitsWithExactMessages() {
    assertEquals("maxConnections must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> new PostgresLimits(150000, 0, 0, 0, false))
        .getMessage());
    assertEquals("maxConnections must be > 0 (was -5)", assertThrows(
        IllegalArgumentException.class, () -> new PostgresLimits(150000, -5, 0, 0, false))
        .getMessage());
    assertEquals("superuserReservedConnections must be >= 0 (was -1)", assertThrows(
        IllegalArgumentException.class, () -> new PostgresLimits(150000, 100, -1, 0, false))
        .getMessage());
    assertEquals("superuserReservedConnections + reservedConnections must be <= maxConnections"
        + " 100 (was 101)", assertThrows(IllegalArgumentException.class,
            () -> new PostgresLimits(160000, 100, 3, 98, true)).getMessage());
    assertEquals("reservedConnections must be 0 when the server has no reserved_connections"
        + " (was 2)", assertThrows(IllegalArgumentException.class,
            () -> new PostgresLimits(150000, 100, 3, 2, false)).getMessage());
    assertEquals("max_connections must be an integer (was \"lots\")", assertThrows(
        IllegalArgumentException.class, () -> PostgresLimits.parse("150000", "lots", "3", null))
        .getMessage());
    assertEquals("max_connections must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> PostgresLimits.parse("150000", null, "3", null))
        .getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> PostgresIntrospection.readLimits(null));
  }

  @Test
  void parsesBothServerGenerations() {
    PostgresLimits v15 = PostgresLimits.parse("150020", "100", "3", null);
    assertFalse(v15.reservedConnectionsSupported());
    assertEquals(97, v15.availableToOrdinaryRoles());
    PostgresLimits v16 = PostgresLimits.parse("160004", "500", "3", "10");
    assertTrue(v16.reservedConnectionsSupported());
    assertEquals(13, v16.reservedTotal());
    assertEquals(487, v16.availableToOrdinaryRoles());
  }

  private static int setting(Statement s, String name) throws SQLException {
    try (ResultSet rs = s.executeQuery("select current_setting('" + name + "')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
