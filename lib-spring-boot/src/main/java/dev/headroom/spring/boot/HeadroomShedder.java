package dev.headroom.spring.boot;

import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import dev.headroom.shed.ShedReason;
import java.util.List;
import java.util.Map;

/**
 * The application's load shedder, configured under {@code headroom.shedder}: the one the
 * shedding filter admits requests through and readiness follows.
 *
 * <pre>{@code
 * try (Permit permit = shedder.tryAcquire(Priority.LOW)) {
 *   if (!permit.isAdmitted()) {
 *     return ResponseEntity.status(429).header("Retry-After", ...).build();
 *   }
 *   ...
 * }
 * }</pre>
 *
 * <p>When its limit or shares change at run time a new shedder takes its place at once; permits
 * taken from the old one complete on it, so for about one request duration the two together
 * may admit up to both limits. {@link #admitted()} and {@link #refused()} add the totals of the
 * shedders replaced.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HeadroomShedder implements Instrumented {

  private static final String NAME = "shedder";
  private final LiveSet<HeadroomProperties.Shedder, LoadShedder> set;

  /**
   * Builds the shedder.
   *
   * @param shedder its properties
   * @throws IllegalArgumentException {@code "headroom.shedder: <library message>"} for a bad
   *     value
   */
  public HeadroomShedder(HeadroomProperties.Shedder shedder) {
    this.set = new LiveSet<>("headroom", Map.of(NAME, shedder),
        (name, p) -> Configs.shedder(p), s -> true);
  }

  /**
   * Returns the current shedder.
   *
   * @return the shedder
   */
  public LoadShedder current() {
    return set.get(NAME);
  }

  /**
   * Asks the current shedder for a slot; see {@link LoadShedder#tryAcquire(Priority)}.
   *
   * @param priority the request's priority
   * @return an admitted permit to complete, or a refused one
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public Permit tryAcquire(Priority priority) {
    return current().tryAcquire(priority);
  }

  private volatile long carriedAdmitted;
  private volatile long carriedRefused;

  /**
   * Returns the requests admitted so far, every priority, by this shedder and those it replaced.
   *
   * @return the count
   */
  public long admitted() {
    return carriedAdmitted + admitted(current());
  }

  /**
   * Returns the requests refused so far, every priority and reason, by this shedder and those
   * it replaced.
   *
   * @return the count
   */
  public long refused() {
    return carriedRefused + refused(current());
  }

  private static long admitted(LoadShedder s) {
    long sum = 0;
    for (Priority p : Priority.values()) {
      sum += s.admitted(p);
    }
    return sum;
  }

  private static long refused(LoadShedder s) {
    long sum = 0;
    for (Priority p : Priority.values()) {
      for (ShedReason r : ShedReason.values()) {
        sum += s.rejected(p, r);
      }
    }
    return sum;
  }

  Map<String, LiveSet.Pending<HeadroomProperties.Shedder, LoadShedder>> prepare(
      HeadroomProperties.Shedder shedder) {
    return set.prepare(Map.of(NAME, shedder));
  }

  synchronized List<String> publish(
      Map<String, LiveSet.Pending<HeadroomProperties.Shedder, LoadShedder>> prepared) {
    LoadShedder old = current();
    List<String> waiting = set.publish(prepared);
    if (current() != old) {
      carriedAdmitted += admitted(old);
      carriedRefused += refused(old);
    }
    return waiting;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    set.describeMeters(sink);
  }
}
