package dev.headroom.http;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Parses an HTTP {@code Retry-After} header (RFC 9110, section 10.2.3) into a wait, and applies
 * the one rule every value that is not a usable wait follows.
 *
 * <p>The header is either delta-seconds ({@code 1*DIGIT}) or an IMF-fixdate
 * ({@code Sun, 06 Nov 1994 08:49:37 GMT}). What each value becomes:
 *
 * <table>
 * <caption>The Retry-After rule</caption>
 * <tr><th>value</th><th>{@link Kind}</th><th>what the client does</th></tr>
 * <tr><td>seconds or a future date, at most {@code maxWait} away</td><td>VALID</td>
 *     <td>waits exactly that long before the retry (no jitter: the server asked)</td></tr>
 * <tr><td>a date in the past, or {@code 0}</td><td>PAST (a date) or VALID (0)</td>
 *     <td>the server's wait is over: the jittered back-off applies</td></tr>
 * <tr><td>negative seconds ({@code -5})</td><td>NEGATIVE</td>
 *     <td>header ignored: the jittered back-off applies</td></tr>
 * <tr><td>anything else ({@code soon}, {@code 1.5}, an obsolete date format)</td>
 *     <td>MALFORMED</td><td>header ignored: the jittered back-off applies</td></tr>
 * <tr><td>more than {@code maxWait} away, including values too large for a long</td>
 *     <td>TOO_LONG</td><td>no retry: the response goes to the caller at once, since a wait
 *     longer than the caller is willing to spend helps nobody</td></tr>
 * </table>
 *
 * <p>Nothing here throws on a header value: every value gets a kind, and the client counts each
 * kind under {@code headroom.http.client.retry_after}.
 *
 * <p>Thread-safety: stateless.
 */
public final class RetryAfter {

  /** What a {@code Retry-After} value turned out to be. */
  public enum Kind {
    /** A wait within the maximum. */
    VALID,
    /** A date in the past. */
    PAST,
    /** Negative delta-seconds. */
    NEGATIVE,
    /** Neither delta-seconds nor an IMF-fixdate. */
    MALFORMED,
    /** Further away than the maximum wait. */
    TOO_LONG;

    private final String tag = name().toLowerCase(Locale.ROOT);

    /**
     * Returns the metric tag value.
     *
     * @return e.g. {@code "too_long"}
     */
    public String tag() {
      return tag;
    }
  }

  static final Kind[] KINDS = Kind.values();

  /** Longest digit string parsed as a number; longer ones are TOO_LONG (> 31 years). */
  private static final int MAX_DIGITS = 9;

  private RetryAfter() {}

  /**
   * Classifies a header value.
   *
   * @param value the header's value (surrounding white space is ignored); not null
   * @param maxWaitNanos the longest acceptable wait
   * @param wallClock the clock dates are compared with
   * @return the kind
   */
  public static Kind classify(String value, long maxWaitNanos, Clock wallClock) {
    long w = waitNanos(value, maxWaitNanos, wallClock);
    return w >= 0 ? (w == PAST_CODE ? Kind.PAST : Kind.VALID) : KINDS[(int) -w];
  }

  /** A date in the past: wait 0, kind PAST. Encoded as a value no real wait takes. */
  private static final long PAST_CODE = Long.MAX_VALUE;

  /**
   * Returns the wait in nanoseconds ({@code >= 0}), {@link Long#MAX_VALUE} for a past date, or
   * minus the ordinal of the {@link Kind} (NEGATIVE, MALFORMED, TOO_LONG) when there is no
   * usable wait. Allocation-free for delta-seconds.
   */
  static long waitNanos(String value, long maxWaitNanos, Clock wallClock) {
    int start = 0;
    int end = value.length();
    while (start < end && value.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && value.charAt(end - 1) <= ' ') {
      end--;
    }
    if (start == end) {
      return -Kind.MALFORMED.ordinal();
    }
    boolean negative = value.charAt(start) == '-';
    int digitsFrom = negative ? start + 1 : start;
    if (digitsFrom < end && allDigits(value, digitsFrom, end)) {
      if (negative) {
        return -Kind.NEGATIVE.ordinal();
      }
      int firstNonZero = digitsFrom;
      while (firstNonZero < end - 1 && value.charAt(firstNonZero) == '0') {
        firstNonZero++;
      }
      if (end - firstNonZero > MAX_DIGITS) {
        return -Kind.TOO_LONG.ordinal();
      }
      long seconds = 0;
      for (int i = firstNonZero; i < end; i++) {
        seconds = seconds * 10 + (value.charAt(i) - '0');
      }
      long nanos = seconds * 1_000_000_000L;
      return nanos > maxWaitNanos ? -Kind.TOO_LONG.ordinal() : nanos;
    }
    if (negative) {
      return -Kind.MALFORMED.ordinal();
    }
    ZonedDateTime date;
    try {
      date = ZonedDateTime.parse(value.substring(start, end),
          DateTimeFormatter.RFC_1123_DATE_TIME);
    } catch (DateTimeParseException e) {
      return -Kind.MALFORMED.ordinal();
    }
    long millis = date.toInstant().toEpochMilli() - wallClock.millis();
    if (millis <= 0) {
      return PAST_CODE;
    }
    if (millis > maxWaitNanos / 1_000_000L) {
      return -Kind.TOO_LONG.ordinal();
    }
    return millis * 1_000_000L;
  }

  static boolean isPast(long code) {
    return code == PAST_CODE;
  }

  private static boolean allDigits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
