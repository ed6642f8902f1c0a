package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BreakerConfigTest {

  private static void rejects(String message, Executable setting) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, setting).getMessage());
  }

  private static void conflicts(String message, Executable setting) {
    assertEquals(message, assertThrows(IllegalStateException.class, setting).getMessage());
  }

  @Test
  void defaults() {
    BreakerConfig c = BreakerConfig.defaults();
    assertEquals(5, c.consecutiveFailures());
    assertEquals(0.5, c.failureRateThreshold());
    assertEquals(100, c.minimumCalls());
    assertEquals(0.0, c.slowCallRateThreshold());
    assertNull(c.slowCallThreshold());
    assertTrue(c.adaptiveSlowCallThreshold());
    assertEquals(List.of(0.01, 0.5, 1.0), c.rampSteps());
    assertEquals(Duration.ofSeconds(1), c.openDuration());
    assertEquals(2.0, c.openDurationMultiplier());
    assertEquals(Duration.ofSeconds(30), c.maxOpenDuration());
    assertEquals(Duration.ofSeconds(10), c.window());
    assertEquals(50, c.windowBuckets());
    assertEquals(Duration.ofMillis(50), c.probeInterval());
  }

  @Test
  void badValuesAreRejectedAsTheyAreSet() {
    BreakerConfig.Builder b = BreakerConfig.builder();
    rejects("failureRateThreshold must be 0 (off) or in (0, 1] (was 1.5)",
        () -> b.failureRateThreshold(1.5));
    rejects("failureRateThreshold must be 0 (off) or in (0, 1] (was -0.1)",
        () -> b.failureRateThreshold(-0.1));
    rejects("probeInterval must be > 0 (was PT0S)", () -> b.probeInterval(Duration.ZERO));
    rejects("slowCallRateThreshold must be in (0, 1] (was NaN)",
        () -> b.slowCallRateThreshold(Double.NaN));
    rejects("consecutiveFailures must be >= 0 (was -1)", () -> b.consecutiveFailures(-1));
    rejects("minimumCalls must be > 0 (was 0)", () -> b.minimumCalls(0));
    rejects("openDuration must be > 0 (was PT0S)", () -> b.openDuration(Duration.ZERO));
    rejects("openDuration must be > 0 (was PT-1S)", () -> b.openDuration(Duration.ofSeconds(-1)));
    rejects("openDuration must be non-null (was null)", () -> b.openDuration(null));
    rejects("slowCallThreshold must be > 0 (was PT0S)", () -> b.slowCallThreshold(Duration.ZERO));
    rejects("window must be > 0 (was PT0S)", () -> b.window(Duration.ZERO, 10));
    rejects("windowBuckets must be in [1, 1000] (was 0)", () -> b.window(Duration.ofSeconds(1), 0));
    rejects("openJitter must be in [0, 1) (was 1)", () -> b.openJitter(1.0));
    rejects("openDurationMultiplier must be finite and >= 1 (was 0.5)",
        () -> b.relapseBackoff(0.5, Duration.ofMinutes(1)));
    rejects("slowCallMultiple must be finite and >= 1 (was 0.9)",
        () -> b.adaptiveSlowCallThreshold(0.9, Duration.ofMillis(10)));
    rejects("stepDuration must be > 0 (was PT0S)", () -> b.rampStep(Duration.ZERO, 1));
    rejects("minProbesPerStep must be > 0 (was 0)", () -> b.rampStep(Duration.ofSeconds(1), 0));
    rejects("clock must be non-null (was null)", () -> b.clock(null));
    rejects("ignore[0] must be a Throwable class (was \"java.lang.String\")",
        () -> b.ignore(String.class));
    rejects("failOn must be at least one class (was \"none\")", () -> b.failOn());
  }

  @Test
  void rampMustIncreaseAndEndAtOne() {
    BreakerConfig.Builder b = BreakerConfig.builder();
    rejects("rampSteps[1] must be > rampSteps[0] (increasing) (was 0.1)",
        () -> b.rampSteps(0.1, 0.1, 1.0));
    rejects("rampSteps[1] must be > rampSteps[0] (increasing) (was 0.05)",
        () -> b.rampSteps(0.5, 0.05, 1.0));
    rejects("rampSteps[1] must be 1 (the ramp ends at 100%) (was 0.5)",
        () -> b.rampSteps(0.1, 0.5));
    rejects("rampSteps[0] must be in (0, 1] (was 0)", () -> b.rampSteps(0.0, 1.0));
    rejects("rampSteps[0] must be in (0, 1] (was 1.5)", () -> b.rampSteps(1.5));
    rejects("rampSteps.size() must be in [1, 64] (was 0)", () -> b.rampSteps());
    assertEquals(List.of(1.0), b.rampSteps(1.0).consecutiveFailures(1).build().rampSteps());
  }

  @Test
  void combinationsAreCheckedAtBuild() {
    conflicts("at least one trip rule must be on (consecutiveFailures, failureRateThreshold or "
        + "slowCallRateThreshold)", () -> BreakerConfig.builder().consecutiveFailures(0)
            .failureRateThreshold(0).build());
    assertEquals(0.0, BreakerConfig.builder().failureRateThreshold(0).build()
        .failureRateThreshold(), "0 turns the rate rule off");
    conflicts("maxOpenDuration must be >= openDuration (was PT10S < PT1M)",
        () -> BreakerConfig.builder().openDuration(Duration.ofMinutes(1))
            .relapseBackoff(2, Duration.ofSeconds(10)).build());
    rejects("window / windowBuckets must be >= 1 ms (was PT0.0001S)",
        () -> BreakerConfig.builder().window(Duration.ofMillis(100), 1000).build());
    conflicts("slowCallThreshold conflicts with adaptiveSlowCallThreshold (set both)",
        () -> BreakerConfig.builder().adaptiveSlowCallThreshold(3, Duration.ofMillis(5))
            .slowCallThreshold(Duration.ofSeconds(1)));
  }

  @Test
  void repeatedSettingsAreRejected() {
    conflicts("minimumCalls was already set to 10",
        () -> BreakerConfig.builder().minimumCalls(10).minimumCalls(20));
    conflicts("openDuration was already set to PT1S",
        () -> CircuitBreaker.builder("x").openDuration(Duration.ofSeconds(1))
            .openDuration(Duration.ofSeconds(2)));
  }

  @Test
  void fromCopiesEveryValue() {
    ManualClock clock = new ManualClock();
    BreakerConfig base = BreakerConfig.builder().failureRateThreshold(0.4).minimumCalls(7)
        .rampSteps(0.2, 1.0).clock(clock).build();
    BreakerConfig derived = BreakerConfig.builder().from(base).build();
    assertEquals(base, derived);
    BreakerConfig changed = BreakerConfig.builder().from(base).minimumCalls(9).build();
    assertEquals(9, changed.minimumCalls());
    assertEquals(0.4, changed.failureRateThreshold());
    conflicts("from(base) must come before any other setting (was after [minimumCalls])",
        () -> BreakerConfig.builder().minimumCalls(3).from(base));
  }

  @Test
  void breakerNameIsValidated() {
    rejects("name must be non-blank (was \" \")", () -> CircuitBreaker.builder(" "));
    rejects("name must be non-null (was null)", () -> CircuitBreaker.builder(null));
  }
}
