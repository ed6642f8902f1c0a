package dev.headroom.sim.dependency;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.sim.dependency.Dependency.Phase;
import dev.headroom.sim.dependency.DependencyScenario.Client;
import dev.headroom.sim.dependency.DependencyScenario.Result;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The slow-dependency family on a grid, for the guard: hang share 0, 20 and 40%, degraded
 * median 10, 100, 400 and 800 ms, 50 and 400 calls/s, seeds 1-3, each against a bare 1.5 s
 * deadline on the same seed.
 *
 * <p>A guard of breaker and adaptive deadline without a limit (what {@code HeadroomHttpClient}
 * builds by default) stays within 1 point of the bare deadline in every phase of every shape,
 * and its breaker opens in none (measured worst: 0.7, 0.65 before a cut under a deadline that
 * has risen since counted; 1.8 while the breaker judged a wave of
 * hung calls' timeouts against the successes that completed with them, not those that began
 * with them, and while a run of 20 cuts was needed to read a step and a rise smaller than a
 * step was read by the percentile's creep; 2.6 while a
 * step of the latency was read only at the end of a 100 ms period; 3.0 while the deadline was
 * cut from 100 samples, which cost 0.2-0.4% of
 * a healthy dependency's calls in every healthy phase; 5.0 while a caller at 50 calls/s, five
 * calls per 100 ms, could never reach the estimator's "10 cut" rules, 4.1 while a shift was read
 * against the old normal's samples; it gains up to 11 points where calls hang). A guard with
 * the gradient limit does not, cell by cell: a step in latency costs the limit a halving and a
 * verdict, which at 50 calls/s and 800 ms takes seconds, and the breaker, fed timeouts by a
 * fixed deadline, opens where 40% of calls hang. Measured, seeds 1-3, worst and mean points
 * below bare per phase: 20.0 and 1.66 with the adaptive deadline, 21.0 and 2.12 with a fixed
 * 1.5 s one (20% hangs, 10 ms, 400/s, seed 3, degraded: 58.5% against 79.5%). They were 40.9
 * and 2.01, 46.8 and 2.82 (40% hangs, 10 ms, 400/s, seed 2, degraded: 1.4% against 48.2%)
 * while the limit's verdict read a window whose drops fell below their share by chance as
 * "latency came down" and halved again: with 40% of calls hanging 1.5 s, a mean of 15 calls
 * moves by 190 ms with one drop more or less. Before that: 40.9 and 2.01 with the adaptive
 * deadline (2.32 before the bands closed
 * at the first refusal, 2.59 while the limit's
 * tolerance band was measured from a baseline that drifted below the quiet latency, 2.77 while a
 * histogram
 * generation closed every window whatever it held, 3.16 before the breaker's cohorts and the
 * deadline's band, 2.98 while a step was read at the end of a period), 46.8 and 2.82 with a
 * fixed 1.5 s one (40% hangs, 10 ms, 400/s, seed 2, degraded: 1.4% against 48.2%; 90.4 and
 * 3.15 while the overload bound held a limit of 2 through the recovery, 50.9 and 3.14 before
 * the bands closed at the first refusal, 46.9 and 3.43 before the band was measured from the
 * quiet latency). At 50 calls/s the
 * adaptive deadline is the ceiling until the histogram holds the thousand successes it waits
 * for, 7 s into the degraded phase; it was 16.5 and 1.63 while the deadline
 * was cut from 100 samples (and 37.2 and 2.97 with the fixed deadline before the priority bands
 * opened at normal load, a change chaotic in these cells). Before the controller accepted
 * a steady share of hung calls' timeouts, they were 38 and 1.83 (while an explorer's timeout
 * counted as a limit drop) and 66 and 4.24 (20% hangs, 100 ms, 400/s: 19% against 79%). The
 * means are asserted; the worst cells are reported and named in the README;
 * {@code -Dsim.report=true} prints the table.
 */
class GuardFamilyTest {

  /**
   * A member of the family: 10 s healthy (20 ms), 20 s degraded ({@code hang} of the calls
   * hanging, the others answering in {@code median} ms), 20 s healthy on 20 slots; 200 workers.
   */
  private static DependencyScenario family(double hang, int median, int rate) {
    Dependency d = Dependency.of(
        Phase.healthy("healthy", 10, 20),
        new Phase("degraded", Dependency.nanos(20), Dependency.millis(median), hang, 0.0, 0),
        Phase.healthy("recovery", 20, 20).withCapacity(20));
    return new DependencyScenario(d, rate, 200, d.start(1));
  }

  @Test
  void guardsStayNearTheBareDeadlineAcrossTheFamily() {
    boolean report = Boolean.getBoolean("sim.report");
    StringBuilder table = new StringBuilder("| hang | median | rate | bare | guard, no limit"
        + " | guard, gradient limit, adaptive deadline | guard, gradient limit, 1.5 s |\n"
        + "|---|---|---|---|---|---|---|\n");
    double worstNoLimit = 0;
    double worstLimited = 0;
    double worstFixed = 0;
    double sumLimited = 0;
    double sumFixed = 0;
    int cells = 0;
    double worstRecovery = 1.0;
    String worstCell = "";
    for (double hang : new double[] {0.0, 0.2, 0.4}) {
      for (int median : new int[] {10, 100, 400, 800}) {
        for (int rate : new int[] {50, 400}) {
          DependencyScenario s = family(hang, median, rate);
          for (int seed = 1; seed <= 3; seed++) {
            Result bare = s.run(Client.BARE, seed);
            Result noLimit = s.run(Client.GUARD_NO_LIMIT, seed);
            Result limited = s.run(Client.GUARD_ADAPTIVE, seed);
            Result fixed = s.run(Client.GUARD_FIXED, seed);
            // A healthy dependency loses at most 0.1% to the adaptive deadline: cut from a hundred
            // samples, it was 1.1 times about their largest and cut 0.2-0.4% of healthy calls.
            assertTrue(noLimit.goodput(0) >= bare.goodput(0) - 0.001, String.format(
                Locale.ROOT, "healthy, %d/s, seed %d: guard %.4f vs bare %.4f", rate, seed,
                noLimit.goodput(0), bare.goodput(0)));
            for (int p = 0; p < 3; p++) {
              double gap = bare.goodput(p) - noLimit.goodput(p);
              worstNoLimit = Math.max(worstNoLimit, gap);
              assertTrue(gap <= 0.01, String.format(Locale.ROOT,
                  "hang %.0f%%, median %d ms, %d/s, seed %d, phase %d: guard %.3f vs bare %.3f",
                  100 * hang, median, rate, seed, p, noLimit.goodput(p), bare.goodput(p)));
              assertTrue(noLimit.opens[p] == 0, String.format(Locale.ROOT,
                  "hang %.0f%%, median %d ms, %d/s, seed %d, phase %d: the breaker opened",
                  100 * hang, median, rate, seed, p));
              worstLimited = Math.max(worstLimited, bare.goodput(p) - limited.goodput(p));
              if (bare.goodput(p) - fixed.goodput(p) > worstFixed) {
                worstFixed = bare.goodput(p) - fixed.goodput(p);
                worstCell = String.format(Locale.ROOT, "hang %.0f%%, %d ms, %d/s, seed %d,"
                    + " phase %d: %.1f%% against %.1f%%", 100 * hang, median, rate, seed, p,
                    100 * fixed.goodput(p), 100 * bare.goodput(p));
              }
              if (p == 2) {
                worstRecovery = Math.min(worstRecovery,
                    Math.min(limited.goodput(p), fixed.goodput(p)));
              }
              sumLimited += Math.max(0, bare.goodput(p) - limited.goodput(p));
              sumFixed += Math.max(0, bare.goodput(p) - fixed.goodput(p));
              cells++;
            }
            if (report && seed == 1) {
              table.append(String.format(Locale.ROOT, "| %.0f%% | %d ms | %d/s | %s | %s | %s | %s"
                  + " |%n", 100 * hang, median, rate, phases(bare), phases(noLimit),
                  phases(limited), phases(fixed)));
            }
          }
        }
      }
    }
    if (report) {
      System.out.printf(Locale.ROOT, "%n%s%nworst points below bare, seeds 1-3: guard without a"
          + " limit %.1f, guard with the gradient limit %.1f (adaptive deadline), %.1f (fixed"
          + " 1.5 s: %s); mean points below bare per phase: %.2f and %.2f%n", table,
          100 * worstNoLimit, 100 * worstLimited, 100 * worstFixed, worstCell,
          100 * sumLimited / cells, 100 * sumFixed / cells);
    }
    // After the degraded phase a limited guard recovers in every cell: at least 79% of the
    // recovery phase served (9.5% while the limit's overload bound held a limit of 2, which a
    // HIGH band one slot below it could never fill: 40% hangs, 10 ms, 400/s, fixed deadline).
    assertTrue(worstRecovery >= 0.75, "a limited guard's worst recovery " + worstRecovery);
    // The gradient-limited guards: on average, so that the family does not get worse
    // unnoticed (measured 1.66 and 2.12), and in the worst cell (20.0 and 21.0; 40.9 and 46.8
    // while a window whose drops fell below their share by chance read as "latency came down").
    assertTrue(sumLimited / cells <= 0.02, "limited, adaptive deadline: mean gap "
        + 100 * sumLimited / cells);
    assertTrue(sumFixed / cells <= 0.025, "limited, fixed deadline: mean gap "
        + 100 * sumFixed / cells);
    assertTrue(worstLimited <= 0.25 && worstFixed <= 0.25, "limited guards' worst cells: "
        + 100 * worstLimited + " and " + 100 * worstFixed + " points below bare (" + worstCell
        + ")");
  }

  /**
   * Low traffic, where the window holds fewer than {@code minimumCalls} calls and a run of
   * failures trips the breaker instead of a rate: 20% and 40% of calls hanging (10-800 ms
   * answers, 5 and 10 calls/s, seeds 1-3, 48 runs). The default guard (breaker and adaptive
   * deadline) opens at most 4 times in all and is on average within half a point of a bare
   * deadline per phase. With 5 timeouts in a row always tripping it opened 13 times; judged
   * against the failures of the whole window, 7 (the calls before the
   * run are judged by the newest ones now: four times the run limit, so that a dependency
   * that has been failing for a few seconds is not judged by the healthy calls before it).
   * The worst run is still 19.8 points below (20% hangs, 400 ms, 5 calls/s, seed 3): its two
   * runs come in the first seconds, before the hangs show among the newest calls.
   */
  @Test
  void atLowRatesHungCallsRarelyOpenTheDefaultGuard() {
    long opens = 0;
    double gaps = 0;
    int cells = 0;
    for (double hang : new double[] {0.2, 0.4}) {
      for (int median : new int[] {10, 100, 400, 800}) {
        for (int rate : new int[] {5, 10}) {
          DependencyScenario s = family(hang, median, rate);
          for (int seed = 1; seed <= 3; seed++) {
            Result bare = s.run(Client.BARE, seed);
            Result guard = s.run(Client.GUARD_NO_LIMIT, seed);
            for (int p = 0; p < 3; p++) {
              opens += guard.opens[p];
              gaps += Math.max(0, bare.goodput(p) - guard.goodput(p));
              cells++;
            }
          }
        }
      }
    }
    assertTrue(opens <= 4 && gaps / cells <= 0.005, String.format(Locale.ROOT,
        "opens %d, mean points below bare %.2f", opens, 100 * gaps / cells));
  }

  /**
   * The latency drifts instead of stepping: from 20 ms it rises by the same factor every second
   * for 20 s (to 200 or 800 ms; 0 or 20% of calls hanging; 50 and 400 calls/s), then stays 10 s.
   * Over those 30 s the guard without a limit (breaker and adaptive deadline) serves within 2
   * points of a bare 1.5 s deadline (seeds 1-3 together). The deadline rises while calls are cut
   * under the deadline of their start, which was lower than the one in force when they were
   * cut; only cuts at the deadline in force counted, so every cut of a drift was hidden and the
   * deadline crept up by the top band alone: 88.3% against 99.3% at 800 ms and 50 calls/s,
   * 78.7% against 83.8% at 400 calls/s (now 98.4% and 82.1%). Drifts to 1.4 s, near the
   * ceiling, still cost up to 7 points (77.4% against 84.2% at 50 calls/s).
   */
  @Test
  void aLatencyThatDriftsUpIsFollowed() {
    StringBuilder failures = new StringBuilder();
    for (int top : new int[] {200, 800}) {
      for (double hang : new double[] {0.0, 0.2}) {
        for (int rate : new int[] {50, 400}) {
          java.util.List<Phase> script = new java.util.ArrayList<>();
          script.add(Phase.healthy("healthy", 10, 20));
          for (int i = 1; i <= 20; i++) {
            double median = 20 * Math.pow(top / 20.0, i / 20.0);
            script.add(new Phase("drift " + i, Dependency.nanos(1), Dependency.millis(median),
                hang, 0.0, 0));
          }
          script.add(new Phase("plateau", Dependency.nanos(10), Dependency.millis(top), hang,
              0.0, 0));
          script.add(Phase.healthy("recovery", 10, 20));
          Dependency d = Dependency.of(script.toArray(new Phase[0]));
          DependencyScenario s = new DependencyScenario(d, rate, 200, d.start(1));
          long guard = 0;
          long bare = 0;
          long offered = 0;
          for (int seed = 1; seed <= 3; seed++) {
            Result g = s.run(Client.GUARD_NO_LIMIT, seed);
            Result b = s.run(Client.BARE, seed);
            for (int p = 1; p < script.size() - 1; p++) {
              guard += g.succeeded[p];
              bare += b.succeeded[p];
              offered += g.offered[p];
            }
          }
          double gap = (bare - guard) / (double) offered;
          if (gap > 0.02) {
            failures.append(String.format(Locale.ROOT, "%n to %d ms, hang %.0f%%, %d/s: guard"
                + " %.3f, bare %.3f", top, 100 * hang, rate, guard / (double) offered,
                bare / (double) offered));
          }
        }
      }
    }
    assertTrue(failures.length() == 0, failures.toString());
  }

  private static String phases(Result r) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", 100 * r.goodput(0),
        100 * r.goodput(1), 100 * r.goodput(2));
  }
}
