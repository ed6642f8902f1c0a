package dev.headroom.samples.drill;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks shared by the scenario tests: Headroom against the naive set-up and the peer. */
final class DrillAssertions {

  private DrillAssertions() {}

  /** Headroom's value is strictly better than the naive set-up's, and than the peer's if any. */
  static void beatsBoth(DrillResult r, String figure) {
    Comparison c = r.comparison(figure);
    assertTrue(c.headroomBeats(c.naive()), figure + ": Headroom " + c.headroom()
        + " vs without " + c.naive() + "\n" + r.consoleTable());
    if (c.hasPeer()) {
      assertTrue(c.headroomBeats(c.peer()), figure + ": Headroom " + c.headroom() + " vs peer "
          + c.peer() + "\n" + r.consoleTable());
    }
  }

  /** Headroom beats the naive set-up and is at least as good as the peer. */
  static void beatsNaiveAndMatchesPeer(DrillResult r, String figure) {
    Comparison c = r.comparison(figure);
    assertTrue(c.headroomBeats(c.naive()), figure + ": Headroom " + c.headroom()
        + " vs without " + c.naive() + "\n" + r.consoleTable());
    if (c.hasPeer()) {
      assertTrue(c.headroomAtLeast(c.peer()), figure + ": Headroom " + c.headroom()
          + " vs peer " + c.peer() + "\n" + r.consoleTable());
    }
  }

  /** Headroom is at least as good as both. */
  static void atLeastBoth(DrillResult r, String figure) {
    Comparison c = r.comparison(figure);
    assertTrue(c.headroomAtLeast(c.naive()), figure + ": Headroom " + c.headroom()
        + " vs without " + c.naive() + "\n" + r.consoleTable());
    if (c.hasPeer()) {
      assertTrue(c.headroomAtLeast(c.peer()), figure + ": Headroom " + c.headroom()
          + " vs peer " + c.peer() + "\n" + r.consoleTable());
    }
  }

  static DrillOptions options(long seed) {
    return new DrillOptions(seed, DrillOptions.DEFAULT_POSTGRES_URL,
        java.nio.file.Path.of("target", "fire-drill-test.html"));
  }
}
