package dev.headroom.spring.boot;

import dev.headroom.core.metrics.Instrumented;
import dev.headroom.http.HeadroomHttpClient;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.util.ClassUtils;

/**
 * The HTTP clients' live state, kept apart from {@link HeadroomState} so that headroom-http
 * stays optional: this class is loaded only when it is on the class path.
 *
 * <p>Thread-safety: stateless.
 */
final class HttpState {

  static final boolean PRESENT = ClassUtils.isPresent("dev.headroom.http.HeadroomHttpClient",
      HttpState.class.getClassLoader());

  private HttpState() {}

  /** Adds a client's dependencies (each guard: breaker, limit, deadline) under its bean. */
  static void put(String bean, Instrumented primitive, Map<String, Object> into) {
    if (primitive instanceof HeadroomHttpClient client) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("maxDependencies", client.maxDependencies());
      m.put("overflowed", client.overflowed());
      Map<String, Object> dependencies = new LinkedHashMap<>();
      client.guards().forEach((name, guard) -> dependencies.put(name, HeadroomState.guard(guard)));
      m.put("dependencies", dependencies);
      into.put(bean, m);
    }
  }
}
