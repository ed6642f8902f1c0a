package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ReplicaAdvisorTest {

  final ManualClock clock = new ManualClock();
  final AtomicInteger pods = new AtomicInteger(5);
  final AtomicReference<Double> depth = new AtomicReference<>(0.0);
  final AtomicReference<Double> waiting = new AtomicReference<>(0.0);
  final Signal queue = Signal.builder("remittance-queue").unit("messages").targetPerPod(100)
      .fleetTotal(depth::get).clock(clock).build();
  final Signal perPod = Signal.builder("api-waiting").unit("requests").targetPerPod(10)
      .perPod(waiting::get).clock(clock).build();

  ReplicaAdvisor.Builder advisor() {
    return ReplicaAdvisor.builder("remittance").signal(queue).currentReplicas(pods::get)
        .clock(clock);
  }

  @Test
  void fleetTotalAsksForCeilOfValueOverTarget() {
    ReplicaAdvisor a = advisor().build();
    depth.set(4_200.0);
    ReplicaAdvice advice = a.evaluate();
    assertEquals(42, advice.desiredReplicas());
    assertEquals(42, advice.recommendedReplicas());
    assertEquals(5, advice.currentReplicas());
    assertSame(ReplicaAdvice.Limit.SIGNALS, advice.limitedBy());
    assertEquals("scale out from 5 to 42 pods: 'remittance-queue' reads 4200 messages, target"
        + " 100 per pod", advice.reason());
    depth.set(4_201.0);
    assertEquals(43, a.evaluate().desiredReplicas());
  }

  @Test
  void perPodReadingAsksForCeilOfCurrentTimesValueOverTarget() {
    ReplicaAdvisor a = ReplicaAdvisor.builder("api").signal(perPod).currentReplicas(pods::get)
        .clock(clock).build();
    waiting.set(25.0);
    ReplicaAdvice advice = a.evaluate();
    assertEquals(13, advice.desiredReplicas(), "ceil(5 x 25 / 10)");
    assertEquals("scale out from 5 to 13 pods: 'api-waiting' reads 25 requests per pod, target"
        + " 10 per pod", advice.reason());
  }

  @Test
  void withinToleranceTheCountStays() {
    ReplicaAdvisor a = advisor().scaleDownStabilization(Duration.ZERO).build();
    depth.set(550.0); // ratio 1.1: within 0.1
    assertEquals(5, a.evaluate().desiredReplicas());
    assertEquals("steady at 5 pods: 'remittance-queue' reads 550 messages, target 100 per pod",
        a.latest().reason());
    depth.set(451.0); // ratio 0.902
    assertEquals(5, a.evaluate().desiredReplicas());
    depth.set(449.0); // ratio 0.898: outside
    assertEquals(5, a.evaluate().desiredReplicas(), "ceil(4.49) = 5 all the same");
    depth.set(390.0);
    assertEquals(4, a.evaluate().desiredReplicas());
    depth.set(551.0);
    assertEquals(6, a.evaluate().desiredReplicas());
  }

  @Test
  void theMaximumOverSignalsWins() {
    ReplicaAdvisor a = advisor().signal(perPod).build();
    depth.set(800.0); // 8
    waiting.set(30.0); // ceil(5 x 3) = 15
    ReplicaAdvice advice = a.evaluate();
    assertEquals(15, advice.desiredReplicas());
    assertEquals(8, advice.proposals().get(0).replicas());
    assertEquals(15, advice.proposals().get(1).replicas());
    assertTrue(advice.reason().contains("'api-waiting'"), advice.reason());
  }

  @Test
  void scaleDownIsStabilisedOverTheWindowAndScaleUpIsImmediate() {
    ReplicaAdvisor a = advisor().build(); // 300 s
    pods.set(40);
    depth.set(4_000.0);
    assertEquals(40, a.evaluate().desiredReplicas());
    clock.advance(Duration.ofSeconds(60));
    depth.set(1_000.0);
    ReplicaAdvice held = a.evaluate();
    assertEquals(40, held.desiredReplicas());
    assertEquals(10, held.recommendedReplicas());
    assertSame(ReplicaAdvice.Limit.STABILIZATION, held.limitedBy());
    assertEquals("scale-in from 40 to 10 held at 40 pods: the highest recommendation within the"
        + " 300 s stabilisation window", held.reason());
    clock.advance(Duration.ofSeconds(120));
    depth.set(2_000.0); // 20, recorded at t = 180
    assertEquals(40, a.evaluate().desiredReplicas());
    clock.advance(Duration.ofSeconds(120)); // t = 300: the 40 recorded at t = 0 has left
    depth.set(1_000.0);
    ReplicaAdvice stepped = a.evaluate();
    assertEquals(20, stepped.desiredReplicas(), "the highest of the last 300 s is now 20");
    pods.set(20);
    clock.advance(Duration.ofSeconds(181)); // the 20 from t = 180 has left
    assertEquals(10, a.evaluate().desiredReplicas());
    pods.set(10);
    depth.set(9_000.0);
    assertEquals(90, a.evaluate().desiredReplicas(), "scale-up ignores the window");
  }

  @Test
  void aZeroWindowScalesInAtOnce() {
    ReplicaAdvisor a = advisor().scaleDownStabilization(Duration.ZERO).build();
    pods.set(40);
    depth.set(4_000.0);
    a.evaluate();
    depth.set(1_000.0);
    assertEquals(10, a.evaluate().desiredReplicas());
  }

  @Test
  void minAndMaxReplicasBound() {
    ReplicaAdvisor a = advisor().minReplicas(2).maxReplicas(30)
        .scaleDownStabilization(Duration.ZERO).build();
    depth.set(0.0);
    ReplicaAdvice low = a.evaluate();
    assertEquals(2, low.desiredReplicas());
    assertEquals("raised to minReplicas 2 (signals ask for 0)", low.reason());
    depth.set(6_000.0);
    ReplicaAdvice high = a.evaluate();
    assertEquals(30, high.desiredReplicas());
    assertSame(ReplicaAdvice.Limit.MAX_REPLICAS, high.limitedBy());
    assertEquals("capped at maxReplicas 30 (signals ask for 60)", high.reason());
  }

  @Test
  void theDatabaseBudgetCapsTheAdvice() {
    PoolBudget enrollmentDb = PoolBudget.builder().maxConnections(500)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(38).maxSurgePercent(25)
            .build())
        .build();
    PoolBudget ledgerDb = PoolBudget.builder().maxConnections(200)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(50).build())
        .service(PoolBudget.Service.builder("ledger").maxReplicas(20).build())
        .build();
    ReplicaAdvisor a = advisor().database("ledger-db", ledgerDb, "remittance")
        .database("enrollment-db", enrollmentDb, "remittance").build();
    depth.set(6_000.0);
    ReplicaAdvice advice = a.evaluate();
    assertEquals(38, advice.desiredReplicas());
    assertEquals(60, advice.recommendedReplicas());
    assertTrue(advice.capped());
    assertEquals("capped by database budget 'enrollment-db' at 38 pods (signals ask for 60)",
        advice.reason());
    assertEquals(38, a.databaseCap());
    depth.set(3_000.0);
    assertFalse(a.evaluate().capped());
  }

  @Test
  void anOpenBreakerHoldsScaleOutAndReleasesWhenItRamps() {
    CircuitBreaker eligibility = CircuitBreaker.builder("eligibility").consecutiveFailures(5)
        .openDuration(Duration.ofSeconds(10)).openJitter(0).clock(clock).build();
    ReplicaAdvisor a = advisor().holdWhileOpen(eligibility).build();
    for (int i = 0; i < 5; i++) {
      eligibility.onFailure(eligibility.tryAcquire(), 1_000_000, new RuntimeException("down"));
    }
    assertEquals(BreakerState.OPEN, eligibility.state());
    depth.set(6_000.0);
    ReplicaAdvice held = a.evaluate();
    assertEquals(5, held.desiredReplicas());
    assertTrue(held.held());
    assertEquals(60, held.recommendedReplicas());
    assertEquals("held: breaker 'eligibility' open (signals ask for 60, keeping 5)",
        held.reason());
    clock.advance(Duration.ofSeconds(11)); // the ramp starts: half-open
    assertEquals(BreakerState.HALF_OPEN, eligibility.state());
    assertEquals(60, a.evaluate().desiredReplicas());
  }

  @Test
  void aHoldNeverPreventsScaleInAndNamesEveryOpenDependency() {
    ReplicaAdvisor a = advisor().holdWhileOpen("payments", () -> true)
        .holdWhileOpen("fraud", () -> true).scaleDownStabilization(Duration.ZERO).build();
    depth.set(6_000.0);
    assertEquals("held: breakers 'payments', 'fraud' open (signals ask for 60, keeping 5)",
        a.evaluate().reason());
    depth.set(200.0);
    assertEquals(2, a.evaluate().desiredReplicas());
  }

  @Test
  void aMissingReadingBlocksScaleInButNotScaleOut() {
    AtomicReference<Double> broken = new AtomicReference<>(Double.NaN);
    Signal flaky = Signal.perPod("flaky", "requests", 10, broken::get);
    ReplicaAdvisor a = advisor().signal(flaky).scaleDownStabilization(Duration.ZERO).build();
    depth.set(100.0); // asks for 1
    ReplicaAdvice kept = a.evaluate();
    assertEquals(5, kept.desiredReplicas());
    assertSame(ReplicaAdvice.Limit.MISSING_READING, kept.limitedBy());
    assertEquals("scale-in skipped: no valid reading from 'flaky' (signals ask for 1, keeping"
        + " 5 pods)", kept.reason());
    assertFalse(kept.proposals().get(1).valid());
    depth.set(1_000.0);
    assertEquals(10, a.evaluate().desiredReplicas());

    ReplicaAdvisor onlyFlaky = ReplicaAdvisor.builder("x").signal(flaky)
        .currentReplicas(pods::get).build();
    assertEquals("no valid reading from 'flaky': keeping 5 pods", onlyFlaky.evaluate().reason());
  }

  @Test
  void anUnknownPodCountKeepsTheLastAdvice() {
    ReplicaAdvisor a = ReplicaAdvisor.builder("r").signal(queue)
        .currentReplicas(PodCountSource.fixed(5)).clock(clock).build();
    depth.set(700.0);
    assertEquals(7, a.evaluate().desiredReplicas());
    AtomicInteger known = new AtomicInteger(5);
    ReplicaAdvisor flaky = ReplicaAdvisor.builder("r").signal(queue)
        .currentReplicas(known::get).clock(clock).build();
    assertEquals(7, flaky.evaluate().desiredReplicas());
    known.set(-1);
    depth.set(9_000.0);
    ReplicaAdvice kept = flaky.evaluate();
    assertEquals(7, kept.desiredReplicas(), "the last advice, not a guess");
    assertEquals(-1, kept.currentReplicas());
    assertEquals("pod count unknown: keeping 7 pods", kept.reason());
    ReplicaAdvisor unknown = ReplicaAdvisor.builder("r").signal(queue)
        .currentReplicas(() -> -1).clock(clock).minReplicas(3).build();
    ReplicaAdvice first = unknown.evaluate();
    assertEquals(3, first.desiredReplicas());
    assertSame(ReplicaAdvice.Limit.UNKNOWN_PODS, first.limitedBy());
    assertEquals("pod count unknown: keeping 3 pods", first.reason());
  }

  @Test
  void latestEvaluatesAtMostOncePerInterval() {
    ReplicaAdvisor a = advisor().evaluationInterval(Duration.ofSeconds(15)).build();
    depth.set(1_000.0);
    ReplicaAdvice first = a.latest();
    depth.set(2_000.0);
    clock.advance(Duration.ofSeconds(14));
    assertSame(first, a.latest());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(20, a.latest().desiredReplicas());
    assertEquals(2, a.evaluationCount());
  }

  @Test
  void metersReadTheLatestAdvice() {
    PoolBudget db = PoolBudget.builder().maxConnections(500)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(38).build()).build();
    ReplicaAdvisor a = advisor().database("db", db, "remittance").build();
    RecordingMeterSink sink = new RecordingMeterSink();
    a.describeMeters(sink);
    depth.set(6_000.0);
    assertEquals(38.0, sink.value("headroom.advice.desired_replicas", "name", "remittance"));
    assertEquals(60.0, sink.value("headroom.advice.recommended_replicas", "name", "remittance"));
    assertEquals(5.0, sink.value("headroom.advice.current_replicas", "name", "remittance"));
    assertEquals(38.0, sink.value("headroom.advice.cap_replicas", "name", "remittance"));
    assertEquals(1.0, sink.value("headroom.advice.capped", "name", "remittance"));
    assertEquals(0.0, sink.value("headroom.advice.held", "name", "remittance"));
    assertEquals(1.0, sink.value("headroom.advice.evaluations", "name", "remittance"));
  }

  @Test
  void badConfigurationFailsWithTheSharedMessage() {
    assertEquals("minReplicas must be <= maxReplicas 3 (was 5)",
        assertThrows(IllegalArgumentException.class,
            () -> advisor().minReplicas(5).maxReplicas(3).build()).getMessage());
    assertEquals("scaleDownStabilization must be >= 0 (was PT-1S)",
        assertThrows(IllegalArgumentException.class,
            () -> advisor().scaleDownStabilization(Duration.ofSeconds(-1))).getMessage());
    assertEquals("tolerance must be in [0, 1) (was 1)",
        assertThrows(IllegalArgumentException.class, () -> advisor().tolerance(1.0))
            .getMessage());
    assertEquals("maxReplicas must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class, () -> advisor().maxReplicas(0))
            .getMessage());
    PoolBudget db = PoolBudget.builder().maxConnections(100)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(4).build()).build();
    assertEquals("minReplicas must be <= the 4 pods database budget 'db' allows (was 6)",
        assertThrows(IllegalArgumentException.class,
            () -> advisor().minReplicas(6).database("db", db, "remittance").build())
            .getMessage());
    assertEquals("service must be one of [remittance] (was \"orders\")",
        assertThrows(IllegalArgumentException.class,
            () -> advisor().database("db", db, "orders")).getMessage());
    assertEquals("signals must be added with signal(...)",
        assertThrows(IllegalStateException.class,
            () -> ReplicaAdvisor.builder("x").currentReplicas(() -> 1).build()).getMessage());
    assertEquals("currentReplicas must be set with currentReplicas(...)",
        assertThrows(IllegalStateException.class,
            () -> ReplicaAdvisor.builder("x").signal(queue).build()).getMessage());
    assertThrows(IllegalStateException.class, () -> advisor().signal(queue));
  }
}
