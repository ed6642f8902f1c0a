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
 * builds by default) stays within 5 points of the bare deadline in every phase of every shape
 * (measured worst: 4.1; 5.0 while a caller at 50 calls/s, five calls per 100 ms, could never
 * reach the estimator's "10 cut" rules; it gains up to 14 points where calls hang). A guard with
 * the gradient limit does not: a step in latency costs the limit a halving and a verdict, which
 * at 50 calls/s and 800 ms takes seconds, and under a fixed deadline the hung calls' timeouts
 * arrive one deadline late and in random numbers per window. Measured, seeds 1-3: at most 18.7
 * points below bare with the adaptive deadline (1.9 on average per phase; 38 while an
 * explorer's timeout counted as a drop) and 66 with a fixed 1.5 s one (3.8 on average; 20%
 * hangs, 10 ms, 50/s, seed 3: 12% against 79%; the case 20% hangs, 100 ms, 400/s went from 19%
 * to 68% against 79% once a verdict's baseline was held for two deadlines). That gap is
 * reported, not asserted, and named in the README; {@code -Dsim.report=true} prints the table.
 */
class GuardFamilyTest {

  @Test
  void aGuardWithoutALimitStaysWithinFivePointsOfTheBareDeadlineAcrossTheFamily() {
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
    String worstCell = "";
    for (double hang : new double[] {0.0, 0.2, 0.4}) {
      for (int median : new int[] {10, 100, 400, 800}) {
        for (int rate : new int[] {50, 400}) {
          Dependency d = Dependency.of(
              Phase.healthy("healthy", 10, 20),
              new Phase("degraded", Dependency.nanos(20), Dependency.millis(median), hang, 0.0,
                  0),
              Phase.healthy("recovery", 20, 20).withCapacity(20));
          DependencyScenario s = new DependencyScenario(d, rate, 200, d.start(1));
          for (int seed = 1; seed <= 3; seed++) {
            Result bare = s.run(Client.BARE, seed);
            Result noLimit = s.run(Client.GUARD_NO_LIMIT, seed);
            Result limited = report ? s.run(Client.GUARD_ADAPTIVE, seed) : null;
            Result fixed = report ? s.run(Client.GUARD_FIXED, seed) : null;
            for (int p = 0; p < 3; p++) {
              double gap = bare.goodput(p) - noLimit.goodput(p);
              worstNoLimit = Math.max(worstNoLimit, gap);
              assertTrue(gap <= 0.05, String.format(Locale.ROOT,
                  "hang %.0f%%, median %d ms, %d/s, seed %d, phase %d: guard %.3f vs bare %.3f",
                  100 * hang, median, rate, seed, p, noLimit.goodput(p), bare.goodput(p)));
              if (limited != null) {
                worstLimited = Math.max(worstLimited, bare.goodput(p) - limited.goodput(p));
                if (bare.goodput(p) - fixed.goodput(p) > worstFixed) {
                  worstFixed = bare.goodput(p) - fixed.goodput(p);
                  worstCell = String.format(Locale.ROOT, "hang %.0f%%, %d ms, %d/s, seed %d,"
                      + " phase %d: %.1f%% against %.1f%%", 100 * hang, median, rate, seed, p,
                      100 * fixed.goodput(p), 100 * bare.goodput(p));
                }
                sumLimited += Math.max(0, bare.goodput(p) - limited.goodput(p));
                sumFixed += Math.max(0, bare.goodput(p) - fixed.goodput(p));
                cells++;
              }
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
  }

  private static String phases(Result r) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", 100 * r.goodput(0),
        100 * r.goodput(1), 100 * r.goodput(2));
  }
}
