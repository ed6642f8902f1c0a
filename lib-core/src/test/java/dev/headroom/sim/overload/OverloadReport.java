package dev.headroom.sim.overload;

import dev.headroom.core.ManualClock;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.sim.overload.OverloadScenario.Phase;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The configurations the README's overload table compares, and medians over seeds. */
final class OverloadReport {

  private OverloadReport() {}

  static Map<String, Function<ManualClock, LoadShedder>> configurations() {
    Map<String, Function<ManualClock, LoadShedder>> all = new LinkedHashMap<>();
    all.put("nothing", clock -> null);
    all.put("fixed limit 60", clock -> LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.fixed(60)).build());
    all.put("AIMD, threshold 30 ms", clock -> LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.aimd().latencyThreshold(Duration.ofMillis(30)).build()).build());
    all.put("AIMD, threshold 60 ms", clock -> LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.aimd().latencyThreshold(Duration.ofMillis(60)).build()).build());
    all.put("AIMD, no threshold", clock -> LoadShedder.builder("sim").clock(clock)
        .limit(LimitPolicy.aimd().build()).build());
    all.put("Headroom defaults", OverloadReport::defaults);
    return all;
  }

  /** A shedder with every default but the simulation's clock. */
  static LoadShedder defaults(ManualClock clock) {
    return LoadShedder.builder("sim").clock(clock).build();
  }

  /** Medians over seeds of CRITICAL, HIGH, NORMAL, LOW during the spike and all after it. */
  static double[] medians(OverloadScenario scenario, Function<ManualClock, LoadShedder> factory,
      int fromSeed, int toSeed) {
    int n = toSeed - fromSeed + 1;
    double[][] values = new double[6][n];
    for (int s = fromSeed; s <= toSeed; s++) {
      OverloadScenario.Result r = scenario.run(s, factory);
      int i = s - fromSeed;
      for (Priority p : Priority.values()) {
        values[p.ordinal()][i] = r.goodput(Phase.SPIKE, p);
      }
      values[4][i] = r.goodput(Phase.AFTER);
      values[5][i] = r.goodput(Phase.BEFORE);
    }
    double[] medians = new double[6];
    for (int k = 0; k < 6; k++) {
      medians[k] = median(values[k]);
    }
    return medians;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static String table(OverloadScenario scenario, int fromSeed, int toSeed) {
    StringBuilder s = new StringBuilder();
    s.append("| configuration | CRITICAL | HIGH | NORMAL | LOW | 1x before | 1x after |\n");
    s.append("|---|---|---|---|---|---|---|\n");
    s.append(String.format("| ideal | %.1f%% | %.1f%% | %.1f%% | %.1f%% | 100%% | 100%% |%n",
        100 * scenario.idealDuringSpike(Priority.CRITICAL),
        100 * scenario.idealDuringSpike(Priority.HIGH),
        100 * scenario.idealDuringSpike(Priority.NORMAL),
        100 * scenario.idealDuringSpike(Priority.LOW)));
    for (Map.Entry<String, Function<ManualClock, LoadShedder>> e : configurations().entrySet()) {
      double[] m = medians(scenario, e.getValue(), fromSeed, toSeed);
      s.append(String.format("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |%n",
          e.getKey(), 100 * m[0], 100 * m[1], 100 * m[2], 100 * m[3], 100 * m[5],
          100 * m[4]));
    }
    return s.toString();
  }

  public static void main(String[] args) {
    OverloadScenario scenario = OverloadScenario.builder().build();
    int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    System.out.println(table(scenario, 1, seeds));
    System.out.println(scenario.run(1, OverloadReport::defaults));
  }
}
