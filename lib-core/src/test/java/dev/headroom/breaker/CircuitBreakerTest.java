package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final RecordingListener listener = new RecordingListener();

  /**
   * Consecutive failures only (the rate rule off), no jitter, ramp 1%, 10%, 50%, 100% with steps
   * of 1 s and 2 probes, a probe interval of 500 ms.
   */
  private CircuitBreaker.Builder base(String name) {
    return base(name, 2);
  }

  /** As {@link #base(String)}, with {@code probes} judged probes per ramp step. */
  private CircuitBreaker.Builder base(String name, int probes) {
    return CircuitBreaker.builder(name).clock(clock).openJitter(0).failureRateThreshold(0)
        .openDuration(Duration.ofSeconds(5)).rampStep(Duration.ofSeconds(1), probes)
        .rampSteps(0.01, 0.1, 0.5, 1.0).probeInterval(Duration.ofMillis(500))
        .slowCallThreshold(Duration.ofMillis(100)).listener(listener);
  }

  private static void succeed(CircuitBreaker b, int n) {
    for (int i = 0; i < n; i++) {
      long permit = b.tryAcquire();
      assertNotEquals(CircuitBreaker.REJECTED, permit);
      b.onSuccess(permit, MS);
    }
  }

  private static void fail(CircuitBreaker b, int n) {
    for (int i = 0; i < n; i++) {
      long permit = b.tryAcquire();
      assertNotEquals(CircuitBreaker.REJECTED, permit);
      b.onFailure(permit, MS, new IOException("boom"));
    }
  }

  /** The rate rules at their defaults, otherwise as {@link #base(String)}. */
  private CircuitBreaker.Builder rateBase(String name) {
    return CircuitBreaker.builder(name).clock(clock).openJitter(0)
        .openDuration(Duration.ofSeconds(5)).rampStep(Duration.ofSeconds(1), 2)
        .rampSteps(0.01, 0.1, 0.5, 1.0).probeInterval(Duration.ofMillis(500))
        .slowCallThreshold(Duration.ofMillis(100)).listener(listener);
  }

  /** Offers calls until one is admitted as a probe, and completes it. */
  private static void probe(CircuitBreaker b, boolean failure) {
    for (int i = 0; i < 100_000; i++) {
      long permit = b.tryAcquire();
      if (permit != CircuitBreaker.REJECTED) {
        if (failure) {
          b.onFailure(permit, MS, new IOException("probe failed"));
        } else {
          b.onSuccess(permit, MS);
        }
        return;
      }
    }
    throw new AssertionError("no probe admitted in 100000 arrivals: " + b);
  }

  /** Offers {@code n} calls; admitted ones succeed (or fail). Returns how many were admitted. */
  private static int offer(CircuitBreaker b, int n, boolean failAdmitted) {
    int admitted = 0;
    for (int i = 0; i < n; i++) {
      long permit = b.tryAcquire();
      if (permit != CircuitBreaker.REJECTED) {
        admitted++;
        if (failAdmitted) {
          b.onFailure(permit, MS, new IOException("still down"));
        } else {
          b.onSuccess(permit, MS);
        }
      }
    }
    return admitted;
  }

  @Test
  void startsClosedAndAdmitsEverything() {
    CircuitBreaker b = base("db").build();
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(1.0, b.admittedFraction());
    succeed(b, 100);
    assertEquals(100, b.successCount());
    BreakerInvariants.check(b);
  }

  @Test
  void opensAfterFiveConsecutiveFailuresAndRejectsWithoutCalling() throws Exception {
    CircuitBreaker b = base("replica-db").build();
    fail(b, 4);
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1);
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(0.0, b.admittedFraction());
    assertEquals(Duration.ofSeconds(5), b.remainingOpen());
    assertEquals(CircuitBreaker.REJECTED, b.tryAcquire());

    AtomicInteger calls = new AtomicInteger();
    clock.advance(Duration.ofMillis(800));
    CallNotPermittedException e = assertThrows(CallNotPermittedException.class,
        () -> b.call(calls::incrementAndGet));
    assertEquals(0, calls.get());
    assertEquals("breaker 'replica-db' is OPEN, rejecting calls for another 4.2 s",
        e.getMessage());
    assertEquals(BreakerState.OPEN, e.state());
    assertEquals("breaker", e.component());
    assertEquals("replica-db", e.name());
    assertEquals(Duration.ofMillis(4200), e.retryAfter());
    assertEquals(0, e.getStackTrace().length);
    assertEquals(2, b.rejectedCount());
    assertEquals(List.of("CLOSED>OPEN"), listener.transitions());
    BreakerInvariants.check(b);
  }

  @Test
  void aSuccessInBetweenResetsTheConsecutiveCount() {
    CircuitBreaker b = base("db").build();
    for (int round = 0; round < 10; round++) {
      fail(b, 4);
      succeed(b, 1);
    }
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(40, b.failureCount());
  }

  @Test
  void rampAdmitsAGrowingFractionThenCloses() {
    CircuitBreaker b = base("db").build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    assertEquals(BreakerState.HALF_OPEN, b.state());
    assertEquals(0.01, b.admittedFraction());
    assertEquals(1, offer(b, 100, false)); // 1% of 100 arrivals, the first one
    assertEquals(0, b.rampStep());
    assertEquals(99, b.rejectedCount());
    // The 101st: the step's second healthy probe passes it early (no time has passed).
    assertEquals(1, offer(b, 1, false));
    assertEquals(0.1, b.admittedFraction());
    assertEquals(1, offer(b, 10, false)); // 10%: the 1st of 10
    assertEquals(0.1, b.admittedFraction());
    assertEquals(1, offer(b, 1, false)); // the 11th, the second probe
    assertEquals(0.5, b.admittedFraction());
    assertEquals(1, offer(b, 2, false));
    assertEquals(1, offer(b, 1, false));
    assertEquals(1.0, b.admittedFraction());
    assertEquals(BreakerState.HALF_OPEN, b.state());
    assertEquals(100, offer(b, 100, false)); // closes on its second probe
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(List.of("CLOSED>OPEN", "OPEN>HALF_OPEN", "step 1 @ 0.1", "step 2 @ 0.5",
        "step 3 @ 1.0", "HALF_OPEN>CLOSED"), listener.events());
    BreakerInvariants.check(b);
  }

  @Test
  void highTrafficPassesAHealthyRampEarlyButAFailingStepWaitsForItsTime() {
    CircuitBreaker b = base("db", 4).build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    int admitted = offer(b, 2000, false); // healthy probes: every step passes on evidence
    assertEquals(BreakerState.CLOSED, b.state());
    assertTrue(admitted < 2000 && admitted > 1000, "admitted " + admitted);

    // A step whose own probes fail half the time passes neither early nor before its time.
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 4; i++) {
      probe(b, false); // step 0 passes early
    }
    assertEquals(1, b.rampStep());
    probe(b, true);
    probe(b, false);
    probe(b, true);
    probe(b, false); // 2 of 4 failed: at the threshold, not confidently above it
    assertEquals(1, b.rampStep(), "no early pass");
    assertEquals(BreakerState.HALF_OPEN, b.state());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, b.rampStep(), "no pass on time either");
    probe(b, false); // 2 of 5
    assertEquals(2, b.rampStep(), "passes once under the threshold after its time");
  }

  @Test
  void lowTrafficStillMakesProgress() {
    // 1% ramp and one call every 600 ms: the fraction alone would admit 1 call in 100.
    CircuitBreaker b = base("db").build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    int admitted = 0;
    for (int i = 0; i < 40 && b.state() != BreakerState.CLOSED; i++) {
      admitted += offer(b, 1, false);
      clock.advance(Duration.ofMillis(600));
    }
    assertEquals(BreakerState.CLOSED, b.state());
    // Probe interval 500 ms, so every 600 ms arrival is admitted.
    assertTrue(admitted >= 8, "admitted " + admitted);
  }

  @Test
  void aFailingStepReopensWithBackoffThenAFullRecoveryResetsIt() {
    CircuitBreaker b = base("db").relapseBackoff(2.0, Duration.ofSeconds(15)).build();
    fail(b, 5);
    assertEquals(Duration.ofSeconds(5), b.remainingOpen());
    clock.advance(Duration.ofSeconds(5));
    assertEquals(BreakerState.HALF_OPEN, b.state());
    // Still down: step 0 restarts in place, refusing most calls, with no new events.
    int admitted = offer(b, 5000, true);
    assertTrue(admitted < 500, "admitted " + admitted);
    assertEquals(BreakerState.HALF_OPEN, b.state());
    assertEquals(0, b.rampStep());
    assertEquals(0, b.relapses());
    assertEquals(List.of("CLOSED>OPEN", "OPEN>HALF_OPEN"), listener.events());
    probe(b, false); // the first success after failures moves to step 1 (answered in 1 ms)
    assertEquals(1, b.rampStep());
    clock.advance(Duration.ofMillis(2));
    for (int i = 0; i < 4; i++) {
      probe(b, true);
    }
    // 4 of 4 failed: the continuity-corrected bound (0.465) does not exceed one half.
    assertEquals(BreakerState.HALF_OPEN, b.state());
    probe(b, true); // 5 of 5 failed (0.533), and no success: backoff grows
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(1, b.relapses());
    assertEquals(Duration.ofSeconds(10), b.remainingOpen());
    CallNotPermittedException e = b.rejection();
    assertEquals("breaker 'db' is OPEN, rejecting calls for another 10.0 s (relapse 1)",
        e.getMessage());
    clock.advance(Duration.ofSeconds(10));
    probe(b, false);
    probe(b, false); // step 0 passes early; its probes answered in 1 ms
    assertEquals(1, b.rampStep());
    for (int i = 0; i < 5; i++) {
      probe(b, true);
    }
    // Fast failures before an answer had time to arrive: no evidence either way.
    assertEquals(2, b.relapses());
    assertEquals(Duration.ofSeconds(10), b.remainingOpen());
    clock.advance(Duration.ofSeconds(10));
    probe(b, false);
    probe(b, false);
    assertEquals(1, b.rampStep());
    clock.advance(Duration.ofMillis(2)); // twice the answers' 1 ms: nothing answered in it
    for (int i = 0; i < 5; i++) {
      probe(b, true);
    }
    assertEquals(3, b.relapses());
    assertEquals(Duration.ofSeconds(15), b.remainingOpen()); // 20 s capped at 15 s
    clock.advance(Duration.ofSeconds(15));
    // A step where a probe answered relapses a level down: the dependency answers some calls.
    probe(b, false);
    for (int i = 0; i < 7; i++) {
      probe(b, true); // 7 of 8 failed: the corrected bound is 0.522
    }
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(4, b.relapses());
    assertEquals(Duration.ofSeconds(10), b.remainingOpen());

    // Recovery: the whole ramp passes and the next trip is back to the base duration.
    clock.advance(Duration.ofSeconds(10));
    for (int i = 0; i < 4; i++) {
      offer(b, 100, false);
      clock.advance(Duration.ofSeconds(1));
    }
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(0, b.relapses());
    fail(b, 5);
    assertEquals(Duration.ofSeconds(5), b.remainingOpen());
    BreakerInvariants.checkSequence(listener.transitions(), false);
  }

  @Test
  void regressionAStepWhereMostProbesFailRelapsesWithoutARateRule() {
    // Consecutive failures only (5): probes alternating fail, fail, success never make a run of
    // five, yet two thirds of them fail. The ramp must not pass such a step, although the
    // healthy probes of step 0 count in its cumulative evidence.
    CircuitBreaker b = base("db", 6).build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    assertEquals(BreakerState.HALF_OPEN, b.state());
    for (int i = 0; i < 6; i++) {
      probe(b, false);
    }
    assertEquals(1, b.rampStep());
    int judged = 0;
    for (int i = 0; b.state() == BreakerState.HALF_OPEN && i < 100_000; i++) {
      long permit = b.tryAcquire();
      if (permit != CircuitBreaker.REJECTED) {
        if (judged % 3 == 2) {
          b.onSuccess(permit, MS);
        } else {
          b.onFailure(permit, MS, new IOException("flaky"));
        }
        judged++;
      }
    }
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(1, b.relapses());
    assertTrue(judged >= 6 && judged < 60, "judged " + judged);
    assertEquals(Duration.ofSeconds(5), b.remainingOpen(), "probes succeeded: no backoff");
  }

  @Test
  void aStepWithAMinorityOfFailedProbesPasses() {
    CircuitBreaker b = base("db", 4).build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    int judged = 0;
    for (int i = 0; judged < 4 && i < 100_000; i++) {
      long permit = b.tryAcquire();
      if (permit != CircuitBreaker.REJECTED) {
        if (judged == 0) {
          b.onFailure(permit, MS, new IOException("one blip"));
        } else {
          b.onSuccess(permit, MS);
        }
        judged++;
      }
    }
    clock.advance(Duration.ofSeconds(1));
    assertEquals(BreakerState.HALF_OPEN, b.state());
    assertEquals(0, b.relapses());
    assertEquals(0.1, b.admittedFraction());
  }

  @Test
  void jitterStaysWithinItsBoundsAndTheCap() {
    CircuitBreaker b = CircuitBreaker.builder("db").clock(clock).openJitter(0.2)
        .openDuration(Duration.ofSeconds(10)).relapseBackoff(2.0, Duration.ofSeconds(25))
        .build();
    for (int i = 0; i < 1000; i++) {
      long d0 = b.openNanosFor(0);
      assertTrue(d0 >= 8_000 * MS && d0 <= 12_000 * MS, "relapse 0: " + d0);
      long d2 = b.openNanosFor(2); // 40 s capped to 25 s, then jittered and capped again
      assertTrue(d2 >= 20_000 * MS && d2 <= 25_000 * MS, "relapse 2: " + d2);
    }
  }

  @Test
  void failureRateTripsOnlyWithMinimumCalls() {
    CircuitBreaker b = rateBase("db").consecutiveFailures(0).failureRateThreshold(0.5)
        .minimumCalls(10).window(Duration.ofSeconds(10), 10).build();
    // 4 failures, 4 successes, interleaved: rate 50% but only 8 calls.
    for (int i = 0; i < 4; i++) {
      fail(b, 1);
      succeed(b, 1);
    }
    assertEquals(BreakerState.CLOSED, b.state());
    succeed(b, 1); // 9 calls, 4 failures
    fail(b, 1); // 10 calls, 5 failures: 50%, but not with confidence
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 10); // 20 calls, 15 failures: the Wilson lower bound (z 2.326) is 0.490
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1); // 21 calls, 16 failures: 0.508
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void theContinuityCorrectedBoundTakesFiveFailuresOfFiveToExceedOneHalf() {
    double z = BreakerConfig.RELAPSE_Z;
    assertTrue(CircuitBreaker.wilsonLower(3, 3, z) > 0.5, "the plain bound: 3 of 3 exceeds");
    assertTrue(CircuitBreaker.wilsonLowerCorrected(3, 3, z) < 0.5);
    assertTrue(CircuitBreaker.wilsonLowerCorrected(4, 4, z) < 0.5);
    assertTrue(CircuitBreaker.wilsonLowerCorrected(5, 5, z) > 0.5);
    assertTrue(CircuitBreaker.wilsonLowerCorrected(6, 7, z) < 0.5);
    assertTrue(CircuitBreaker.wilsonLowerCorrected(7, 8, z) > 0.5);
    assertEquals(0.0, CircuitBreaker.wilsonLowerCorrected(0, 10, z));
    assertEquals(0.0, CircuitBreaker.wilsonLowerCorrected(3, 0, z));
    // Never above the plain bound: the correction only widens the interval.
    for (int n = 1; n <= 40; n++) {
      for (int k = 1; k <= n; k++) {
        assertTrue(CircuitBreaker.wilsonLowerCorrected(k, n, z)
            <= CircuitBreaker.wilsonLower(k, n, z) + 1e-12, k + " of " + n);
      }
    }
  }

  @Test
  void theRunThatTripsAtLowVolumeGrowsWithTheFailuresBeforeIt() {
    assertEquals(5, SlidingWindow.runNeeded(30, 5, 5, 5), "no failure before the run");
    assertEquals(5, SlidingWindow.runNeeded(25, 6, 5, 5), "1 in 20 failed before it");
    assertEquals(12, SlidingWindow.runNeeded(32, 21, 12, 5), "9 in 20 (45%) failed before it");
    assertEquals(15, SlidingWindow.runNeeded(35, 29, 15, 5), "70%: capped at three times 5");
    assertEquals(15, SlidingWindow.runNeeded(25, 25, 5, 5), "all failed: the cap");
    assertEquals(5, SlidingWindow.runNeeded(5, 5, 5, 5), "nothing before the run");
    assertEquals(Integer.MAX_VALUE, SlidingWindow.runNeeded(100, 90, 10, Integer.MAX_VALUE),
        "never below the configured run, without overflow");
  }

  @Test
  void atLowVolumeARunIsJudgedByTheNewestCallsBeforeIt() {
    // 200 calls needed for a rate: 120 calls in the window is low volume, where a run trips.
    CircuitBreaker b = rateBase("db").minimumCalls(200).window(Duration.ofSeconds(10), 10)
        .build();
    succeed(b, 80); // a long healthy history
    clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 20; i++) { // then 9 in 20 fail (45%), the last one answers
      if (i % 2 == 0 && i < 18) {
        fail(b, 1);
      } else {
        succeed(b, 1);
      }
    }
    clock.advance(Duration.ofSeconds(1));
    fail(b, 5); // the whole window says 9 in 100 (run of 5 needed), the newest 20 say 45%
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 6);
    assertEquals(BreakerState.CLOSED, b.state(), "11 in a row: a 1-in-6,600 chance at 45%");
    fail(b, 1);
    assertEquals(BreakerState.OPEN, b.state(), "12 in a row");

    // A healthy dependency's outage still trips after 5.
    CircuitBreaker c = rateBase("db2").minimumCalls(200).window(Duration.ofSeconds(10), 10)
        .build();
    succeed(c, 100);
    clock.advance(Duration.ofSeconds(1));
    fail(c, 4);
    assertEquals(BreakerState.CLOSED, c.state());
    fail(c, 1);
    assertEquals(BreakerState.OPEN, c.state());
  }

  @Test
  void theRateIsJudgedOverTheNewestBucketsHoldingTheMinimum() {
    CircuitBreaker b = rateBase("db").consecutiveFailures(0).failureRateThreshold(0.5)
        .minimumCalls(10).window(Duration.ofSeconds(10), 10).build();
    succeed(b, 30); // bucket 0
    clock.advance(Duration.ofSeconds(4));
    fail(b, 5); // bucket 4
    clock.advance(Duration.ofSeconds(1));
    // A rate spans at least one bucket before the current one (a tenth of this window; the
    // calls are fast, so twice their latency asks no more).
    fail(b, 4); // buckets 4-5 hold 9 calls: the judged calls reach back to bucket 0, 9 of 39
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1); // buckets 4-5 hold 10 calls, all failed
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void oldCallsLeaveTheSlidingWindowAndLowVolumeFallsBackToConsecutiveFailures() {
    CircuitBreaker b = rateBase("db").consecutiveFailures(3).failureRateThreshold(0.5)
        .minimumCalls(10).window(Duration.ofSeconds(10), 10).build();
    succeed(b, 30);
    fail(b, 3); // 33 calls in the window: the rate rule judges, consecutive failures do not
    assertEquals(BreakerState.CLOSED, b.state());
    succeed(b, 1);
    clock.advance(Duration.ofSeconds(11)); // every call has left the window: low volume
    fail(b, 2);
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1); // 3 in a row with fewer than 10 calls in the window
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void regressionWindowCountsStartAfterRecovery() {
    // Failures that opened the breaker must not count again once it closes.
    CircuitBreaker b = rateBase("db").consecutiveFailures(0).failureRateThreshold(0.5)
        .minimumCalls(4).window(Duration.ofSeconds(60), 6).build();
    fail(b, 4);
    assertEquals(BreakerState.OPEN, b.state());
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 10_000 && b.state() != BreakerState.CLOSED; i++) {
      offer(b, 1, false); // the ramp's probes, none of them a closed call
    }
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 3); // 3 since closing: under the minimum (with the 4 that opened it, a trip)
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1); // 4 of 4
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void slowCallRateTrips() {
    CircuitBreaker b = rateBase("db").consecutiveFailures(0).failureRateThreshold(0)
        .slowCallRateThreshold(0.5).minimumCalls(10).build();
    for (int i = 0; i < 8; i++) {
      long p = b.tryAcquire();
      b.onSuccess(p, 800 * MS);
    }
    succeed(b, 1);
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(8, b.slowCount());
    long p = b.tryAcquire();
    b.onSuccess(p, 100 * MS); // at the threshold: slow. 9 of 10, Wilson lower bound 0.53
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(9, b.slowCount());
    assertEquals(1, b.successCount());
  }

  @Test
  void adaptiveThresholdServesA20msAndA500msDependency() {
    for (long healthyMs : new long[] {20, 500}) {
      ManualClock c = new ManualClock();
      CircuitBreaker b = CircuitBreaker.builder("dep-" + healthyMs).clock(c).openJitter(0)
          .openDuration(Duration.ofSeconds(5)).consecutiveFailures(0).failureRateThreshold(0)
          .slowCallRateThreshold(0.5).minimumCalls(20)
          .adaptiveSlowCallThreshold(4.0, Duration.ofMillis(50)).build();
      // A minute of healthy traffic, 50 calls a second.
      for (int s = 0; s < 60; s++) {
        for (int i = 0; i < 50; i++) {
          long p = b.tryAcquire();
          b.onSuccess(p, healthyMs * MS);
        }
        c.advance(Duration.ofSeconds(1));
      }
      assertEquals(BreakerState.CLOSED, b.state(), "healthy " + healthyMs + " ms");
      assertEquals(0, b.slowCount(), "healthy " + healthyMs + " ms");
      long expected = Math.max(50, 4 * healthyMs) * MS;
      assertEquals(expected, b.slowCallThreshold().toNanos(), expected / 100.0);
      // Now the dependency slows 40x: the slow-call rate trips within the window, before the
      // estimate can learn the slowdown away.
      int seconds = 0;
      while (b.state() == BreakerState.CLOSED && seconds < 10) {
        for (int i = 0; i < 50 && b.state() == BreakerState.CLOSED; i++) {
          long p = b.tryAcquire();
          b.onSuccess(p, 40 * healthyMs * MS);
        }
        c.advance(Duration.ofSeconds(1));
        seconds++;
      }
      assertEquals(BreakerState.OPEN, b.state(), "slowed " + healthyMs + " ms");
      assertTrue(seconds <= 6, "took " + seconds + " s");
    }
  }

  @Test
  void theLearnedThresholdFollowsALastingShift() {
    CircuitBreaker b = CircuitBreaker.builder("shift").clock(clock).openJitter(0)
        .adaptiveSlowCallThreshold(4.0, Duration.ofMillis(50))
        .slowCallLearningPeriod(Duration.ofSeconds(10)).build();
    for (int s = 0; s < 30; s++) { // healthy at 20 ms
      for (int i = 0; i < 50; i++) {
        b.onSuccess(b.tryAcquire(), 20 * MS);
      }
      clock.advance(Duration.ofSeconds(1));
    }
    assertEquals(80 * MS, b.slowCallThreshold().toNanos(), 2 * MS);
    int seconds = 0;
    long before = b.slowCount();
    // 800 ms becomes the dependency's normal: the estimate climbs until it is no longer slow.
    while (b.slowCallThreshold().toNanos() <= 800 * MS && seconds < 600) {
      for (int i = 0; i < 50; i++) {
        b.onSuccess(b.tryAcquire(), 800 * MS);
      }
      clock.advance(Duration.ofSeconds(1));
      seconds++;
    }
    assertTrue(b.slowCallThreshold().toNanos() > 800 * MS, "threshold " + b.slowCallThreshold());
    assertTrue(seconds <= 60, "took " + seconds + " s, six learning periods");
    assertTrue(b.slowCount() > before);
    assertEquals(BreakerState.CLOSED, b.state(), "the slow rule is off by default");
  }

  @Test
  void slowProbesDoNotHoldTheBreakerOpen() {
    CircuitBreaker b = rateBase("slow").consecutiveFailures(0).failureRateThreshold(0)
        .slowCallRateThreshold(0.5).minimumCalls(10).build();
    for (int i = 0; i < 10; i++) {
      b.onSuccess(b.tryAcquire(), 800 * MS); // slow against the fixed 100 ms
    }
    assertEquals(BreakerState.OPEN, b.state());
    clock.advance(Duration.ofSeconds(5));
    // The dependency answers, slowly: every probe is a success, and the ramp closes.
    for (int i = 0; i < 100_000 && b.state() != BreakerState.CLOSED; i++) {
      long p = b.tryAcquire();
      if (p != CircuitBreaker.REJECTED) {
        b.onSuccess(p, 800 * MS);
      }
    }
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(1, b.transitionCount(BreakerState.OPEN));
  }

  @Test
  void ignoredAndNonFailureExceptionsAreClassified() {
    CircuitBreaker b = base("db").ignore(IllegalStateException.class)
        .failOn(IOException.class, TimeoutException.class).build();
    for (int i = 0; i < 10; i++) {
      long p = b.tryAcquire();
      b.onFailure(p, MS, new IllegalStateException("cancelled"));
    }
    for (int i = 0; i < 10; i++) {
      long p = b.tryAcquire();
      b.onFailure(p, MS, new IllegalArgumentException("not found")); // the dependency answered
    }
    assertEquals(BreakerState.CLOSED, b.state());
    assertEquals(10, b.ignoredCount());
    assertEquals(10, b.successCount());
    assertEquals(0, b.failureCount());
    for (int i = 0; i < 5; i++) {
      long p = b.tryAcquire();
      b.onFailure(p, MS, new TimeoutException());
    }
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void ignoredCallsDoNotBreakAConsecutiveRun() {
    CircuitBreaker b = base("db").ignore(IllegalStateException.class).build();
    fail(b, 3);
    long p = b.tryAcquire();
    b.onFailure(p, MS, new IllegalStateException());
    fail(b, 2);
    assertEquals(BreakerState.OPEN, b.state());
  }

  @Test
  void forceOpenDisableAndReset() {
    CircuitBreaker b = base("db").build();
    b.forceOpen();
    assertEquals(BreakerState.FORCED_OPEN, b.state());
    assertEquals(CircuitBreaker.REJECTED, b.tryAcquire());
    clock.advance(Duration.ofHours(1));
    assertEquals(BreakerState.FORCED_OPEN, b.state());
    assertEquals("breaker 'db' is FORCED_OPEN until reset", b.rejection().getMessage());
    BreakerInvariants.check(b);

    b.disable();
    assertEquals(BreakerState.DISABLED, b.state());
    fail(b, 100);
    assertEquals(BreakerState.DISABLED, b.state());
    assertEquals(100, b.failureCount());
    BreakerInvariants.check(b);

    b.reset();
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 4);
    b.reset(); // clears the consecutive count
    fail(b, 4);
    assertEquals(BreakerState.CLOSED, b.state());
    fail(b, 1);
    assertEquals(BreakerState.OPEN, b.state());
    b.forceOpen();
    b.forceOpen(); // no second transition
    assertEquals(List.of("CLOSED>FORCED_OPEN", "FORCED_OPEN>DISABLED", "DISABLED>CLOSED",
        "CLOSED>OPEN", "OPEN>FORCED_OPEN"), listener.transitions());
    assertEquals(2, b.transitionCount(BreakerState.FORCED_OPEN));
    BreakerInvariants.checkSequence(listener.transitions(), true);
  }

  @Test
  void regressionSlowCallAdmittedWhileClosedIsNotJudgedAsAProbe() {
    CircuitBreaker b = base("db", 10).build();
    long slowPermit = b.tryAcquire(); // admitted while closed, still running
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    assertEquals(BreakerState.HALF_OPEN, b.state());
    // Five probes succeed, then four fail; the late closed-era failure must make neither a
    // fifth failure in a row nor a tenth judged probe.
    for (int i = 0; i < 9; i++) {
      long p = b.tryAcquire();
      if (i < 5) {
        b.onSuccess(p, MS);
      } else {
        b.onFailure(p, MS, new IOException());
      }
      clock.advance(Duration.ofMillis(500)); // the probe interval admits the next one
    }
    b.onFailure(slowPermit, 30_000 * MS, new TimeoutException());
    assertEquals(BreakerState.HALF_OPEN, b.state());
    assertEquals(10, b.failureCount()); // still counted in the totals
  }

  @Test
  void callWrappersRecordOutcomes() throws Exception {
    CircuitBreaker b = base("db").build();
    assertEquals("ok", b.call(() -> "ok"));
    assertEquals("ok", b.get(() -> "ok"));
    IOException io = new IOException("down");
    assertSame(io, assertThrows(IOException.class, () -> b.call(() -> {
      throw io;
    })));
    UncheckedIOException unchecked = new UncheckedIOException(io);
    assertSame(unchecked, assertThrows(UncheckedIOException.class, () -> b.get(() -> {
      throw unchecked;
    })));
    assertEquals(2, b.successCount());
    assertEquals(2, b.failureCount());
  }

  @Test
  void callWrapperMeasuresDurationWithTheClock() throws Exception {
    CircuitBreaker b = base("db").build();
    b.call(() -> clock.advance(Duration.ofMillis(150)));
    assertEquals(1, b.slowCount());
  }

  @Test
  void fallbackServesCachedDataOnFailureAndWhileOpen() {
    CircuitBreaker b = base("db").build();
    AtomicInteger calls = new AtomicInteger();
    for (int i = 0; i < 5; i++) {
      String v = b.call(() -> {
        calls.incrementAndGet();
        throw new IOException("timeout");
      }, error -> "cached:" + error.getClass().getSimpleName());
      assertEquals("cached:IOException", v);
    }
    assertEquals(BreakerState.OPEN, b.state());
    String v = b.call(() -> {
      calls.incrementAndGet();
      return "fresh";
    }, error -> "cached:" + error.getClass().getSimpleName());
    assertEquals("cached:CallNotPermittedException", v);
    assertEquals(5, calls.get());
  }

  @Test
  void stageRecordsAsynchronousOutcomes() {
    CircuitBreaker b = base("db").build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    CompletableFuture<String> result = b.stage(() -> pending).toCompletableFuture();
    assertEquals(0, b.successCount());
    clock.advance(Duration.ofMillis(200));
    pending.complete("ok");
    assertEquals("ok", result.join());
    assertEquals(1, b.slowCount());

    CompletableFuture<String> failing = new CompletableFuture<>();
    CompletableFuture<String> r2 = b.stage(() -> failing).toCompletableFuture();
    failing.completeExceptionally(new IOException("down"));
    CompletionException ce = assertThrows(CompletionException.class, r2::join);
    assertTrue(ce.getCause() instanceof IOException);
    assertEquals(1, b.failureCount());

    CompletableFuture<String> cancelled = new CompletableFuture<>();
    CompletableFuture<String> r3 = b.stage(() -> cancelled).toCompletableFuture();
    cancelled.cancel(true);
    assertTrue(r3.isCompletedExceptionally());
    assertEquals(1, b.ignoredCount());

    b.forceOpen();
    AtomicInteger started = new AtomicInteger();
    CompletableFuture<String> r4 = b.stage(() -> {
      started.incrementAndGet();
      return CompletableFuture.completedFuture("x");
    }).toCompletableFuture();
    CompletionException rejected = assertThrows(CompletionException.class, r4::join);
    assertTrue(rejected.getCause() instanceof CallNotPermittedException);
    assertEquals(0, started.get());
  }

  @Test
  void halfOpenRejectionNamesTheStep() {
    CircuitBreaker b = base("db").build();
    fail(b, 5);
    clock.advance(Duration.ofSeconds(5));
    offer(b, 1, false);
    assertEquals(CircuitBreaker.REJECTED, b.tryAcquire());
    CallNotPermittedException e = b.rejection();
    assertEquals("breaker 'db' is HALF_OPEN, admitting 1% of calls (ramp step 1 of 4)",
        e.getMessage());
    assertEquals(BreakerState.HALF_OPEN, e.state());
  }

  @Test
  void rejectionStackTraceOnRequest() {
    CircuitBreaker b = base("db").rejectionStackTrace(true).build();
    b.forceOpen();
    assertTrue(b.rejection().getStackTrace().length > 0);
  }

  @Test
  void listenerFailuresAreSwallowed() {
    RecordingListener after = new RecordingListener();
    CircuitBreaker b = base("db").listener((br, from, to) -> {
      throw new IllegalStateException("listener bug");
    }).listener(after).build();
    fail(b, 5);
    assertEquals(BreakerState.OPEN, b.state());
    assertEquals(List.of("CLOSED>OPEN"), after.transitions());
    assertTrue(b.removeListener(after));
    assertFalse(b.removeListener(after));
  }

  @Test
  void permitsAndDurationsAreValidated() {
    CircuitBreaker b = base("db").build();
    assertEquals("permit must be >= 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> b.onSuccess(CircuitBreaker.REJECTED, 1)).getMessage());
    assertEquals("durationNanos must be >= 0 (was -5)",
        assertThrows(IllegalArgumentException.class,
            () -> b.onFailure(b.tryAcquire(), -5, new IOException())).getMessage());
    assertEquals("permit must be >= 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> b.onIgnore(CircuitBreaker.REJECTED)).getMessage());
  }

  @Test
  void metricsAreDeclaredUnderHeadroomBreaker() {
    CircuitBreaker b = base("replica").build();
    RecordingMeterSink sink = new RecordingMeterSink();
    b.describeMeters(sink);
    succeed(b, 3);
    long p = b.tryAcquire();
    b.onSuccess(p, 500 * MS);
    p = b.tryAcquire();
    b.onIgnore(p);
    fail(b, 5);
    b.tryAcquire();
    assertEquals(3, sink.value("headroom.breaker.calls", "name", "replica", "outcome",
        "success"));
    assertEquals(1, sink.value("headroom.breaker.calls", "outcome", "slow"));
    assertEquals(5, sink.value("headroom.breaker.calls", "outcome", "failure"));
    assertEquals(1, sink.value("headroom.breaker.calls", "outcome", "rejected"));
    assertEquals(1, sink.value("headroom.breaker.calls", "outcome", "ignored"));
    assertEquals(1, sink.value("headroom.breaker.state", "state", "open"));
    assertEquals(0, sink.value("headroom.breaker.state", "state", "closed"));
    assertEquals(0, sink.value("headroom.breaker.admitted.fraction"));
    assertEquals(1, sink.value("headroom.breaker.transitions", "state", "open"));
    assertEquals(0.1, sink.value("headroom.breaker.slow.threshold"), 1e-12);
    assertEquals(0, sink.value("headroom.breaker.relapses"));
  }

  @Test
  void bindsToMicrometer() {
    CircuitBreaker b = base("replica").build();
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new dev.headroom.core.metrics.HeadroomMeterBinder(b).bindTo(registry);
    fail(b, 5);
    b.tryAcquire();
    assertEquals(5.0, registry.get("headroom.breaker.calls").tag("name", "replica")
        .tag("outcome", "failure").functionCounter().count());
    assertEquals(1.0, registry.get("headroom.breaker.calls").tag("outcome", "rejected")
        .functionCounter().count());
    assertEquals(1.0, registry.get("headroom.breaker.state").tag("state", "open").gauge()
        .value());
    assertEquals(0.0, registry.get("headroom.breaker.admitted.fraction").gauge().value());
    assertEquals(1.0, registry.get("headroom.breaker.transitions").tag("state", "open")
        .functionCounter().count());
  }

  @Test
  void stageSupplierThatThrowsIsRecorded() {
    CircuitBreaker b = base("db").build();
    IllegalStateException boom = new IllegalStateException("no connection");
    CompletableFuture<String> r = b.<String>stage(() -> {
      throw boom;
    }).toCompletableFuture();
    assertSame(boom, assertThrows(CompletionException.class, r::join).getCause());
    AssertionError error = new AssertionError("bug");
    assertSame(error, assertThrows(AssertionError.class, () -> b.<String>stage(() -> {
      throw error;
    })));
    assertEquals(2, b.failureCount());
  }

  /**
   * Replays calls on the breaker in virtual time: {@code rates[i]} calls a second start from
   * {@code startsAt[i]} seconds on (until the next entry, or {@code endSeconds}); a call fails
   * when {@code fails.test(index)} after {@code failNanos}, and succeeds otherwise after
   * {@code successNanos}. Returns the time of the first trip in seconds, or -1.
   */
  private double replay(CircuitBreaker b, double[] startsAt, int[] rates, double endSeconds,
      java.util.function.IntPredicate fails, long failNanos, long successNanos) {
    java.util.PriorityQueue<long[]> done = new java.util.PriorityQueue<>(
        (x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[3], y[3]));
    long origin = clock.nanoTime();
    long t = 0L;
    int index = 0;
    long end = (long) (endSeconds * 1e9);
    while (t < end || !done.isEmpty()) {
      int phase = 0;
      while (phase + 1 < startsAt.length && t >= (long) (startsAt[phase + 1] * 1e9)) {
        phase++;
      }
      long next = t < end ? t + 1_000_000_000L / rates[phase] : Long.MAX_VALUE;
      while (!done.isEmpty() && done.peek()[0] <= next) {
        long[] d = done.poll();
        clock.advance(origin + d[0] - clock.nanoTime());
        if (d[2] == 1) {
          b.onFailure(d[1], failNanos, new IOException("timed out"));
        } else {
          b.onSuccess(d[1], successNanos);
        }
        if (b.state() == BreakerState.OPEN) {
          return d[0] / 1e9;
        }
      }
      if (next == Long.MAX_VALUE) {
        break;
      }
      t = next;
      clock.advance(origin + t - clock.nanoTime());
      long permit = b.tryAcquire();
      boolean failure = fails.test(index++);
      done.add(new long[] {t + (failure ? failNanos : successNanos), permit, failure ? 1 : 0,
          index});
    }
    return -1;
  }

  /**
   * The failure rate compares calls that began together. Blocked callers saturate, then free
   * up and call again at once: calls begin at 800 a second for half a second, then at 200;
   * 40% of them time out after 1.5 s, the rest answer in 400 ms. Counted as they complete, the
   * timeouts of the busy half second meet the successes of a quiet second, 62% of a second's
   * outcomes: the breaker opened on a dependency answering 60% of its calls (in the slow-
   * dependency replay, 1.8 points of goodput below a bare deadline). The successes are now taken
   * over the span shifted back by the difference in latency, the same starts; at 60% failing
   * it still opens, within a second of the first timeouts.
   */
  @Test
  void theFailureRateComparesCallsThatBeganTogether() {
    double[] startsAt = {0, 10, 10.5};
    int[] rates = {200, 800, 200};
    long timeout = 1_500 * MS;
    CircuitBreaker b = CircuitBreaker.builder("dependency").clock(clock).build();
    double trip = replay(b, startsAt, rates, 16, i -> i >= 2000 && i % 5 < 2, timeout, 400 * MS);
    assertEquals(-1.0, trip, "40% failing opened it at " + trip + " s");
    assertEquals(BreakerState.CLOSED, b.state());
    CircuitBreaker worse = CircuitBreaker.builder("dependency").clock(clock).build();
    trip = replay(worse, startsAt, rates, 16, i -> i >= 2000 && i % 5 < 3, timeout, 400 * MS);
    assertTrue(trip > 11.5 && trip < 12.5, "60% failing opened it at " + trip + " s");
  }

  /**
   * Every call hangs from 10 s on (after 10 s of 20 ms answers at 400 calls/s): the first
   * timeouts complete 1.5 s later. Judged with the calls that began with them, the judged
   * second of starts still holds the last successes before the outage, and the breaker opened
   * 0.9 s after the first timeout. A stream of completions 90% failed or more is an outage
   * whenever its calls began: it opens 0.36 s after the first timeout (0.23 s when every
   * failure was judged as it completed, at half failing: the newest 100 calls still hold a few
   * successes of the calls that began before the outage).
   */
  @Test
  void aHangingOutageOpensItWithinHalfASecondOfTheFirstTimeouts() {
    CircuitBreaker b = CircuitBreaker.builder("dependency").clock(clock).build();
    double trip = replay(b, new double[] {0}, new int[] {400}, 20, i -> i >= 4000, 1_500 * MS,
        20 * MS);
    assertTrue(trip > 11.5 && trip < 11.9, "opened at " + trip + " s");
  }

  /**
   * The span a rate must cover follows the calls' latency: where calls take 20 ms, an outage of
   * fast errors at 400 calls/s is judged over about the newest 100 calls and opens the breaker
   * within 0.3 s (it took 0.6 s when every rate had to span a tenth of the window, 1 s); where
   * they take 800 ms, a second is still asked, so that calls whose latencies smear them over
   * several buckets are compared in bulk.
   */
  @Test
  void theSpanARateCoversFollowsTheCallsLatency() {
    CircuitBreaker fast = CircuitBreaker.builder("dependency").clock(clock).build();
    double trip = replay(fast, new double[] {0}, new int[] {400}, 20, i -> i >= 4000, MS,
        20 * MS);
    assertTrue(trip > 10.0 && trip < 10.3, "20 ms calls: opened at " + trip + " s");
    CircuitBreaker slow = CircuitBreaker.builder("dependency").clock(clock).build();
    trip = replay(slow, new double[] {0}, new int[] {400}, 20, i -> i >= 4000, MS, 800 * MS);
    assertTrue(trip > 10.5 && trip < 11.5, "800 ms calls: opened at " + trip + " s");
  }
}
