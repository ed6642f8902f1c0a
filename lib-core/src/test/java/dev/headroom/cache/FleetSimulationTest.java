package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.cache.FleetSimulation.Result;
import dev.headroom.cache.FleetSimulation.Scenario;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fleet replay (see {@link FleetSimulation}): 100 pods, each with its own cache, 3,000
 * reads/s over 50 Zipf keys, every cache filled at the same moment by a deploy, an origin
 * limited to 500 calls/s. Headroom with its defaults must keep the origin at or under half its
 * limit, draw no 429, make no reader wait after the fill and fail no read, and call the origin
 * less often in all than Caffeine's {@code expireAfterWrite}; then the same across a family of
 * shapes (load times, TTLs, key counts, fleet sizes), each seeded.
 */
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FleetSimulationTest {

  static final Scenario INCIDENT =
      new Scenario("incident", 100, 50, 3_000, Duration.ofSeconds(60), 200, 500, 2026);

  /** The family: one change from the incident at a time, and a few combined. */
  static final List<Scenario> FAMILY = List.of(
      INCIDENT,
      new Scenario("fast origin", 100, 50, 3_000, Duration.ofSeconds(60), 20, 500, 11),
      new Scenario("slow origin", 100, 50, 3_000, Duration.ofSeconds(60), 1_000, 500, 12),
      new Scenario("very slow origin", 100, 50, 3_000, Duration.ofSeconds(60), 3_000, 500, 13),
      new Scenario("short TTL, smaller fleet", 40, 50, 3_000, Duration.ofSeconds(20), 200, 500,
          14),
      new Scenario("long TTL", 100, 50, 3_000, Duration.ofSeconds(300), 200, 500, 15),
      new Scenario("many keys", 20, 400, 3_000, Duration.ofSeconds(120), 200, 500, 16),
      new Scenario("few keys", 100, 10, 3_000, Duration.ofSeconds(60), 200, 500, 17),
      new Scenario("large fleet", 300, 20, 6_000, Duration.ofSeconds(120), 200, 500, 18),
      new Scenario("small fleet", 10, 50, 300, Duration.ofSeconds(10), 200, 500, 19));

  @Test
  void defaultsKeepTheOriginUnderHalfItsLimitWhereCaffeineStampedes() {
    List<Result> results = new ArrayList<>();
    // Caffeine logs every failed load and refresh at WARNING; 429s are the point here.
    Logger caffeineLog = Logger.getLogger("com.github.benmanes.caffeine");
    Level before = caffeineLog.getLevel();
    caffeineLog.setLevel(Level.OFF);
    try {
      results.add(FleetSimulation.caffeine(INCIDENT, false));
      results.add(FleetSimulation.caffeine(INCIDENT, true));
    } finally {
      caffeineLog.setLevel(before);
    }
    results.add(FleetSimulation.headroom(INCIDENT,
        "Headroom, no window (earlyRefresh 0, ttlJitter 0)",
        b -> b.earlyRefresh(0).ttlJitter(0)));
    results.add(FleetSimulation.headroom(INCIDENT, "Headroom, defaults", b -> b));
    System.out.println("Fleet replay: " + INCIDENT.describe() + ", "
        + INCIDENT.runMillis() / 1000 + " s after the deploy");
    System.out.println(Result.header());
    for (Result r : results) {
      System.out.println(r.row());
    }
    Result expire = results.get(0);
    Result refresh = results.get(1);
    Result headroom = results.get(3);
    assertTrue(expire.peakOriginPerSecond() > INCIDENT.originLimit(), expire.toString());
    assertTrue(refresh.peakOriginPerSecond() > INCIDENT.originLimit(), refresh.toString());
    assertHolds(headroom);
    // The spread costs no origin calls: a value refreshed on time keeps its phase, so only the
    // deploy's fill is refreshed early by the window.
    assertTrue(headroom.originCalls() < expire.originCalls(),
        "Headroom called the origin " + headroom.originCalls() + " times, expireAfterWrite "
            + expire.originCalls());
  }

  @Test
  void defaultsHoldAcrossTheFamily() {
    List<Result> results = new ArrayList<>();
    for (Scenario s : FAMILY) {
      results.add(FleetSimulation.headroom(s, s.name(), b -> b));
      // A second seed: the small fleet's first seed happened to hold no read that joined a
      // first fill still loading, which the other seeds hold (and used to count as a wait).
      Scenario again = new Scenario(s.name(), s.pods(), s.keys(), s.readsPerSecond(), s.ttl(),
          s.loadMillis(), s.originLimit(), s.seed() + 1_000);
      results.add(FleetSimulation.headroom(again, again.name(), b -> b));
    }
    System.out.println("Fleet replay family, Headroom defaults:");
    System.out.println("| scenario | shape | once-per-TTL rate/s | peak/s | calls | 429s | waits "
        + "(on a key not read for a TTL) | errors | stale reads |");
    for (Result r : results) {
      System.out.printf(java.util.Locale.ROOT,
          "| %s | %s | %.0f | %d | %d | %d | %d (%d) | %d | %d |%n",
          r.strategy(), r.scenario().describe(), r.scenario().oncePerTtlRate(),
          r.peakOriginPerSecond(), r.originCalls(), r.rejected(), r.waited(), r.coldWaits(),
          r.failed(), r.stale());
    }
    for (Result r : results) {
      assertHolds(r);
    }
  }

  private static void assertHolds(Result r) {
    Scenario s = r.scenario();
    long expectedReads = r.reads();
    assertTrue(expectedReads > (long) s.readsPerSecond() * s.runMillis() / 1000 * 9 / 10,
        r.toString());
    assertTrue(r.peakOriginPerSecond() <= s.originLimit() / 2,
        s.name() + ": origin peak " + r.peakOriginPerSecond() + " > half the limit");
    assertEquals(0, r.rejected(), s.name() + ": the origin never had to reject a call");
    assertEquals(r.coldWaits(), r.waited(), s.name() + ": after the deploy's fill, only reads "
        + "of a key the pod had not read for a whole TTL waited, or joined such a read's load");
    assertEquals(0, r.failed(), s.name() + ": no read failed");
  }
}
