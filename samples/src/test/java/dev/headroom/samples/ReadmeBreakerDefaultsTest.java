package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The circuit breaker's defaults, which the README states in prose rather than in a table:
 * each number is read from the section's text and compared with {@link BreakerConfig#defaults()},
 * naming the sentence, the README's value and the code's.
 */
class ReadmeBreakerDefaultsTest {

  private static String section() throws IOException {
    String text = ReadmeDefaultsTest.readme();
    int start = text.indexOf("## Circuit breaker");
    assertTrue(start >= 0, "README has no circuit breaker section");
    int end = text.indexOf("\n## ", start + 3);
    return text.substring(start, end < 0 ? text.length() : end).replaceAll("\\s+", " ");
  }

  private static Matcher find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), "the breaker section no longer says /" + regex + "/");
    return m;
  }

  private static void check(String sentence, Object expected, Object actual) {
    assertEquals(expected, actual, "breaker defaults, '" + sentence + "': the README says "
        + expected + ", the code has " + actual);
  }

  @Test
  void theBreakerProseMatchesTheDefaults() throws IOException {
    String text = section();
    BreakerConfig config = BreakerConfig.defaults();

    Matcher m = find(text, "failure rate is at or above (\\d+(?:\\.\\d+)?)");
    check(m.group(), Double.parseDouble(m.group(1)), config.failureRateThreshold());

    m = find(text, "a (\\d+) s window \\((\\d+) buckets\\)");
    check(m.group(), Duration.ofSeconds(Long.parseLong(m.group(1))), config.window());
    check(m.group(), Integer.parseInt(m.group(2)), config.windowBuckets());

    m = find(text, "hold at least (\\d+) calls");
    check(m.group(), Integer.parseInt(m.group(1)), config.minimumCalls());

    m = find(text, "(\\d+) consecutive failures trip");
    check(m.group(), Integer.parseInt(m.group(1)), config.consecutiveFailures());

    m = find(text, "Open lasts (\\d+) s, doubling on a relapse up to (\\d+) s");
    check(m.group(), Duration.ofSeconds(Long.parseLong(m.group(1))), config.openDuration());
    check(m.group(), 2.0, config.openDurationMultiplier());
    check(m.group(), Duration.ofSeconds(Long.parseLong(m.group(2))), config.maxOpenDuration());

    m = find(text, "Recovery is a ramp \\(default ([0-9% >-]+)\\)");
    List<Double> steps = new ArrayList<>();
    for (String step : m.group(1).split("->")) {
      steps.add(Double.parseDouble(step.trim().replace("%", "")) / 100);
    }
    check(m.group(), steps, config.rampSteps());

    m = find(text, "every (\\d+) ms \\(`probeInterval`\\)");
    check(m.group(), Duration.ofMillis(Long.parseLong(m.group(1))), config.probeInterval());

    find(text, "slow-call rule .{0,60}is available but \\*\\*off by default\\*\\*");
    check("slow-call rule off by default", 0.0, config.slowCallRateThreshold());
  }
}
