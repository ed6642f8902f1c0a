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
 * The safe resizing rule of {@link PoolSizer}, checked over random scaling sequences, pod
 * start-up and drain times, and per-pod observation delays: the pools of the pods holding
 * connections never exceed the service's share at any tick.
 */
class SizerProperties {

  @Property(tries = 200)
  void poolsOfAllPodsStayWithinTheShareAtEveryTick(
      @ForAll @IntRange(min = 1, max = 16) int maxReplicas,
      @ForAll @IntRange(min = 0, max = 4) int surge,
      @ForAll @IntRange(min = 1, max = 2) int poolsPerPod,
      @ForAll @IntRange(min = 0, max = 150) int spare,
      @ForAll @IntRange(min = 0, max = 3) int staleness,
      @ForAll @IntRange(min = 0, max = 3) int startupBeyondStaleness,
      @ForAll @IntRange(min = 0, max = 6) int drain,
      @ForAll @IntRange(min = 0, max = 3) int holdBeyondDrain,
      @ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 1000) Integer> counts,
      @ForAll @Size(min = 20, max = 20) List<@IntRange(min = 0, max = 6) Integer> extraTicks,
      @ForAll long seed) {
    PoolBudget budget = budget(maxReplicas, surge, poolsPerPod, spare);
    List<ScalingSimulation.Step> steps = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      // Each count lasts longer than the staleness, as the HPA's 15 s period outlasts a poll.
      steps.add(new ScalingSimulation.Step(1 + counts.get(i) % maxReplicas,
          staleness + 1 + extraTicks.get(i)));
    }
    // The final steps let the window pass so that pools grow back and are checked grown.
    steps.add(new ScalingSimulation.Step(1 + counts.get(0) % maxReplicas,
        drain + holdBeyondDrain + staleness + 2));
    int worst = new ScalingSimulation(budget, "svc", staleness, staleness + startupBeyondStaleness,
        drain, Duration.ofSeconds(drain + holdBeyondDrain), seed).run(steps);
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
