package dev.headroom.samples;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The README's circuit-breaker example: a slow read replica behind a breaker, with cached data
 * served as the fallback while the breaker is open. Prints what callers get.
 */
public final class BreakerExample {

  private BreakerExample() {}

  /** A stand-in for the read replica: fails while {@code down} is set. */
  static final class Replica {
    volatile boolean down;

    String loadMember(int id) throws IOException {
      if (down) {
        throw new IOException("replica timed out after 1.5 s");
      }
      return "member-" + id;
    }
  }

  /**
   * Runs callers against a replica that goes down, and shows the breaker opening.
   *
   * @param args ignored
   * @throws Exception never in practice
   */
  public static void main(String[] args) throws Exception {
    Replica replica = new Replica();
    Map<Integer, String> cache = new ConcurrentHashMap<>();

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // tag::breaker[]
    CircuitBreaker breaker = CircuitBreaker.builder("replica-db")
        // defaults: half of >= 100 calls in 10 s fail (5 in a row at low volume), open 1 s,
        // ramp 1% -> 50% -> 100%; name the exceptions that do not mean the replica is down:
        .ignore(IllegalArgumentException.class)
        .listener((b, from, to) -> System.out.println(b.name() + ": " + from + " -> " + to))
        .build();
    new HeadroomMeterBinder(breaker).bindTo(registry);
    // end::breaker[]

    for (int id = 0; id < 20; id++) {
      replica.down = id >= 5;
      String value = load(breaker, replica, cache, id);
      System.out.println(id + " -> " + value + " (" + breaker.state() + ")");
    }
    if (breaker.state() != BreakerState.OPEN) {
      throw new IllegalStateException("expected the breaker to be open");
    }
  }

  /** One load through the breaker, with the last answer as the fallback. */
  private static String load(CircuitBreaker breaker, Replica replica, Map<Integer, String> cache,
      int member) throws Exception {
    // tag::call[]
    String value = breaker.call(() -> {
      String fresh = replica.loadMember(member);
      cache.put(member, fresh);
      return fresh;
    }, error -> cache.getOrDefault(member % 5, "unknown")); // stale data beats no data
    // end::call[]
    return value;
  }
}
