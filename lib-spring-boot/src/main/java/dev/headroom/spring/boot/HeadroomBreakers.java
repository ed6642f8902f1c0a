package dev.headroom.spring.boot;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The named circuit breakers configured under {@code headroom.breakers.<name>}.
 *
 * <pre>{@code
 * CircuitBreaker eligibility = breakers.get("eligibility-api");
 * Plan plan = eligibility.call(() -> client.plan(memberId));
 * }</pre>
 *
 * <p>Fetch the breaker per call (a volatile read): when its thresholds change at run time
 * ({@link HeadroomReloader}) a new breaker takes its place, and only while the old one is
 * {@code CLOSED}, so a change never closes an open breaker or cuts a half-open ramp short; an
 * open breaker takes its new thresholds once it has closed. The replacement starts with an
 * empty window.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HeadroomBreakers implements Instrumented {

  private final LiveSet<HeadroomProperties.Breaker, CircuitBreaker> set;

  /**
   * Builds every configured breaker.
   *
   * @param breakers the properties, by name
   * @throws IllegalArgumentException {@code "headroom.breakers.<name>: <library message>"} for a
   *     bad value
   */
  public HeadroomBreakers(Map<String, HeadroomProperties.Breaker> breakers) {
    this.set = new LiveSet<>("headroom.breakers", breakers,
        (name, p) -> CircuitBreaker.of(name, Configs.breaker(p)),
        b -> b.state() == BreakerState.CLOSED);
  }

  /**
   * Returns the current breaker of this name.
   *
   * @param name the configured name
   * @return the breaker
   * @throws IllegalArgumentException if no breaker of that name is configured
   */
  public CircuitBreaker get(String name) {
    return set.get(name);
  }

  /**
   * Returns the configured names, in configuration order.
   *
   * @return the names
   */
  public Set<String> names() {
    return set.names();
  }

  /** Builds the replacements for changed properties; publishes nothing. */
  Map<String, LiveSet.Pending<HeadroomProperties.Breaker, CircuitBreaker>> prepare(
      Map<String, HeadroomProperties.Breaker> breakers) {
    return set.prepare(breakers);
  }

  /** Publishes prepared replacements; returns the names that wait for their breaker to close. */
  List<String> publish(
      Map<String, LiveSet.Pending<HeadroomProperties.Breaker, CircuitBreaker>> prepared) {
    return set.publish(prepared);
  }

  @Override
  public void describeMeters(MeterSink sink) {
    set.describeMeters(sink);
  }
}
