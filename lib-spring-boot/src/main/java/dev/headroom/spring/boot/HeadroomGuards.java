package dev.headroom.spring.boot;

import dev.headroom.breaker.BreakerState;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.guard.Guard;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The named guards (breaker, limit and deadline around one dependency) configured under
 * {@code headroom.guards.<name>}.
 *
 * <pre>{@code
 * Order order = guards.get("orders-db").call(timeout -> dao.find(id, timeout));
 * }</pre>
 *
 * <p>Fetch the guard per call: when its properties change at run time a new guard takes its
 * place, only while its breaker (if it has one) is {@code CLOSED}. Calls already admitted by the
 * old guard complete on it.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HeadroomGuards implements Instrumented {

  private final LiveSet<HeadroomProperties.Guard, Guard> set;

  /**
   * Builds every configured guard.
   *
   * @param guards the properties, by name
   * @throws IllegalArgumentException {@code "headroom.guards.<name>: <library message>"} for a
   *     bad value
   */
  public HeadroomGuards(Map<String, HeadroomProperties.Guard> guards) {
    this.set = new LiveSet<>("headroom.guards", guards, Configs::guard,
        g -> g.breaker() == null || g.breaker().state() == BreakerState.CLOSED);
  }

  /**
   * Returns the current guard of this name.
   *
   * @param name the configured name
   * @return the guard
   * @throws IllegalArgumentException if no guard of that name is configured
   */
  public Guard get(String name) {
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

  Map<String, LiveSet.Pending<HeadroomProperties.Guard, Guard>> prepare(
      Map<String, HeadroomProperties.Guard> guards) {
    return set.prepare(guards);
  }

  List<String> publish(Map<String, LiveSet.Pending<HeadroomProperties.Guard, Guard>> prepared) {
    return set.publish(prepared);
  }

  @Override
  public void describeMeters(MeterSink sink) {
    set.describeMeters(sink);
  }
}
