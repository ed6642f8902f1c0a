package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WarmUpGateTest {

  @Test
  void opensOnceTheWarmUpHasPassedSinceTheStartAndNothingHoldsIt() {
    ManualClock clock = new ManualClock();
    WarmUpGate gate = new WarmUpGate(Duration.ofSeconds(20), clock);
    assertThat(gate.isOpen()).isFalse();
    assertThat(gate.remaining()).isEqualTo(Duration.ofSeconds(20));
    clock.advance(Duration.ofMinutes(5)); // time before the start does not count
    assertThat(gate.isOpen()).isFalse();

    gate.start();
    clock.advance(Duration.ofSeconds(19));
    assertThat(gate.isOpen()).isFalse();
    assertThat(gate.remaining()).isEqualTo(Duration.ofSeconds(1));
    gate.start(); // a second start does not restart the period
    clock.advance(Duration.ofSeconds(1));
    assertThat(gate.isOpen()).isTrue();
    assertThat(gate.remaining()).isEqualTo(Duration.ZERO);

    gate.hold("plan-cache");
    gate.hold("jit");
    assertThat(gate.isOpen()).isFalse();
    assertThat(gate.holds()).containsExactlyInAnyOrder("plan-cache", "jit");
    gate.release("plan-cache");
    gate.release("never-held");
    assertThat(gate.isOpen()).isFalse();
    gate.release("jit");
    assertThat(gate.isOpen()).isTrue();
  }

  @Test
  void badArgumentsNameTheOption() {
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> new WarmUpGate(Duration.ofSeconds(-1), new ManualClock())))
        .hasMessage("warmUp must be >= 0 (was PT-1S)");
    WarmUpGate gate = new WarmUpGate(Duration.ZERO, new ManualClock());
    assertThat(assertThrows(IllegalArgumentException.class, () -> gate.hold(" ")))
        .hasMessage("reason must be non-blank (was \" \")");
  }
}
