package dev.headroom.sim.overload;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import java.util.Locale;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The overload incident (1x, 15x, 1x in front of a backend that collapses above 75 in flight)
 * replayed with the shedder's defaults: the targets of the README's table, as medians over
 * seeds 1-10, and across the scenario family.
 */
class OverloadScenarioTest {

  private static final boolean REPORT = Boolean.getBoolean("sim.report");

  @Test
  void defaultsMeetTheTargetsInTheIncident() {
    OverloadScenario scenario = OverloadScenario.builder().build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 10);
    String report = OverloadReport.table(scenario, 1, 10);
    if (Boolean.getBoolean("sim.report")) {
      System.out.println(report);
    }
    double idealHigh = scenario.idealDuringSpike(Priority.HIGH);
    assertTrue(m[0] >= 0.99, "CRITICAL during the spike\n" + report);
    assertTrue(m[1] >= 0.9 * idealHigh, "HIGH during the spike\n" + report);
    assertTrue(m[4] >= 0.99, "1x from 5 s after the spike\n" + report);
    assertTrue(m[5] >= 0.99, "1x before the spike\n" + report);
  }

  @Test
  void withoutALimitTheBackendStaysCollapsedAfterTheSpike() {
    OverloadScenario scenario = OverloadScenario.builder().build();
    OverloadScenario.Result r = scenario.run(1, clock -> null);
    assertTrue(r.goodput(OverloadScenario.Phase.SPIKE) < 0.01, r.toString());
    assertTrue(r.goodput(OverloadScenario.Phase.AFTER) < 0.05, "metastable\n" + r);
  }

  /**
   * A backend of 20 slots under a 20x spike collapses (CRITICAL, never shed, alone keeps more
   * than 30 inside); the limit halves, but the concurrency does not come down with it. That is
   * no verdict: the limit used to read "latency did not come down" as "not load" and open to
   * its maximum, and after the spike the 1x load then found it open and kept the backend
   * collapsed (0% served). It holds at half now, and the load after the spike is served.
   */
  @Test
  void aCollapseCriticalWorkSustainsDoesNotOpenTheLimit() {
    OverloadScenario scenario = OverloadScenario.builder().sigma(0.2).slots(20).spike(20)
        .phases(8, 12, 12).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    assertTrue(m[4] >= 0.99, "1x after the spike: " + m[4]);
  }

  /**
   * At 1x, LOW was refused at half the limit whenever in-flight peaked, and each refusal asked
   * the limit for more: it settled at twice the load's concurrency, 38 in front of 20 slots
   * that collapse above 30. The 20x spike then filled it, the backend collapsed, and CRITICAL
   * alone kept it collapsed (CRITICAL 1.1% served, median of seeds 1-3). With the bands open at
   * normal load the limit stays near what the load uses, below the collapse point, and the
   * spike is absorbed. (During the spike the limit may still grow past the collapse point, the
   * tolerance allowing 1.3-1.6 times the no-load latency: seed 2 collapses there. The median
   * is what the family property asserts.)
   */
  @Test
  void atNormalLoadTheLimitStaysBelowTheCollapsePoint() {
    OverloadScenario scenario = OverloadScenario.builder().sigma(0.5).slots(20).spike(20)
        .phases(8, 12, 12).build();
    for (long seed = 1; seed <= 3; seed++) {
      OverloadScenario.Result r = scenario.run(seed, OverloadReport::defaults);
      int highest = r.limits.subList(40, 80).stream().mapToInt(Integer::intValue).max()
          .orElseThrow();
      assertTrue(highest < 30, "seed " + seed + ": limit " + highest + " at 1x\n" + r);
      assertTrue(r.goodput(OverloadScenario.Phase.BEFORE) >= 0.99, "seed " + seed + "\n" + r);
    }
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    assertTrue(m[0] >= 0.99, "CRITICAL during the spike " + m[0]);
    assertTrue(m[4] >= 0.99, "1x after the spike " + m[4]);
  }

  /**
   * When a collapse that CRITICAL sustained ends, the calls admitted during it still carry its
   * latency. Judged as "latency did not come down", they made the limit give back, by Little's
   * law at that latency, several times the backend's capacity: 124 for 20 slots (seed 2) and 82
   * for 25 (seed 3), where the next spike would have found it. The verdict now waits one
   * collapse latency after the collapse ends; the limit then follows the load.
   */
  @Test
  void aCollapseThatEndsDoesNotLeaveTheLimitOpen() {
    for (int slots : new int[] {20, 25}) {
      OverloadScenario scenario = OverloadScenario.builder().sigma(0.5).slots(slots).spike(20)
          .phases(8, 12, 12).build();
      for (long seed = 1; seed <= 3; seed++) {
        OverloadScenario.Result r = scenario.run(seed, OverloadReport::defaults);
        int last = r.limits.get(r.limits.size() - 1);
        assertTrue(last <= 2 * slots, slots + " slots, seed " + seed + ": limit " + last
            + " at 1x after the spike\n" + r);
        assertTrue(r.goodput(OverloadScenario.Phase.AFTER) >= 0.99, slots + " slots, seed "
            + seed + "\n" + r);
      }
    }
  }

  /**
   * The incident's full 20 s spike, at 20x, into backends of 20 and 25 slots that collapse
   * above 30 and 37 in flight, where CRITICAL alone (never shed) holds about a third of the
   * collapse point. Before the limit stopped growing at 1.3 times the concurrency its
   * throughput needs at the quiet latency, it wandered into the collapse in most runs (5 of
   * seeds 1-6 at 20 slots, sigma 0.2). It still collapsed in some runs, over seeds 1-50: 7 at
   * 20 slots with sigma 0.2, 5 with sigma 0.5, 1 with sigma 0.8 and 1 at 25 slots (7, 6, 2 and
   * 1 before the bands' squeeze). In those runs the limit jumped by five or six in one window
   * (25 to 31, 27 to 34) to the highest in-flight it had seen within tolerance, and that
   * in-flight was CRITICAL's excess over the limit, never a limit the backend was tested at.
   * Remembering at most the limit in force, 1, 2, 1 and 0 runs of 50 collapsed. Where even
   * HIGH asks for more than the backend completes, the limit now stops at 1.15 times that
   * concurrency instead of 1.3 (the slack would only queue in the backend), and the quiet
   * latency is no longer read low: none of 50 runs collapses in any cell. Asserted: none, and
   * the median run keeps CRITICAL, gives HIGH at least 90% of its ideal share and serves the
   * load after.
   */
  @Test
  void aLongSpikeRarelyGrowsTheLimitOfASmallBackendIntoACollapse() {
    double[][] cells = {{20, 0.2}, {20, 0.5}, {20, 0.8}, {25, 0.2}};
    int seeds = 50;
    for (double[] cell : cells) {
      OverloadScenario scenario = OverloadScenario.builder().slots((int) cell[0])
          .sigma(cell[1]).spike(20).build();
      double[] high = new double[seeds];
      double[] after = new double[seeds];
      int collapses = 0;
      for (int seed = 1; seed <= seeds; seed++) {
        OverloadScenario.Result r = scenario.run(seed, OverloadReport::defaults);
        collapses += r.goodput(OverloadScenario.Phase.SPIKE, Priority.CRITICAL) < 0.99 ? 1 : 0;
        high[seed - 1] = r.goodput(OverloadScenario.Phase.SPIKE, Priority.HIGH);
        after[seed - 1] = r.goodput(OverloadScenario.Phase.AFTER);
      }
      String what = String.format("%d slots, sigma %.1f: %d of %d runs collapsed, median HIGH"
          + " %.3f (ideal %.3f), median after %.3f", (int) cell[0], cell[1], collapses, seeds,
          OverloadReport.median(high), scenario.idealDuringSpike(Priority.HIGH),
          OverloadReport.median(after));
      if (REPORT) {
        System.out.println(what);
      }
      assertTrue(collapses == 0, what);
      assertTrue(OverloadReport.median(high) >= 0.9 * scenario.idealDuringSpike(Priority.HIGH),
          what);
      assertTrue(OverloadReport.median(after) >= 0.99, what);
    }
  }

  /**
   * A 10x spike into 20-40 slots, where HIGH's ideal is all of its demand and that demand is
   * about 90% of the backend's capacity. The bands alone (HIGH may fill 95% of the limit,
   * NORMAL 80%) let NORMAL, which asks more than twice as often, take the slots HIGH needs at
   * its peaks: 80-91% of HIGH's ideal, 87% on average. Under pressure each band now also
   * shrinks by twice the concurrency refused above it, so a freed slot waits for HIGH: 86-94%,
   * 91% on average (medians of seeds 1-5 per cell); 90.5% since the limit remembers at most the
   * limit in force as tested (a long 20x spike collapses small backends 3 times less often);
   * 87.6-93.7%, 91.1% on average, since the quiet latency is read without bias (the overload
   * bound keeps 1.3 here: HIGH's whole demand fits); 87.9-94.2%, 91.4%, since the first HIGH or
   * NORMAL refusal closes the bands at once. Without queues 20 slots stay below 90%:
   * HIGH's own arrivals overflow any limit the backend can take. The best fixed limit chosen in
   * hindsight per cell (4 below the slots to 14 above, CRITICAL kept, seeds 1-5) gets 85.9-86.4%
   * at 20 slots and 88.4-89.1% at 25, below the defaults in each cell.
   */
  @Test
  void atTenTimesTheBandsKeepSmallBackendsForHigh() {
    double sum = 0;
    int cells = 0;
    StringBuilder all = new StringBuilder();
    for (int slots : new int[] {20, 25, 30, 35, 40}) {
      for (double sigma : new double[] {0.2, 0.5, 0.8}) {
        OverloadScenario scenario = OverloadScenario.builder().sigma(sigma).slots(slots)
            .spike(10).phases(8, 12, 12).build();
        double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 5);
        double ofIdeal = m[1] / scenario.idealDuringSpike(Priority.HIGH);
        all.append(String.format(" %d/%.1f %.3f", slots, sigma, ofIdeal));
        assertTrue(ofIdeal >= 0.87, slots + " slots, sigma " + sigma + ": HIGH " + ofIdeal
            + " of its ideal");
        assertTrue(m[0] >= 0.99 && m[4] >= 0.99 && m[5] >= 0.99, slots + " slots, sigma "
            + sigma + ": CRITICAL " + m[0] + ", before " + m[5] + ", after " + m[4]);
        sum += ofIdeal;
        cells++;
      }
    }
    if (REPORT) {
      System.out.println("HIGH of its ideal at 10x:" + all);
    }
    assertTrue(sum / cells >= 0.905, "mean HIGH of its ideal " + sum / cells + ":" + all);
  }

  /**
   * In the incident (50 slots, 15x) HIGH alone asks for more than the backend completes, so
   * concurrency above the backend's parallelism buys nothing but queueing inside it. The limit
   * held at 1.3 times the concurrency the throughput needs (68 on average during the spike)
   * and the p99 of CRITICAL and HIGH was 78.8 and 79.1 ms, where a fixed limit of 60, chosen
   * knowing the backend, gave 69.7 and 71.0. It holds at 1.15 times now (about 61): medians
   * of seeds 1-10, no worse than the hand-tuned limit on p99 and no less HIGH served.
   */
  @Test
  void inTheIncidentTheLimitKeepsTheP99OfAHandTunedFixedLimit() {
    OverloadScenario scenario = OverloadScenario.builder().build();
    Function<ManualClock, LoadShedder> fixed = clock -> LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.fixed(60)).build();
    double[][] ours = p99AndHigh(scenario, OverloadReport::defaults);
    double[][] tuned = p99AndHigh(scenario, fixed);
    String what = String.format(Locale.ROOT, "p99 CRITICAL %.1f (fixed 60: %.1f),"
        + " HIGH %.1f (%.1f) ms; HIGH served %.3f (%.3f)",
        OverloadReport.median(ours[0]), OverloadReport.median(tuned[0]),
        OverloadReport.median(ours[1]), OverloadReport.median(tuned[1]),
        OverloadReport.median(ours[2]), OverloadReport.median(tuned[2]));
    if (REPORT) {
      System.out.println(what);
    }
    assertTrue(OverloadReport.median(ours[0]) <= OverloadReport.median(tuned[0]), what);
    assertTrue(OverloadReport.median(ours[1]) <= OverloadReport.median(tuned[1]), what);
    assertTrue(OverloadReport.median(ours[2]) >= OverloadReport.median(tuned[2]), what);
  }

  /**
   * Every run, not a median: a 2 s flash crowd and a 20 s spike, 5x and 20x, on 20-200 slots
   * with service times of sigma 0.5 and 0.8, seeds 1-5. The load at 1x before the spike and
   * from 5 s after it is served (at least 99%) in each run. Before, 16 of these 160 runs shed
   * at 1x. The baseline, a running minimum of window means, settled at 0.65 of the mean service
   * time at sigma 0.8, so the tolerance band sat on the mean and every noisy window read as
   * overload; each decrease then stuck, because a limit below the load refuses more than it
   * completes and the overload bound held it there. At 1x after a 2 s spike of 20x (50 slots,
   * seed 1) the limit fell to 1 and 10% was served; after the 20 s spike of 5x, 8%; at startup
   * (100 slots, seed 3) 86% before any spike. The band is now measured from the quiet latency
   * where that is higher, and a start under load takes the latency where halving stopped
   * helping as its baseline, not the first window's, which holds only the short calls.
   */
  @Test
  void noRunShedsTheLoadAtOneTimesBeforeOrAfterTheSpike() {
    StringBuilder failures = new StringBuilder();
    int runs = 0;
    for (int slots : new int[] {20, 50, 100, 200}) {
      for (double sigma : new double[] {0.5, 0.8}) {
        for (double spike : new double[] {5, 20}) {
          for (long during : new long[] {2, 20}) {
            OverloadScenario scenario = OverloadScenario.builder().slots(slots).sigma(sigma)
                .spike(spike).phases(10, during, 20).build();
            for (long seed = 1; seed <= 5; seed++) {
              OverloadScenario.Result r = scenario.run(seed, OverloadReport::defaults);
              runs++;
              double before = r.goodput(OverloadScenario.Phase.BEFORE);
              double after = r.goodput(OverloadScenario.Phase.AFTER);
              if (before < 0.99 || after < 0.99) {
                failures.append(String.format(Locale.ROOT, "%n%d slots, sigma %.1f, %.0fx for"
                    + " %d s, seed %d: 1x before %.3f, after %.3f", slots, sigma, spike, during,
                    seed, before, after));
              }
            }
          }
        }
      }
    }
    assertTrue(failures.length() == 0, "of " + runs + " runs:" + failures);
  }

  /**
   * The load ramps up to the spike and back down instead of stepping (1-10 s each way, within a
   * 20 s spike), across the family: CRITICAL keeps at least 99%, HIGH gets at least 90% of its
   * ideal over the spike (capacity given by priority at each moment) and 1x before and after
   * is served. On a grid of 20/50/100/200 slots, sigma 0.2/0.5/0.8, 5/10/20x and ramps of
   * 2/5/10 s (medians of seeds 1-3) HIGH's lowest was 90.6% of its ideal on 50-200 slots
   * (96.2%) but one cell of 20 slots (89.9%: 10x, sigma 0.8, a 2 s ramp).
   */
  @Property(tries = 8, seed = "23")
  void rampsHoldAcrossTheFamily(@ForAll @DoubleRange(min = 0.2, max = 0.8) double sigma,
      @ForAll @IntRange(min = 40, max = 200) int slots,
      @ForAll @DoubleRange(min = 5, max = 20) double spike,
      @ForAll @IntRange(min = 1, max = 10) int ramp) {
    OverloadScenario scenario = OverloadScenario.builder().sigma(sigma).slots(slots)
        .spike(spike).phases(10, 20, 20).ramp(ramp).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    double ideal = scenario.idealHighOverTheSpike();
    String what = String.format(Locale.ROOT, "sigma %.2f slots %d spike %.1f ramp %d s:"
        + " CRITICAL %.3f HIGH %.3f (ideal %.3f) before %.3f after %.3f", sigma, slots, spike,
        ramp, m[0], m[1], ideal, m[5], m[4]);
    assertTrue(m[0] >= 0.99, what);
    assertTrue(m[1] >= 0.9 * ideal, what);
    assertTrue(m[4] >= 0.99 && m[5] >= 0.99, what);
  }

  /**
   * Flash crowds: spikes of 1 and 2 s, 10x and 20x, on 20-200 slots with service times of sigma
   * 0.5 and 0.8 (medians of seeds 1-3). At normal load the bands are open and LOW may fill the
   * limit; they closed only at the end of the window in which HIGH was first refused, so for
   * that window the lower priorities, which ask most often, took the slots the spike's HIGH
   * requests needed: in a 1 s spike that is a tenth of it. The first HIGH or NORMAL refusal
   * closes them now. HIGH gets 92.4% of its ideal on average over these 32 cells, 64.3% at
   * worst (100 slots, sigma 0.8, 20x for 1 s); before, 89.9% and 54.7%. What remains is the
   * limit itself: where it sat below the backend's parallelism at 1x, it grows gently once past
   * what it has seen healthy (faster growth there, up to the overload bound, reached 79.6% in
   * that cell but collapsed one long 20x spike of 50 on 20 slots, and cost the incident's p99).
   */
  @Test
  void inAFlashCrowdTheBandsCloseAtTheFirstRefusal() {
    double sum = 0;
    double worst = 1;
    int cells = 0;
    StringBuilder all = new StringBuilder();
    for (int slots : new int[] {20, 50, 100, 200}) {
      for (double sigma : new double[] {0.5, 0.8}) {
        for (double spike : new double[] {10, 20}) {
          for (long during : new long[] {1, 2}) {
            OverloadScenario scenario = OverloadScenario.builder().slots(slots).sigma(sigma)
                .spike(spike).phases(10, during, 20).build();
            double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
            double ofIdeal = m[1] / scenario.idealDuringSpike(Priority.HIGH);
            all.append(String.format(Locale.ROOT, " %d/%.1f/%.0fx/%ds %.3f", slots, sigma,
                spike, during, ofIdeal));
            assertTrue(m[0] >= 0.99 && m[4] >= 0.99 && m[5] >= 0.99, all.toString());
            sum += ofIdeal;
            worst = Math.min(worst, ofIdeal);
            cells++;
          }
        }
      }
    }
    String what = String.format(Locale.ROOT, "HIGH of its ideal: mean %.3f, worst %.3f:%s",
        sum / cells, worst, all);
    if (REPORT) {
      System.out.println(what);
    }
    assertTrue(sum / cells >= 0.915 && worst >= 0.6, what);
  }

  /**
   * Bimodal service times: a share of the requests (50-90%, cache hits) is served 20 times
   * faster than the rest, so the mean sits between two modes and no window's latency is typical
   * of either. Across the family (40-200 slots, 5x-20x, a 20 s spike, medians of seeds 1-3)
   * CRITICAL keeps at least 99%, HIGH at least 90% of its ideal and 1x before and after is
   * served. On a grid of 20/50/100/200 slots, sigma 0.2 and 0.5, 5x and 15x, 2 s and 20 s
   * spikes, seeds 1-5, no run shed at 1x or starved CRITICAL, with 50% and 90% hits.
   */
  @Property(tries = 8, seed = "29")
  void bimodalServiceTimesHoldTheFamily(@ForAll @DoubleRange(min = 0.5, max = 0.9) double hits,
      @ForAll @IntRange(min = 40, max = 200) int slots,
      @ForAll @DoubleRange(min = 5, max = 20) double spike) {
    OverloadScenario scenario = OverloadScenario.builder().hits(hits).slots(slots).spike(spike)
        .phases(10, 20, 20).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    String what = String.format(Locale.ROOT, "hits %.2f slots %d spike %.1f: CRITICAL %.3f"
        + " HIGH %.3f (ideal %.3f) before %.3f after %.3f", hits, slots, spike, m[0], m[1],
        scenario.idealDuringSpike(Priority.HIGH), m[5], m[4]);
    assertTrue(m[0] >= 0.99, what);
    assertTrue(m[1] >= 0.9 * scenario.idealDuringSpike(Priority.HIGH), what);
    assertTrue(m[4] >= 0.99 && m[5] >= 0.99, what);
  }

  /** Per seed 1-10: the spike's p99 of CRITICAL and of HIGH (ms), and HIGH's goodput. */
  private static double[][] p99AndHigh(OverloadScenario scenario,
      Function<ManualClock, LoadShedder> factory) {
    double[][] values = new double[3][10];
    for (int seed = 1; seed <= 10; seed++) {
      OverloadScenario.Result r = scenario.run(seed, factory);
      values[0][seed - 1] = r.latencyMillis(OverloadScenario.Phase.SPIKE, Priority.CRITICAL,
          0.99);
      values[1][seed - 1] = r.latencyMillis(OverloadScenario.Phase.SPIKE, Priority.HIGH, 0.99);
      values[2][seed - 1] = r.goodput(OverloadScenario.Phase.SPIKE, Priority.HIGH);
    }
    return values;
  }

  @Test
  void badShapesAreRefusedWithTheFieldTheValueAndTheRange() {
    IllegalArgumentException hits = assertThrows(IllegalArgumentException.class,
        () -> OverloadScenario.builder().hits(1.0));
    assertTrue(hits.getMessage().contains("hits") && hits.getMessage().contains("[0, 1)")
        && hits.getMessage().contains("1"), hits.getMessage());
    IllegalArgumentException ramp = assertThrows(IllegalArgumentException.class,
        () -> OverloadScenario.builder().phases(10, 4, 10).ramp(3).build());
    assertTrue(ramp.getMessage().contains("ramp") && ramp.getMessage().contains("half the spike")
        && ramp.getMessage().contains("3"), ramp.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OverloadScenario.builder().ramp(-1));
  }

  @Test
  void reRunsAreIdentical() {
    OverloadScenario scenario = OverloadScenario.builder().phases(4, 6, 8).build();
    assertTrue(scenario.run(3, OverloadReport::defaults).toString()
        .equals(scenario.run(3, OverloadReport::defaults).toString()));
  }

  /**
   * The family: service-time sigma 0.2-0.8, 40-200 slots, a 5x-20x spike. Per member, the
   * median of three seeds. CRITICAL is never starved, the load before and after the spike is
   * served, and HIGH gets at least 90% of its ideal share, the project's target. The shares
   * are bands of one limit under pressure (HIGH may fill 95% of it, NORMAL 80%), not strict
   * priority, so NORMAL takes some slots whenever in-flight dips below 80% of the limit, which
   * costs HIGH most where the limit is small: on a grid of sigma 0.2/0.5/0.8, 40/100/200 slots
   * and 5/10/20x, the lowest was 91% (40 slots, 10x).
   */
  @Property(tries = 12, seed = "16")
  void defaultsHoldAcrossTheFamily(@ForAll @DoubleRange(min = 0.2, max = 0.8) double sigma,
      @ForAll @IntRange(min = 40, max = 200) int slots,
      @ForAll @DoubleRange(min = 5, max = 20) double spike) {
    checkMember(sigma, slots, spike, 0.99, 0.9);
  }

  /**
   * Small backends, 20-40 slots, where the collapse point (1.5x the slots) is a few requests
   * above what the latency tolerance lets the limit reach. Before the bands opened at normal
   * load, LOW, refused at half the limit whenever in-flight peaked, pushed the limit to twice
   * the load's concurrency, above the collapse point of a 20-slot backend; a 20x spike then
   * found it there, collapsed the backend, and CRITICAL alone kept it collapsed (CRITICAL
   * 0.1% and 1.1% at 20 slots, 20x, sigma 0.2 and 0.5). Now CRITICAL gets at least 95% and the
   * load before and after the spike is served.
   *
   * <p>HIGH may stay below the 90% target here (asserted: 85%): at 10x its ideal is 100% with
   * its demand at 90% of capacity, and without queues its own arrivals overflow any limit such a
   * backend can take (see {@link #atTenTimesTheBandsKeepSmallBackendsForHigh}: 86-94%, 91% on
   * average, since the bands' squeeze; 80-91% before, when NORMAL took the slots HIGH needed at
   * its peaks, and the best fixed limit chosen in hindsight got 83-89%).
   */
  @Property(tries = 12, seed = "20")
  void smallBackendsKeepCriticalAndRecover(
      @ForAll @DoubleRange(min = 0.2, max = 0.8) double sigma,
      @ForAll @IntRange(min = 20, max = 40) int slots,
      @ForAll @DoubleRange(min = 5, max = 20) double spike) {
    checkMember(sigma, slots, spike, 0.95, 0.85);
  }

  /**
   * One member of the family, the median of seeds 1-3: CRITICAL at least {@code critical},
   * HIGH at least {@code highOfIdeal} of its ideal share, and 1x before and after at least 99%.
   */
  private static void checkMember(double sigma, int slots, double spike, double critical,
      double highOfIdeal) {
    OverloadScenario scenario = OverloadScenario.builder().sigma(sigma).slots(slots)
        .spike(spike).phases(8, 12, 12).build();
    double[] m = OverloadReport.medians(scenario, OverloadReport::defaults, 1, 3);
    String what = String.format("sigma %.2f slots %d spike %.1f: CRITICAL %.3f HIGH %.3f"
        + " (ideal %.3f) before %.3f after %.3f", sigma, slots, spike, m[0], m[1],
        scenario.idealDuringSpike(Priority.HIGH), m[5], m[4]);
    assertTrue(m[0] >= critical, what);
    assertTrue(m[1] >= highOfIdeal * scenario.idealDuringSpike(Priority.HIGH), what);
    assertTrue(m[4] >= 0.99, what);
    assertTrue(m[5] >= 0.99, what);
  }
}
