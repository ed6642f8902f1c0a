package dev.headroom.shed;

import static dev.headroom.shed.OverloadSimulation.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Adaptive limits against the simulated backend (20 cores, 10 ms of work per request): they
 * converge near its capacity, follow it down when it loses capacity and back up when it
 * returns, recover when the overload ends, and never climb under steady timeouts.
 */
class AdaptiveLimitTest {

  static final double CORES = 20;

  static LoadShedder gradient(ManualClock clock, int initial) {
    return LoadShedder.builder("adaptive").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(initial).minLimit(2).maxLimit(500).build())
        .build();
  }

  static LoadShedder aimd(ManualClock clock, int initial) {
    return LoadShedder.builder("adaptive").clock(clock)
        .limit(LimitPolicy.aimd().initialLimit(initial).minLimit(2).maxLimit(500)
            .latencyThreshold(Duration.ofMillis(15)).build())
        .build();
  }

  private static OverloadSimulation.Result run(LoadShedder shedder, ManualClock clock,
      java.util.function.LongToDoubleFunction cores, java.util.function.LongToDoubleFunction load,
      long durationMillis, long measureFromMillis) {
    return new OverloadSimulation(10 * MS, 200 * MS, CORES, cores, load, 11)
        .run(shedder, clock, durationMillis * MS, measureFromMillis * MS);
  }

  @Test
  void gradientConvergesNearCapacityFromAboveAndBelow() {
    for (int initial : new int[] {2, 400}) {
      ManualClock clock = new ManualClock(0);
      OverloadSimulation.Result r =
          run(gradient(clock, initial), clock, t -> CORES, t -> 15, 12_000, 0);
      double settled = r.meanLimit(80, 120);
      assertTrue(settled >= CORES && settled <= 2 * CORES,
          "from " + initial + " settled at " + settled + "\n" + r);
    }
  }

  @Test
  void aimdConvergesNearCapacityFromAboveAndBelow() {
    for (int initial : new int[] {2, 400}) {
      ManualClock clock = new ManualClock(0);
      OverloadSimulation.Result r =
          run(aimd(clock, initial), clock, t -> CORES, t -> 15, 12_000, 0);
      double settled = r.meanLimit(80, 120);
      assertTrue(settled >= 0.75 * CORES && settled <= 2 * CORES,
          "from " + initial + " settled at " + settled + "\n" + r);
    }
  }

  @Test
  void gradientFollowsCapacityDownAndBackUp() {
    followsCapacity(clock -> gradient(clock, 20));
  }

  @Test
  void aimdFollowsCapacityDownAndBackUp() {
    followsCapacity(clock -> aimd(clock, 20));
  }

  private static void followsCapacity(java.util.function.Function<ManualClock, LoadShedder> make) {
    ManualClock clock = new ManualClock(0);
    // 20 cores, then 5 from 6 s to 12 s, then 20 again; 15x load throughout.
    OverloadSimulation.Result r = run(make.apply(clock), clock,
        t -> t >= 6_000 * MS && t < 12_000 * MS ? 5 : CORES, t -> 15, 20_000, 0);
    double before = r.meanLimit(40, 60);
    double degraded = r.meanLimit(95, 120);
    double after = r.meanLimit(170, 200);
    String report = "before " + before + ", degraded " + degraded + ", after " + after + "\n" + r;
    assertTrue(degraded <= 2 * 5 + 2, "did not follow capacity down: " + report);
    assertTrue(after >= 0.75 * CORES, "did not recover: " + report);
    assertTrue(Math.abs(after - before) <= 0.25 * before, "recovered elsewhere: " + report);
  }

  /**
   * Under sustained load every window's minimum latency is a loaded one; a no-load estimate
   * that only remembers recent windows would drift up to it and the limit would climb with
   * it. The periodic no-load probe prevents that: over eight memory spans the limit stays put.
   */
  @Test
  void regressionNoLoadEstimateDoesNotDriftUnderSustainedLoad() {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = LoadShedder.builder("drift").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(20).minLimit(2).maxLimit(500)
            .noLoadWindows(50).build())
        .build();
    OverloadSimulation.Result r = run(shedder, clock, t -> CORES, t -> 15, 40_000, 0);
    double early = r.meanLimit(50, 100);
    double late = r.meanLimit(350, 400);
    assertTrue(late <= early * 1.2 && late <= 2 * CORES,
        "drifted from " + early + " to " + late + "\n" + r);
  }

  @Test
  void afterTheOverloadEndsNothingIsShed() {
    ManualClock clock = new ManualClock(0);
    // 15x for 8 s, then 0.3x; count only requests from 10 s on.
    OverloadSimulation.Result r = run(gradient(clock, 20), clock, t -> CORES,
        t -> t < 8_000 * MS ? 15 : 0.3, 16_000, 10_000);
    for (Priority p : Priority.values()) {
      assertTrue(r.goodput(p) >= 0.99, p + " after the overload\n" + r);
    }
    assertTrue(r.meanLimit(100, 160) >= CORES, "limit collapsed after overload\n" + r);
  }

  /**
   * concurrency-limits' Gradient2 ignores drops and averages latency over the long term, so
   * under steady timeouts its limit climbs to the maximum. Here a drop counts at the latency it
   * was dropped at, so the window mean rises and the limit never climbs; and since halving the
   * limit does not lower that latency (the timeouts are not caused by load), the limit is
   * given back rather than ground down to the floor.
   */
  @Test
  void regressionGradientDoesNotClimbUnderSteadyTimeouts() {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = LoadShedder.builder("timeouts").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(50).minLimit(1).maxLimit(1000).build())
        .build();
    for (int window = 0; window < 200; window++) {
      Permit[] permits = new Permit[40]; // 40 in flight at once: the limit is in use
      for (int i = 0; i < permits.length; i++) {
        permits[i] = shedder.tryAcquire(Priority.CRITICAL);
      }
      for (int i = 0; i < permits.length; i++) {
        if (i % 5 == 0) {
          permits[i].onDropped(1_000 * MS); // a steady 20% time out after a second
        } else {
          permits[i].onSuccess(5 * MS);
        }
      }
      clock.advance(Duration.ofMillis(101));
      assertTrue(shedder.limit() <= 50, "climbed to " + shedder.limit() + " at " + window);
    }
    assertTrue(shedder.limit() >= 25, "ground down by timeouts load cannot change: "
        + shedder.limit());
  }

  @Test
  void aimdBacksOffOnDropsAndGrowsWhenHealthyAndBusy() {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = LoadShedder.builder("aimd").clock(clock)
        .limit(LimitPolicy.aimd().initialLimit(20).minLimit(4).maxLimit(30).build()).build();
    window(shedder, clock, 12, 0);
    assertEquals(21, shedder.limit(), "busy and healthy: +1");
    window(shedder, clock, 4, 0);
    assertEquals(21, shedder.limit(), "not busy (in-flight under half): unchanged");
    window(shedder, clock, 12, 1);
    assertEquals(18, shedder.limit(), "a drop: x0.9 (21 * 0.9 = 18.9)");
    for (int i = 0; i < 30; i++) {
      window(shedder, clock, 12, 1);
    }
    assertEquals(4, shedder.limit(), "floor");
  }

  /** One window: {@code concurrent} requests in flight together, {@code drops} of them drop. */
  private static void window(LoadShedder shedder, ManualClock clock, int concurrent, int drops) {
    Permit[] permits = new Permit[concurrent];
    for (int i = 0; i < concurrent; i++) {
      permits[i] = shedder.tryAcquire(Priority.CRITICAL);
    }
    for (int i = 0; i < concurrent; i++) {
      if (i < drops) {
        permits[i].onDropped(5 * MS);
      } else {
        permits[i].onSuccess(5 * MS);
      }
    }
    clock.advance(Duration.ofMillis(101));
    shedder.tryAcquire(Priority.CRITICAL).onIgnore(); // closes the window
  }
}
