package dev.headroom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChecksTest {

  @Test
  void messageHasTheSharedShape() {
    assertEquals("limit must be > 0 (was 0)", Checks.message("limit", "> 0", 0));
    assertEquals("name must be non-blank (was \" \")", Checks.message("name", "non-blank", " "));
    assertEquals("x must be non-null (was null)", Checks.message("x", "non-null", null));
  }

  @Test
  void brokenBuilderArgumentShowsTheSharedShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checks.requireFraction("failureRateThreshold", 1.5));
    assertEquals("failureRateThreshold must be in (0, 1] (was 1.5)", e.getMessage());
  }

  @Test
  void fractionAcceptsTheClosedUpperEndOnly() {
    assertEquals(1.0, Checks.requireFraction("share", 1.0));
    assertEquals(0.01, Checks.requireFraction("share", 0.01));
    assertEquals("share must be in (0, 1] (was 0)",
        assertThrows(IllegalArgumentException.class, () -> Checks.requireFraction("share", 0.0))
            .getMessage());
    assertEquals("share must be in (0, 1] (was NaN)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireFraction("share", Double.NaN)).getMessage());
  }

  @Test
  void intervalsPrintTheirEnds() {
    assertEquals("beta must be in [0, 10) (was 10)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireInRange("beta", 10.0, 0.0, true, 10.0, false)).getMessage());
    assertEquals("pods must be in [1, 1000] (was 0)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireInRange("pods", 0, 1, 1000)).getMessage());
    assertEquals("offset must be in [-5, 5] (was 6)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireInRange("offset", 6L, -5L, 5L)).getMessage());
    assertEquals(3, Checks.requireInRange("pods", 3, 1, 1000));
  }

  @Test
  void positiveAndNonNegativeNumbers() {
    assertEquals("permits must be > 0 (was -1)",
        assertThrows(IllegalArgumentException.class, () -> Checks.requirePositive("permits", -1))
            .getMessage());
    assertEquals("permits must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class, () -> Checks.requirePositive("permits", 0L))
            .getMessage());
    assertEquals("waiters must be >= 0 (was -3)",
        assertThrows(IllegalArgumentException.class, () -> Checks.requireNonNegative("waiters", -3))
            .getMessage());
    assertEquals("beta must be finite and >= 0 (was -0.5)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireNonNegative("beta", -0.5)).getMessage());
    assertEquals("multiplier must be finite and > 0 (was Infinity)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requirePositive("multiplier", Double.POSITIVE_INFINITY)).getMessage());
    assertEquals(7L, Checks.requirePositive("permits", 7L));
    assertEquals(0, Checks.requireNonNegative("waiters", 0));
    assertEquals(0.0, Checks.requireNonNegative("beta", 0.0));
    assertEquals(2.5, Checks.requirePositive("multiplier", 2.5));
  }

  @Test
  void durations() {
    assertEquals("openDuration must be > 0 (was PT0S)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requirePositive("openDuration", Duration.ZERO)).getMessage());
    assertEquals("openDuration must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requirePositive("openDuration", (Duration) null)).getMessage());
    assertEquals("maxWait must be >= 0 (was PT-0.001S)",
        assertThrows(IllegalArgumentException.class,
            () -> Checks.requireNonNegative("maxWait", Duration.ofMillis(-1))).getMessage());
    Duration zero = Duration.ZERO;
    assertSame(zero, Checks.requireNonNegative("maxWait", zero));
  }

  @Test
  void nullAndBlank() {
    assertEquals("loader must be non-null (was null)",
        assertThrows(IllegalArgumentException.class, () -> Checks.requireNonNull("loader", null))
            .getMessage());
    assertEquals("name must be non-blank (was \"\")",
        assertThrows(IllegalArgumentException.class, () -> Checks.requireNonBlank("name", ""))
            .getMessage());
    assertEquals("db", Checks.requireNonBlank("name", "db"));
  }

  @Test
  void repeatedSettingIsAnIllegalState() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Checks.requireNotSet(false, "maximumSize", 100L));
    assertEquals("maximumSize was already set to 100", e.getMessage());
    Checks.requireNotSet(true, "maximumSize", null);
    assertEquals("floor 10 must be <= ceiling 5",
        assertThrows(IllegalStateException.class,
            () -> Checks.requireState(false, "floor 10 must be <= ceiling 5")).getMessage());
  }
}
