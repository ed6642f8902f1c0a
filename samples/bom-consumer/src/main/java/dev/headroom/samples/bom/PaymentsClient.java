package dev.headroom.samples.bom;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.breaker.CallNotPermittedException;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.util.function.Supplier;

/**
 * A service's call path built from Headroom artifacts whose versions come from
 * {@code headroom-bom} alone: a shedder in front, a breaker around the dependency.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PaymentsClient {

  private final LoadShedder shedder = LoadShedder.builder("payments-api")
      .limit(LimitPolicy.fixed(4))
      .build();
  private final CircuitBreaker breaker = CircuitBreaker.builder("payments")
      .consecutiveFailures(3)
      .build();

  /**
   * Calls the dependency at a priority, or answers {@code fallback} when the shedder refuses
   * the call or the breaker is open.
   *
   * @param priority the caller's priority
   * @param dependency the call
   * @param fallback the answer when refused
   * @return the dependency's answer or the fallback
   */
  public String call(Priority priority, Supplier<String> dependency, String fallback) {
    try (Permit permit = shedder.tryAcquire(priority)) {
      if (!permit.isAdmitted()) {
        return fallback;
      }
      try {
        String answer = breaker.get(dependency);
        permit.onSuccess();
        return answer;
      } catch (CallNotPermittedException open) {
        permit.onIgnore();
        return fallback;
      } catch (RuntimeException failed) {
        permit.onSuccess();
        return fallback;
      }
    }
  }

  /**
   * Returns the breaker, for its state.
   *
   * @return the breaker
   */
  public CircuitBreaker breaker() {
    return breaker;
  }
}
