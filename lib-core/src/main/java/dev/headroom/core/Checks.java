package dev.headroom.core;

import java.time.Duration;

/**
 * Argument and state checks that produce the one message shape used throughout Headroom:
 *
 * <pre>{@code <option> must be <constraint> (was <value>)}</pre>
 *
 * <p>for example {@code "failureRateThreshold must be in (0, 1] (was 1.5)"}. Messages are part
 * of the API: tests assert their exact text, and users grep logs for them. Nothing is ever
 * clamped silently: a bad value is an {@link IllegalArgumentException}, a conflicting or
 * repeated setting an {@link IllegalStateException}.
 *
 * <p>Every method returns its (valid) argument so that checks can be used inline:
 * {@code this.limit = Checks.requirePositive("limit", limit);}
 *
 * <p>Thread-safety: stateless.
 */
public final class Checks {

  private Checks() {}

  /**
   * Builds the shared message: {@code "<option> must be <constraint> (was <value>)"}.
   *
   * @param option the name of the option or argument, as the user wrote it
   * @param constraint what is allowed, e.g. {@code "> 0"} or {@code "in (0, 1]"}
   * @param value the rejected value
   * @return the message
   */
  public static String message(String option, String constraint, Object value) {
    return option + " must be " + constraint + " (was " + format(value) + ")";
  }

  /**
   * Throws if {@code condition} is false.
   *
   * @param condition the condition that must hold
   * @param option the option's name
   * @param constraint what is allowed
   * @param value the value that was given
   * @throws IllegalArgumentException with the shared message if {@code condition} is false
   */
  public static void requireArgument(boolean condition, String option, String constraint,
      Object value) {
    if (!condition) {
      throw new IllegalArgumentException(message(option, constraint, value));
    }
  }

  /**
   * Requires a non-null value.
   *
   * @param <T> the value's type
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be non-null (was null)"} if null
   */
  public static <T> T requireNonNull(String option, T value) {
    if (value == null) {
      throw new IllegalArgumentException(message(option, "non-null", null));
    }
    return value;
  }

  /**
   * Requires a non-null, non-blank string.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException if null or blank
   */
  public static String requireNonBlank(String option, String value) {
    requireNonNull(option, value);
    requireArgument(!value.isBlank(), option, "non-blank", value);
    return value;
  }

  /**
   * Requires {@code value > 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be > 0 (was <value>)"}
   */
  public static long requirePositive(String option, long value) {
    if (value <= 0) {
      throw fail(option, "> 0", value);
    }
    return value;
  }

  /**
   * Requires {@code value > 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be > 0 (was <value>)"}
   */
  public static int requirePositive(String option, int value) {
    if (value <= 0) {
      throw fail(option, "> 0", value);
    }
    return value;
  }

  /**
   * Requires a finite {@code value > 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be > 0 (was <value>)"}, also for NaN
   *     and infinity
   */
  public static double requirePositive(String option, double value) {
    if (!(value > 0 && Double.isFinite(value))) {
      throw fail(option, "finite and > 0", value);
    }
    return value;
  }

  /**
   * Requires {@code value >= 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be >= 0 (was <value>)"}
   */
  public static long requireNonNegative(String option, long value) {
    if (value < 0) {
      throw fail(option, ">= 0", value);
    }
    return value;
  }

  /**
   * Requires {@code value >= 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be >= 0 (was <value>)"}
   */
  public static int requireNonNegative(String option, int value) {
    if (value < 0) {
      throw fail(option, ">= 0", value);
    }
    return value;
  }

  /**
   * Requires a finite {@code value >= 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be finite and >= 0 (was <value>)"}
   */
  public static double requireNonNegative(String option, double value) {
    if (!(value >= 0 && Double.isFinite(value))) {
      throw fail(option, "finite and >= 0", value);
    }
    return value;
  }

  /**
   * Requires a non-null duration {@code > 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be > 0 (was <value>)"}
   */
  public static Duration requirePositive(String option, Duration value) {
    requireNonNull(option, value);
    requireArgument(!value.isNegative() && !value.isZero(), option, "> 0", value);
    return value;
  }

  /**
   * Requires a non-null duration {@code >= 0}.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be >= 0 (was <value>)"}
   */
  public static Duration requireNonNegative(String option, Duration value) {
    requireNonNull(option, value);
    requireArgument(!value.isNegative(), option, ">= 0", value);
    return value;
  }

  /**
   * Requires {@code min <= value <= max}.
   *
   * @param option the option's name
   * @param value the value
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be in [min, max] (was <value>)"}
   */
  public static long requireInRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw fail(option, "in [" + min + ", " + max + "]", value);
    }
    return value;
  }

  /**
   * Requires {@code min <= value <= max}.
   *
   * @param option the option's name
   * @param value the value
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be in [min, max] (was <value>)"}
   */
  public static int requireInRange(String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw fail(option, "in [" + min + ", " + max + "]", value);
    }
    return value;
  }

  /**
   * Requires {@code value} to lie in an interval with open or closed ends, e.g. {@code (0, 1]}.
   * NaN is always rejected.
   *
   * @param option the option's name
   * @param value the value
   * @param min the lower end
   * @param minInclusive whether {@code min} itself is allowed
   * @param max the upper end
   * @param maxInclusive whether {@code max} itself is allowed
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be in (0, 1] (was 1.5)"}
   */
  public static double requireInRange(String option, double value, double min,
      boolean minInclusive, double max, boolean maxInclusive) {
    boolean aboveMin = minInclusive ? value >= min : value > min;
    boolean belowMax = maxInclusive ? value <= max : value < max;
    if (!(aboveMin && belowMax)) {
      String interval = (minInclusive ? "[" : "(") + format(min) + ", " + format(max)
          + (maxInclusive ? "]" : ")");
      throw fail(option, "in " + interval, value);
    }
    return value;
  }

  /**
   * Requires a fraction in {@code (0, 1]}: a rate threshold, a share, a ramp step.
   *
   * @param option the option's name
   * @param value the value
   * @return {@code value}
   * @throws IllegalArgumentException {@code "<option> must be in (0, 1] (was <value>)"}
   */
  public static double requireFraction(String option, double value) {
    return requireInRange(option, value, 0.0, false, 1.0, true);
  }

  /**
   * Requires that an option has not been set before; builders call this so that a repeated or
   * conflicting setting is reported instead of the last call silently winning.
   *
   * @param notYetSet whether the option is still unset
   * @param option the option's name
   * @param current its current value
   * @throws IllegalStateException {@code "<option> was already set to <current>"}
   */
  public static void requireNotSet(boolean notYetSet, String option, Object current) {
    if (!notYetSet) {
      throw new IllegalStateException(option + " was already set to " + format(current));
    }
  }

  /**
   * Throws an {@link IllegalStateException} with {@code message} if {@code condition} is false.
   *
   * @param condition the condition that must hold
   * @param message the message, naming the options and values involved
   * @throws IllegalStateException if {@code condition} is false
   */
  public static void requireState(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  /**
   * Builds the exception on the failure path only, so that a passing check on a primitive never
   * boxes its value (checks run on hot paths such as {@code ManualClock.advance}).
   */
  private static IllegalArgumentException fail(String option, String constraint, Object value) {
    return new IllegalArgumentException(message(option, constraint, value));
  }

  /**
   * Formats a value for a message: strings are quoted so that blanks show, doubles are printed
   * without a trailing {@code .0} when integral, everything else uses {@code toString()}.
   */
  static String format(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof CharSequence) {
      return "\"" + value + "\"";
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
      return Double.toString(d);
    }
    return value.toString();
  }
}
