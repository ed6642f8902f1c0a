package dev.headroom.sim.dependency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.sim.dependency.Dependency.Phase;
import dev.headroom.sim.dependency.DependencyScenario.Client;
import dev.headroom.sim.dependency.DependencyScenario.Result;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The dependency incidents of the project's targets, replayed with a bare deadline and with a
 * {@link dev.headroom.breaker.CircuitBreaker} on its default configuration. Every figure is the
 * median over seeds 1-10 (each run takes milliseconds). Run with {@code -Dsim.report=true} to
 * print the tables.
 */
class DependencyScenarioTest {

  private static final int SEEDS = 10;
  private static final boolean REPORT = Boolean.getBoolean("sim.report");

  /** 200 workers, 400 calls/s: 20 ms, then 800 ms with 30% hanging, then 20 ms on 20 slots. */
  static DependencyScenario slowDependency() {
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 20, 20),
        new Phase("degraded", Dependency.nanos(30), Dependency.millis(800), 0.30, 0.0, 0),
        Phase.healthy("recovery", 30, 20).withCapacity(20));
    return new DependencyScenario(d, 400, 200, d.start(1));
  }

  /** 10 s healthy, 10 s of 503s, 10 s healthy with no capacity limit. */
  static DependencyScenario fullOutage(double rate) {
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 10, 20),
        Phase.outage("outage", 10),
        Phase.healthy("recovered", 10, 20));
    return new DependencyScenario(d, rate, 200, d.start(1));
  }

  static Result[] runs(DependencyScenario s, Client client) {
    Result[] results = new Result[SEEDS];
    for (int seed = 1; seed <= SEEDS; seed++) {
      results[seed - 1] = s.run(client, seed);
    }
    return results;
  }

  static double median(Result[] results, ToDoubleFunction<Result> f) {
    double[] v = Arrays.stream(results).mapToDouble(f).sorted().toArray();
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  }

  @Test
  void slowDependencyBreakerNeverBelowBareAndRecoversWithoutRelapse() {
    DependencyScenario s = slowDependency();
    Result[] bare = runs(s, Client.BARE);
    Result[] breaker = runs(s, Client.BREAKER);
    report("Slow dependency (400 calls/s, 200 workers, 1.5 s deadline)", s, bare, breaker);
    for (int phase = 0; phase < 3; phase++) {
      int i = phase;
      double b = median(bare, r -> r.goodput(i));
      double h = median(breaker, r -> r.goodput(i));
      assertTrue(h >= b - 0.03, "phase " + i + ": breaker " + h + " vs bare " + b);
    }
    assertTrue(median(breaker, r -> r.goodput(2)) >= 0.995,
        "recovery goodput " + median(breaker, r -> r.goodput(2)));
    for (Result r : breaker) {
      assertEquals(0L, r.opens[2], "opens in the recovery phase");
    }
  }

  @Test
  void slowDependencyGuardStaysNearBareAndRecoversWithoutRelapse() {
    DependencyScenario s = slowDependency();
    Client[] clients = Client.values();
    Result[][] results = new Result[clients.length][];
    for (Client c : clients) {
      results[c.ordinal()] = runs(s, c);
    }
    reportAll("Slow dependency (400 calls/s, 200 workers, 1.5 s deadline or ceiling)", s,
        results);
    Result[] bare = results[Client.BARE.ordinal()];
    for (Client c : new Client[] {Client.GUARD_FIXED, Client.GUARD_ADAPTIVE}) {
      Result[] g = results[c.ordinal()];
      for (int phase = 0; phase < 3; phase++) {
        int i = phase;
        double b = median(bare, r -> r.goodput(i));
        double h = median(g, r -> r.goodput(i));
        // Known gap, in the README: in the degraded phase the limit first halves (less
        // concurrency is the cure for overload) and gives the concurrency back once latency
        // did not come down with it, about 2 s of a 30 s phase: 2.8 points below the bare
        // deadline with a fixed deadline, 3.3 with the adaptive one (which also has to learn
        // the new latency). Elsewhere the guard costs nothing.
        double allowed = i == 1 ? 0.04 : 0.01;
        assertTrue(h >= b - allowed, c + " phase " + i + ": " + h + " vs bare " + b);
      }
      assertTrue(median(g, r -> r.goodput(2)) >= 0.995,
          c + " recovery goodput " + median(g, r -> r.goodput(2)));
      for (Result r : g) {
        assertEquals(0L, r.opens[2], c + " opens in the recovery phase");
      }
    }
  }

  @Test
  void fullOutageAt400PerSecondStopsWithinOneSecondAndRecovers() {
    outage(400, 1.0);
  }

  @Test
  void fullOutageAt2PerSecondStopsWithinThreeSecondsAndRecovers() {
    outage(2, 3.0);
  }

  private static void outage(double rate, double stopWithinSeconds) {
    DependencyScenario s = fullOutage(rate);
    Result[] bare = runs(s, Client.BARE);
    Result[] breaker = runs(s, Client.BREAKER);
    report(String.format(Locale.ROOT, "Full outage then full health (%.0f calls/s)", rate), s,
        bare, breaker);
    double stop = median(breaker, Result::firstTripSeconds);
    assertTrue(stop <= stopWithinSeconds, "stopped sending after " + stop + " s");
    double rejected = median(breaker, Result::firstRejectionSeconds);
    assertTrue(rejected <= stopWithinSeconds, "first rejection after " + rejected + " s");
    double recovered = median(breaker, r -> r.goodput(2));
    assertTrue(recovered >= 0.99, "goodput in the 10 s after recovery " + recovered);
  }

  /**
   * Every call hangs for 10 s (then full health), at 400 calls/s with 200 blocked workers and a
   * 1.5 s deadline: the first timeouts complete 1.5 s in, while the workers are saturated. The
   * breaker stops sending within half a second of them (medians of seeds 1-10: 1.82 s after the
   * outage began, 8.5% of the outage's calls sent, against the bare deadline's 35%), because a
   * stream of completions 90% failed or more is an outage whenever its calls began. Judged
   * only with the successes of the calls that began with them, it had stopped 3.0 s in (seed 1)
   * and served 97.6% once the dependency was back. Afterwards it serves at least 98% (the bare
   * deadline 94.7%, its workers still held by hung calls).
   */
  @Test
  void aHangingOutageStopsTheCallsWithinHalfASecondOfTheFirstTimeouts() {
    DependencyScenario s = hangingOutage(400);
    Result[] bare = runs(s, Client.BARE);
    Result[] breaker = runs(s, Client.BREAKER);
    report("Every call hangs for 10 s, then full health (400 calls/s, 200 workers, 1.5 s"
        + " deadline)", s, bare, breaker);
    double stop = median(breaker, Result::firstTripSeconds);
    assertTrue(stop <= 2.0, "stopped sending after " + stop + " s");
    double sent = median(breaker, r -> r.sent[1] / (double) r.offered[1]);
    assertTrue(sent <= 0.12, "sent during the outage " + sent);
    double recovered = median(breaker, r -> r.goodput(2));
    assertTrue(recovered >= 0.98 && recovered > median(bare, r -> r.goodput(2)),
        "goodput in the 10 s after recovery " + recovered);
  }

  /**
   * The same hanging outage at 50 calls/s. Half open, the breaker let in one probe at a time
   * (plus 1% of the calls, one every 2 s here); a probe let in just before the dependency
   * recovered hung for the whole 1.5 s deadline and held the discovery back: 94.8% served in
   * the 10 s after (median of seeds 1-10), 86.4% at worst. Probes in flight for three probe
   * intervals without another let in are now taken to hang and one more goes: at least 97%
   * in every seed, 98.8% on the median.
   */
  @Test
  void aHangingOutageAtFiftyCallsASecondIsFoundSoonAfterItEnds() {
    DependencyScenario s = hangingOutage(50);
    Result[] breaker = runs(s, Client.BREAKER);
    double worst = 1.0;
    for (Result r : breaker) {
      worst = Math.min(worst, r.goodput(2));
    }
    double recovered = median(breaker, r -> r.goodput(2));
    assertTrue(recovered >= 0.98 && worst >= 0.97,
        "goodput in the 10 s after recovery: median " + recovered + ", worst " + worst);
  }

  /**
   * 10 s healthy (20 ms), 10 s in which every call hangs, 10 s healthy again; 200 blocked
   * workers, 1.5 s deadline.
   */
  private static DependencyScenario hangingOutage(int ratePerSecond) {
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 10, 20),
        new Phase("every call hangs", Dependency.nanos(10), Dependency.millis(20), 1.0, 0.0, 0),
        Phase.healthy("recovered", 10, 20));
    return new DependencyScenario(d, ratePerSecond, 200, d.start(1));
  }

  @Test
  void rerunsAreIdentical() {
    DependencyScenario a = slowDependency();
    DependencyScenario b = slowDependency();
    Result x = a.run(Client.BREAKER, 7);
    Result y = b.run(Client.BREAKER, 7);
    assertArrayEquals(x.offered, y.offered);
    assertArrayEquals(x.succeeded, y.succeeded);
    assertArrayEquals(x.opens, y.opens);
    assertEquals(x.firstRejection, y.firstRejection);
    assertEquals(x.firstTrip, y.firstTrip);
  }

  static void reportAll(String title, DependencyScenario s, Result[][] results) {
    if (!REPORT) {
      return;
    }
    StringBuilder out = new StringBuilder();
    out.append("\n#### ").append(title).append(" (goodput, median of seeds 1-").append(SEEDS)
        .append(")\n\n| phase |");
    for (Client c : Client.values()) {
      out.append(' ').append(c.name().toLowerCase(Locale.ROOT).replace('_', ' ')).append(" |");
    }
    out.append("\n|---|");
    for (int i = 0; i < Client.values().length; i++) {
      out.append("---:|");
    }
    out.append('\n');
    for (int phase = 0; phase < s.dependency().phases().size(); phase++) {
      int i = phase;
      out.append("| ").append(s.dependency().phases().get(i).name()).append(" |");
      for (Result[] rs : results) {
        out.append(' ').append(DependencyScenario.pct(median(rs, r -> r.goodput(i))))
            .append(" |");
      }
      out.append('\n');
    }
    System.out.println(out);
  }

  static void report(String title, DependencyScenario s, Result[] bare, Result[] breaker) {
    if (!REPORT) {
      return;
    }
    StringBuilder out = new StringBuilder();
    out.append("\n#### ").append(title).append(" (median of seeds 1-").append(SEEDS)
        .append(")\n\n| phase | bare deadline | breaker (defaults) | sent by the breaker "
            + "| breaker opens |\n")
        .append("|---|---:|---:|---:|---:|\n");
    for (int phase = 0; phase < s.dependency().phases().size(); phase++) {
      int i = phase;
      out.append("| ").append(s.dependency().phases().get(i).name()).append(" | ")
          .append(DependencyScenario.pct(median(bare, r -> r.goodput(i)))).append(" | ")
          .append(DependencyScenario.pct(median(breaker, r -> r.goodput(i)))).append(" | ")
          .append(DependencyScenario.pct(median(breaker,
              r -> r.offered[i] == 0 ? 0.0 : (double) r.sent[i] / r.offered[i]))).append(" | ")
          .append(String.format(Locale.ROOT, "%.1f", median(breaker, r -> r.opens[i])))
          .append(" |\n");
    }
    out.append(String.format(Locale.ROOT,
        "\nAfter the second phase began: first trip %.3f s, first rejection %.3f s.%n",
        median(breaker, Result::firstTripSeconds), median(breaker,
            Result::firstRejectionSeconds)));
    System.out.println(out);
  }
}
