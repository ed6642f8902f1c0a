package dev.headroom.samples.drill;

import static dev.headroom.samples.drill.DrillAssertions.beatsBoth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
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
    beatsBoth(r, "calls that failed");
    beatsBoth(r, "calls refused by the database (SQLSTATE 53300)");
    assertEquals(0, r.comparison("calls that failed").headroom(), r.consoleTable());
    beatsBoth(r, "pods that never served a query");
    assertEquals(0, r.comparison("pods that never served a query").headroom());
    beatsBoth(r, "calls that succeeded (%)");
    String peak = "peak server connections (limit " + ConnectionWallDrill.ROLE_LIMIT + ")";
    assertTrue(r.comparison(peak).headroom() <= ConnectionWallDrill.ROLE_LIMIT
        - ConnectionWallDrill.ADMIN_HEADROOM, r.consoleTable());
    try (Connection admin = DriverManager.getConnection(DrillOptions.DEFAULT_POSTGRES_URL);
        Statement s = admin.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from pg_roles where rolname like"
            + " 'headroom_drill_" + ProcessHandle.current().pid() + "_%'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the drill dropped its role");
    }
  }
}
