package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ReadinessGateTest {

  @Test
  void notStartedUntilEveryWarmUpIsDone() {
    ReadinessGate gate = ReadinessGate.builder().warmUp("cache").warmUp("pool").build();
    assertEquals(List.of("warm-up cache pending", "warm-up pool pending"),
        gate.startup().reasons());
    assertFalse(gate.isReady());
    assertTrue(gate.liveness().ok());
    gate.done("cache");
    assertFalse(gate.isStarted());
    gate.done("pool");
    gate.done("pool");
    assertTrue(gate.isStarted());
    assertTrue(gate.isReady());
  }

  @Test
  void notReadyWhileAPoolBudgetIsExhaustedButStillLive() {
    AtomicBoolean exhausted = new AtomicBoolean();
    CircuitBreaker breaker = CircuitBreaker.builder("db").config(BreakerConfig.defaults())
        .build();
    ReadinessGate gate = ReadinessGate.builder()
        .notReadyWhen("db-pool-exhausted", exhausted::get).build();
    assertTrue(gate.isReady());
    exhausted.set(true);
    breaker.forceOpen();
    assertEquals(List.of("db-pool-exhausted"), gate.readiness().reasons());
    assertTrue(gate.liveness().ok(), "liveness never depends on a dependency");
    exhausted.set(false);
    assertTrue(gate.isReady());
  }

  @Test
  void notReadyWhileTheShedderRefusesMostAndReadyOnceItAdmitsAgain() {
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(2)).build();
    ReadinessGate gate = ReadinessGate.builder().shedderRefusingMost(shedder, 0.5).build();
    Permit held = shedder.tryAcquire(Priority.LOW);
    for (int i = 0; i < 30; i++) {
      assertFalse(shedder.tryAcquire(Priority.LOW).isAdmitted());
    }
    assertFalse(gate.isReady());
    // A few more refusals, too few to judge: the last answer stands.
    for (int i = 0; i < 5; i++) {
      shedder.tryAcquire(Priority.LOW);
    }
    assertFalse(gate.isReady());
    // No traffic at all (the load balancer took the pod out): ready, so it gets traffic back.
    assertTrue(gate.isReady());
    for (int i = 0; i < 30; i++) {
      shedder.tryAcquire(Priority.LOW);
    }
    assertFalse(gate.isReady());
    held.onSuccess();
    for (int i = 0; i < 30; i++) {
      shedder.tryAcquire(Priority.LOW).onSuccess();
    }
    assertTrue(gate.isReady());
    // Refusals below the fraction: still ready.
    Permit again = shedder.tryAcquire(Priority.LOW);
    for (int i = 0; i < 10; i++) {
      shedder.tryAcquire(Priority.LOW);
    }
    again.onSuccess();
    for (int i = 0; i < 20; i++) {
      shedder.tryAcquire(Priority.LOW).onSuccess();
    }
    assertTrue(gate.isReady());
  }

  @Test
  void undeclaredTaskIsRefusedWithItsName() {
    ReadinessGate gate = ReadinessGate.builder().warmUp("cache").build();
    assertEquals("task must be a declared warm-up task [cache] (was \"pool\")",
        assertThrows(IllegalArgumentException.class, () -> gate.done("pool")).getMessage());
  }
}
