package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection wall against the real PostgreSQL on loopback (fails, never skips, when it is
 * not running): the naive pods meet SQLSTATE 53300 and some never serve; Headroom's pods never
 * see a refusal, all serve, and the server never holds more than the role's limit. The drill
 * drops the role it created.
 */
class ConnectionWallDrillTest {

  @Test
  @Timeout(120)
  void budgetedPodsNeverMeetTheWallThatNaivePodsHit() throws Exception {
    DrillResult r = new ConnectionWallDrill().run(DrillAssertions.options(1));
    assertTrue(r.ranOn().startsWith("real PostgreSQL"), r.ranOn());
    theWallHoldsForHeadroomOnly(r);
    try (Connection admin = DriverManager.getConnection(DrillOptions.DEFAULT_POSTGRES_URL);
        Statement s = admin.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from pg_roles where rolname like"
            + " 'headroom_drill_" + ProcessHandle.current().pid() + "_%'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the drill dropped its role");
    }
  }

  /**
   * With no PostgreSQL at the URL (port 1 on loopback: nothing listens), the drill runs the
   * same fleets against the model of a database with the same hard limit, says so in what it
   * ran on, and the same comparisons hold.
   */
  @Test
  @Timeout(120)
  void withoutPostgresTheModelDatabaseShowsTheSameWallAndSaysItIsAModel() throws Exception {
    DrillOptions options = new DrillOptions(1,
        "jdbc:postgresql://127.0.0.1:1/test?user=postgres&connectTimeout=2",
        java.nio.file.Path.of("target", "fire-drill-model-test.html"));
    DrillResult r = new ConnectionWallDrill().run(options);
    assertTrue(r.ranOn().startsWith("A MODEL of a database, not PostgreSQL"), r.ranOn());
    theWallHoldsForHeadroomOnly(r);
    assertEquals(ConnectionWallDrill.ROLE_LIMIT, r.comparison(peak()).naive(), r.consoleTable());
  }

  /**
   * The naive pods meet the wall and some never serve; Headroom's never meet it, all serve,
   * every request of the same schedule is served, and the database never holds more than the
   * budget.
   */
  private static void theWallHoldsForHeadroomOnly(DrillResult r) {
    beatsBoth(r, "requests that failed");
    beatsBoth(r, "requests refused by the database (SQLSTATE 53300)");
    assertEquals(0, r.comparison("requests that failed").headroom(), r.consoleTable());
    beatsBoth(r, "pods that never served a query");
    assertEquals(0, r.comparison("pods that never served a query").headroom());
    beatsBoth(r, "requests served (%)");
    assertEquals(100.0, r.comparison("requests served (%)").headroom(), r.consoleTable());
    beatsBoth(r, "requests served");
    assertTrue(r.comparison(peak()).headroom() <= ConnectionWallDrill.ROLE_LIMIT
        - ConnectionWallDrill.ADMIN_HEADROOM, r.consoleTable());
  }

  private static String peak() {
    return "peak server connections (limit " + ConnectionWallDrill.ROLE_LIMIT + ")";
  }

  @Test
  void aServerThatRefusesTheLoginIsAnErrorNotAFallBackToTheModel() {
    // PostgreSQL answers, but the role does not exist: SQLSTATE 28000, not a connection error.
    SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
        () -> ConnectionWallDrill.connectOrNull(
            "jdbc:postgresql://127.0.0.1:5432/test?user=no_such_role_for_the_drill"));
    assertTrue(e.getSQLState().startsWith("28"), e.getSQLState() + " " + e.getMessage());
  }
}
