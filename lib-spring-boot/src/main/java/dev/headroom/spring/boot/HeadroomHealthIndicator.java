package dev.headroom.spring.boot;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The {@code headroom} health contributor: always {@code UP}, with every breaker's state in its
 * details, the open ones listed.
 *
 * <p>Liveness never follows a dependency: an open breaker means the dependency is sick and this
 * pod is doing the right thing about it (failing fast, serving fallbacks), so restarting the pod
 * would cure nothing and would lose its warm caches and pools. This contributor is therefore
 * never {@code DOWN}, and is not part of the liveness group; readiness is decided by
 * {@link HeadroomReadiness} (warm-up and shedding), not by dependencies either.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public class HeadroomHealthIndicator extends AbstractHealthIndicator {

  private final HeadroomBreakers breakers;
  private final HeadroomGuards guards;
  private final ObjectProvider<HeadroomReadiness> readiness;

  /**
   * Creates the contributor.
   *
   * @param breakers the breakers
   * @param guards the guards
   * @param readiness the readiness evaluator, if enabled
   */
  public HeadroomHealthIndicator(HeadroomBreakers breakers, HeadroomGuards guards,
      ObjectProvider<HeadroomReadiness> readiness) {
    super("headroom health check failed");
    this.breakers = breakers;
    this.guards = guards;
    this.readiness = readiness;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    Map<String, Object> states = new LinkedHashMap<>();
    Map<String, Object> open = new LinkedHashMap<>();
    for (String name : breakers.names()) {
      note("breakers." + name, breakers.get(name), states, open);
    }
    for (String name : guards.names()) {
      CircuitBreaker b = guards.get(name).breaker();
      if (b != null) {
        note("guards." + name, b, states, open);
      }
    }
    builder.up().withDetail("breakers", states).withDetail("open", open);
    readiness.ifAvailable(r -> builder.withDetail("readiness", r.reason()));
  }

  private static void note(String name, CircuitBreaker b, Map<String, Object> states,
      Map<String, Object> open) {
    BreakerState state = b.state();
    states.put(name, state.name());
    if (state != BreakerState.CLOSED && state != BreakerState.DISABLED) {
      open.put(name, HeadroomState.breaker(b));
    }
  }
}
