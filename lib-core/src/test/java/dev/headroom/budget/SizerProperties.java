package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The guarantee of {@link PoolSizer}, checked against a model fleet ({@link ScalingSimulation})
 * with one real sizer per simulated pod: over random scaling sequences, boot times shorter and
 * longer than the count delay, drain times and per-pod count delays, the pools of the pods
 * holding connections never exceed the service's share at any tick.
 */
class SizerProperties {

  /**
   * A count of the pods that exist (the Kubernetes watch): any scaling sequence, changes as
   * often as every tick, counts above the declared maximum, any boot time, any hold window
   * (the default is 0 for such a count).
   */
  @Property(tries = 300)
  void aCountOfExistingPodsKeepsEveryFleetWithinTheShare(
      @ForAll @IntRange(min = 1, max = 12) int maxReplicas,
      @ForAll @IntRange(min = 0, max = 3) int surge,
      @ForAll @IntRange(min = 0, max = 8) int aboveDeclared,
      @ForAll @IntRange(min = 1, max = 2) int poolsPerPod,
      @ForAll @IntRange(min = 0, max = 150) int spare,
      @ForAll @IntRange(min = 0, max = 3) int staleness,
      @ForAll @IntRange(min = 0, max = 6) int bootMax,
      @ForAll @IntRange(min = 0, max = 6) int drain,
      @ForAll @IntRange(min = -1, max = 4) int holdWindow,
      @ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 1000) Integer> counts,
      @ForAll @Size(min = 20, max = 20) List<@IntRange(min = 1, max = 6) Integer> ticks,
      @ForAll long seed) {
    int most = maxReplicas + aboveDeclared;
    // Room for one connection per pool per pod however many pods exist at once: the running
    // ones, the draining ones and the surge.
    PoolBudget budget = budget(maxReplicas, surge, poolsPerPod,
        spare + poolsPerPod * (most + maxReplicas + aboveDeclared + surge));
    List<ScalingSimulation.Step> steps = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      steps.add(new ScalingSimulation.Step(1 + counts.get(i) % most, ticks.get(i)));
    }
    steps.add(new ScalingSimulation.Step(1 + counts.get(0) % most,
        drain + staleness + Math.max(0, holdWindow) + bootMax + 2));
    new ScalingSimulation(budget, "svc", ScalingSimulation.Kind.EXISTING, staleness, staleness,
        bootMax, drain, holdWindow < 0 ? null : Duration.ofSeconds(holdWindow), false, seed)
        .run(steps);
  }

  /**
   * A desired replica count (a scale subresource, an HPA's target): every count lasts longer
   * than the count delay, the hold window covers the drain, and the platform keeps the pods
   * within the declared maximum (condition 4 of the guarantee); any boot time.
   */
  @Property(tries = 300)
  void aDesiredCountKeepsEveryFleetWithinTheShare(
      @ForAll @IntRange(min = 1, max = 16) int maxReplicas,
      @ForAll @IntRange(min = 0, max = 4) int surge,
      @ForAll @IntRange(min = 1, max = 2) int poolsPerPod,
      @ForAll @IntRange(min = 0, max = 150) int spare,
      @ForAll @IntRange(min = 0, max = 3) int staleness,
      @ForAll @IntRange(min = 0, max = 6) int bootMax,
      @ForAll @IntRange(min = 0, max = 6) int drain,
      @ForAll @IntRange(min = 0, max = 3) int holdBeyondDrain,
      @ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 1000) Integer> counts,
      @ForAll @Size(min = 20, max = 20) List<@IntRange(min = 0, max = 6) Integer> extraTicks,
      @ForAll long seed) {
    PoolBudget budget = budget(maxReplicas, surge, poolsPerPod, spare);
    List<ScalingSimulation.Step> steps = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      // Each count lasts longer than the delay, as the HPA's 15 s period outlasts a poll.
      steps.add(new ScalingSimulation.Step(1 + counts.get(i) % maxReplicas,
          staleness + 1 + extraTicks.get(i)));
    }
    // The final steps let the window pass so that pools grow back and are checked grown.
    steps.add(new ScalingSimulation.Step(1 + counts.get(0) % maxReplicas,
        drain + holdBeyondDrain + staleness + bootMax + 2));
    int worst = new ScalingSimulation(budget, "svc", ScalingSimulation.Kind.DESIRED, staleness,
        staleness, bootMax, drain, Duration.ofSeconds(drain + holdBeyondDrain), true, seed)
        .run(steps);
    assertTrue(worst >= 1, "some pod held connections");
  }

  static PoolBudget budget(int maxReplicas, int surge, int poolsPerPod, int spare) {
    int floor = (maxReplicas + surge) * poolsPerPod;
    return PoolBudget.builder()
        .maxConnections(3 + floor + spare)
        .service(PoolBudget.Service.builder("svc").maxReplicas(maxReplicas).maxSurge(surge)
            .poolsPerPod(poolsPerPod).build())
        .build();
  }
}
