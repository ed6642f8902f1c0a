package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

  private static final Clock NOW = Clock.fixed(Instant.parse("2026-12-05T18:00:00Z"),
      ZoneOffset.UTC);
  private static final long MAX = 10_000_000_000L;

  @Test
  void deltaSecondsWithinTheMaximumAreAValidWait() {
    assertEquals(3_000_000_000L, RetryAfter.waitNanos("3", MAX, NOW));
    assertEquals(3_000_000_000L, RetryAfter.waitNanos(" 0003 ", MAX, NOW));
    assertEquals(0L, RetryAfter.waitNanos("0", MAX, NOW));
    assertEquals(RetryAfter.Kind.VALID, RetryAfter.classify("10", MAX, NOW));
  }

  @Test
  void futureDateIsAWaitUntilThen() {
    assertEquals(5_000_000_000L,
        RetryAfter.waitNanos("Sat, 05 Dec 2026 18:00:05 GMT", MAX, NOW));
  }

  @Test
  void garbageValuesGetTheirKind() {
    assertEquals(RetryAfter.Kind.NEGATIVE, RetryAfter.classify("-5", MAX, NOW));
    assertEquals(RetryAfter.Kind.MALFORMED, RetryAfter.classify("soon", MAX, NOW));
    assertEquals(RetryAfter.Kind.MALFORMED, RetryAfter.classify("1.5", MAX, NOW));
    assertEquals(RetryAfter.Kind.MALFORMED, RetryAfter.classify("", MAX, NOW));
    assertEquals(RetryAfter.Kind.MALFORMED, RetryAfter.classify("-", MAX, NOW));
    assertEquals(RetryAfter.Kind.MALFORMED, RetryAfter.classify("--1", MAX, NOW));
    // RFC 850, obsolete: not accepted.
    assertEquals(RetryAfter.Kind.MALFORMED,
        RetryAfter.classify("Saturday, 05-Dec-26 18:00:05 GMT", MAX, NOW));
    assertEquals(RetryAfter.Kind.TOO_LONG, RetryAfter.classify("11", MAX, NOW));
    assertEquals(RetryAfter.Kind.TOO_LONG,
        RetryAfter.classify("99999999999999999999999999", MAX, NOW));
    assertEquals(RetryAfter.Kind.TOO_LONG,
        RetryAfter.classify("Sun, 06 Dec 2026 18:00:00 GMT", MAX, NOW));
    assertEquals(RetryAfter.Kind.PAST,
        RetryAfter.classify("Sun, 06 Nov 1994 08:49:37 GMT", MAX, NOW));
    assertTrue(RetryAfter.isPast(
        RetryAfter.waitNanos("Sun, 06 Nov 1994 08:49:37 GMT", MAX, NOW)));
  }

  @Test
  void leadingZerosDoNotMakeAShortWaitTooLong() {
    assertEquals(1_000_000_000L, RetryAfter.waitNanos("0000000000000000001", MAX, NOW));
  }
}
