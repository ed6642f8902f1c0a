package dev.headroom.spring.boot;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain maps of the primitives' live state, for the {@code headroom} endpoint and the health
 * details (JSON-friendly: strings, numbers, booleans, maps).
 *
 * <p>Thread-safety: stateless.
 */
final class HeadroomState {

  private HeadroomState() {}

  static Map<String, Object> breaker(CircuitBreaker b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", b.state().name());
    m.put("admittedFraction", b.admittedFraction());
    m.put("rampStep", b.rampStep());
    m.put("rampSteps", b.config().rampSteps());
    m.put("remainingOpen", Configs.format(b.remainingOpen()));
    m.put("relapses", b.relapses());
    m.put("failureRateThreshold", b.config().failureRateThreshold());
    m.put("consecutiveFailures", b.config().consecutiveFailures());
    m.put("minimumCalls", b.config().minimumCalls());
    return m;
  }

  static Map<String, Object> limit(LoadShedder s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("policy", s.policy().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
    m.put("limit", s.limit());
    m.put("inFlight", s.inFlight());
    m.put("waiting", s.waiting());
    Map<String, Object> capacity = new LinkedHashMap<>();
    for (Priority p : Priority.values()) {
      capacity.put(p.name(), s.capacity(p));
    }
    m.put("capacity", capacity);
    m.put("latencyEstimate", Configs.format(s.latencyEstimate()));
    return m;
  }

  static Map<String, Object> guard(Guard g) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (g.breaker() != null) {
      m.put("breaker", breaker(g.breaker()));
    }
    if (g.limit() != null) {
      m.put("limit", limit(g.limit()));
    }
    if (g.deadlinePolicy() != null) {
      m.put("deadline", Configs.format(g.deadline()));
    }
    return m;
  }

  static Map<String, Object> budget(PoolBudget budget, PoolSizer sizer) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("maxConnections", budget.maxConnections());
    m.put("available", budget.available());
    Map<String, Object> services = new LinkedHashMap<>();
    for (PoolBudget.Allocation a : budget.allocations()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("share", a.share());
      s.put("maxPoolSize", a.maxPoolSize());
      s.put("minIdle", a.minIdle());
      services.put(a.service().name(), s);
    }
    m.put("services", services);
    if (sizer != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("service", sizer.service());
      s.put("maxPoolSize", sizer.maxPoolSize());
      s.put("minIdle", sizer.minIdle());
      s.put("sizedForPods", sizer.sizedForPods());
      s.put("observedPods", sizer.observedPods().isPresent()
          ? sizer.observedPods().getAsInt() : null);
      m.put("sizer", s);
    }
    return m;
  }

  static Map<String, Object> advice(ReplicaAdvisor advisor) {
    ReplicaAdvice a = advisor.latest();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", a.name());
    m.put("currentReplicas", a.currentReplicas());
    m.put("desiredReplicas", a.desiredReplicas());
    m.put("recommendedReplicas", a.recommendedReplicas());
    m.put("limitedBy", a.limitedBy().name());
    m.put("reason", a.reason());
    List<Map<String, Object>> proposals = a.proposals().stream().map(p -> {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("signal", p.signal());
      pm.put("value", Double.isFinite(p.value()) ? p.value() : null);
      pm.put("targetPerPod", p.targetPerPod());
      return pm;
    }).toList();
    m.put("proposals", proposals);
    return m;
  }
}
