package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.budget.PoolBudget;
import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class ReplicaAdvisorProperties {

  private static ReplicaAdvisor oneSignal(double target, SignalScope scope, double[] value,
      int[] current, ManualClock clock) {
    Signal s = Signal.builder("load").targetPerPod(target)
        .perPod(() -> value[0]).clock(clock).build();
    if (scope == SignalScope.FLEET_TOTAL) {
      s = Signal.builder("load").targetPerPod(target).fleetTotal(() -> value[0]).clock(clock)
          .build();
    }
    return ReplicaAdvisor.builder("p").signal(s).currentReplicas(() -> current[0])
        .minReplicas(0).clock(clock).build();
  }

  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void monotoneInLoad(@ForAll @DoubleRange(min = 0, max = 1e6) double low,
      @ForAll @DoubleRange(min = 0, max = 1e6) double more,
      @ForAll @DoubleRange(min = 0.01, max = 1e4) double target,
      @ForAll @IntRange(min = 0, max = 500) int pods, @ForAll SignalScope scope) {
    ManualClock clock = new ManualClock();
    double[] value = {low};
    int[] current = {pods};
    int atLow = oneSignal(target, scope, value, current, clock).evaluate().desiredReplicas();
    value[0] = low + more;
    int atHigh = oneSignal(target, scope, value, current, clock).evaluate().desiredReplicas();
    assertTrue(atHigh >= atLow, atLow + " at " + low + " but " + atHigh + " at " + value[0]);
  }

  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void neverAboveTheBudgetCap(@ForAll @DoubleRange(min = 0, max = 1e7) double depth,
      @ForAll @IntRange(min = 1, max = 200) int budgetMaxReplicas,
      @ForAll @IntRange(min = 0, max = 400) int pods, @ForAll boolean open) {
    PoolBudget db = PoolBudget.builder().maxConnections(10_000)
        .service(PoolBudget.Service.builder("svc").maxReplicas(budgetMaxReplicas).build())
        .build();
    ReplicaAdvisor a = ReplicaAdvisor.builder("svc")
        .signal(Signal.fleetTotal("q", "messages", 10, () -> depth))
        .currentReplicas(() -> pods).minReplicas(1).database("db", db, "svc")
        .holdWhileOpen("dep", () -> open).build();
    ReplicaAdvice advice = a.evaluate();
    assertTrue(advice.desiredReplicas() <= budgetMaxReplicas, advice.toString());
    AdviceInvariants.check(advice, 1, Integer.MAX_VALUE, budgetMaxReplicas, open);
  }

  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void withinToleranceTheCountStays(@ForAll @IntRange(min = 1, max = 1000) int pods,
      @ForAll @DoubleRange(min = 0.01, max = 1e4) double target,
      @ForAll @DoubleRange(min = 0, max = 0.5) double tolerance,
      @ForAll @DoubleRange(min = -1, max = 1) double position, @ForAll SignalScope scope) {
    double perPod = target * (1 + position * tolerance);
    double value = scope == SignalScope.PER_POD ? perPod : perPod * pods;
    ManualClock clock = new ManualClock();
    Signal s = scope == SignalScope.PER_POD ? Signal.perPod("s", "x", target, () -> value)
        : Signal.fleetTotal("s", "x", target, () -> value);
    ReplicaAdvisor a = ReplicaAdvisor.builder("t").signal(s).currentReplicas(() -> pods)
        .tolerance(tolerance).clock(clock).build();
    assertEquals(pods, a.evaluate().desiredReplicas());
  }

  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void heldWhileOpen(@ForAll @DoubleRange(min = 0, max = 1e6) double depth,
      @ForAll @IntRange(min = 0, max = 300) int pods,
      @ForAll @IntRange(min = 0, max = 5) int min) {
    ReplicaAdvisor a = ReplicaAdvisor.builder("h")
        .signal(Signal.fleetTotal("q", "messages", 25, () -> depth))
        .currentReplicas(() -> pods).minReplicas(min).holdWhileOpen("dep", () -> true).build();
    ReplicaAdvice advice = a.evaluate();
    assertTrue(advice.desiredReplicas() <= Math.max(pods, min), advice.toString());
    AdviceInvariants.check(advice, min, Integer.MAX_VALUE, Integer.MAX_VALUE, true);
  }

  /** One step of a scenario: time passes, loads and pods change, a breaker flips. */
  record Step(int seconds, double depth, double waiting, int pods, boolean open) {}

  @Provide
  Arbitrary<List<Step>> scenarios() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.integers().between(0, 120),
        Arbitraries.doubles().between(0, 20_000).ofScale(1),
        Arbitraries.doubles().between(0, 60).ofScale(2),
        Arbitraries.integers().between(0, 120),
        Arbitraries.of(false, false, false, true))
        .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(60);
  }

  /**
   * Stabilisation honoured, checked step by step against the reference model of the HPA
   * controller (every recommendation kept, the window scanned in full), with bounds, a budget
   * cap and a hold: the advisor's sliding-window maximum gives the same advice at every step.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.MIXIN)
  void matchesTheHpaModelStepByStep(@ForAll("scenarios") List<Step> steps,
      @ForAll @IntRange(min = 0, max = 600) int windowSeconds,
      @ForAll @IntRange(min = 0, max = 4) int min,
      @ForAll @IntRange(min = 5, max = 150) int max,
      @ForAll @IntRange(min = 5, max = 150) int budgetMax) {
    ManualClock clock = new ManualClock();
    AtomicReference<Double> depth = new AtomicReference<>(0.0);
    AtomicReference<Double> waiting = new AtomicReference<>(0.0);
    AtomicInteger pods = new AtomicInteger();
    AtomicBoolean open = new AtomicBoolean();
    PoolBudget db = PoolBudget.builder().maxConnections(10_000)
        .service(PoolBudget.Service.builder("svc").maxReplicas(budgetMax).build()).build();
    ReplicaAdvisor a = ReplicaAdvisor.builder("svc")
        .signal(Signal.builder("q").targetPerPod(100).fleetTotal(depth::get).build())
        .signal(Signal.builder("w").targetPerPod(8).perPod(waiting::get).build())
        .currentReplicas(pods::get).minReplicas(min).maxReplicas(max)
        .scaleDownStabilization(Duration.ofSeconds(windowSeconds))
        .database("db", db, "svc").holdWhileOpen("dep", open::get).clock(clock).build();
    AdviceInvariants.HpaModel model = new AdviceInvariants.HpaModel(min, max, budgetMax,
        ReplicaAdvisor.DEFAULT_TOLERANCE, Duration.ofSeconds(windowSeconds).toNanos());
    for (Step s : steps) {
      clock.advance(Duration.ofSeconds(s.seconds()));
      depth.set(s.depth());
      waiting.set(s.waiting());
      pods.set(s.pods());
      open.set(s.open());
      ReplicaAdvice advice = a.evaluate();
      int expected = model.desired(clock.nanoTime(), s.pods(),
          new double[] {s.depth(), s.waiting()}, new double[] {100, 8},
          new SignalScope[] {SignalScope.FLEET_TOTAL, SignalScope.PER_POD}, s.open());
      assertEquals(expected, advice.desiredReplicas(), "at " + s + ": " + advice);
      AdviceInvariants.check(advice, min, max, budgetMax, s.open());
    }
  }

  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void proposalSaturatesInsteadOfOverflowing(
      @ForAll @DoubleRange(min = 1e12, max = 1e300) double value) {
    assertEquals(Integer.MAX_VALUE, Hpa.proposal(1000, value, 1e-3, SignalScope.PER_POD, 0.1));
    assertEquals(Integer.MAX_VALUE, Hpa.proposal(1000, value, 1e-3, SignalScope.FLEET_TOTAL,
        0.1));
  }
}
