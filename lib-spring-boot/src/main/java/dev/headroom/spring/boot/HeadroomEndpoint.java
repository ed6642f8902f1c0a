package dev.headroom.spring.boot;

import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.signal.ReplicaAdvisor;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code headroom} Actuator endpoint ({@code GET /actuator/headroom}): every breaker's state
 * and ramp, every limit, every budget, the replica advice, readiness and the last reload.
 *
 * <pre>{@code
 * management.endpoints.web.exposure.include: health,headroom
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use; every read is of live state.
 */
@Endpoint(id = "headroom")
public class HeadroomEndpoint {

  private final HeadroomBreakers breakers;
  private final HeadroomGuards guards;
  private final ObjectProvider<HeadroomShedder> shedder;
  private final ObjectProvider<PoolBudget> budget;
  private final ObjectProvider<PoolSizer> sizer;
  private final ObjectProvider<ReplicaAdvisor> advisor;
  private final ObjectProvider<DataSource> dataSources;
  private final ObjectProvider<HeadroomReadiness> readiness;
  private final ObjectProvider<HeadroomReloader> reloader;
  private final ObjectProvider<Instrumented> primitives;

  /**
   * Creates the endpoint.
   *
   * @param breakers the breakers
   * @param guards the guards
   * @param shedder the shedder, if enabled
   * @param budget the budget, if configured
   * @param sizer the sizer, if configured
   * @param advisor the replica advisor, if enabled
   * @param dataSources the application's data sources (the budgeted ones are shown)
   * @param readiness the readiness evaluator, if enabled
   * @param reloader the reloader, if enabled
   * @param primitives every Instrumented bean (the HTTP clients among them are shown)
   */
  public HeadroomEndpoint(HeadroomBreakers breakers, HeadroomGuards guards,
      ObjectProvider<HeadroomShedder> shedder, ObjectProvider<PoolBudget> budget,
      ObjectProvider<PoolSizer> sizer, ObjectProvider<ReplicaAdvisor> advisor,
      ObjectProvider<DataSource> dataSources, ObjectProvider<HeadroomReadiness> readiness,
      ObjectProvider<HeadroomReloader> reloader, ObjectProvider<Instrumented> primitives) {
    this.primitives = primitives;
    this.breakers = breakers;
    this.guards = guards;
    this.shedder = shedder;
    this.budget = budget;
    this.sizer = sizer;
    this.advisor = advisor;
    this.dataSources = dataSources;
    this.readiness = readiness;
    this.reloader = reloader;
  }

  /**
   * Reads every primitive's live state.
   *
   * @return breakers, guards, limits, budgets, replica advice, readiness and the last reload
   */
  @ReadOperation
  public Map<String, Object> headroom() {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> b = new LinkedHashMap<>();
    for (String name : breakers.names()) {
      b.put(name, HeadroomState.breaker(breakers.get(name)));
    }
    out.put("breakers", b);
    Map<String, Object> g = new LinkedHashMap<>();
    for (String name : guards.names()) {
      g.put(name, HeadroomState.guard(guards.get(name)));
    }
    out.put("guards", g);
    Map<String, Object> limits = new LinkedHashMap<>();
    shedder.ifAvailable(s -> limits.put("shedder", HeadroomState.limit(s.current())));
    out.put("limits", limits);
    Map<String, Object> budgets = new LinkedHashMap<>();
    budget.ifAvailable(p -> budgets.put("database", HeadroomState.budget(p,
        sizer.getIfAvailable())));
    if (JdbcState.PRESENT) {
      Map<String, Object> jdbc = new LinkedHashMap<>();
      dataSources.orderedStream().forEach(d -> JdbcState.put(d, jdbc));
      if (!jdbc.isEmpty()) {
        budgets.put("dataSources", jdbc);
      }
    }
    out.put("budgets", budgets);
    if (HttpState.PRESENT) {
      Map<String, Object> http = new LinkedHashMap<>();
      int[] n = {0};
      primitives.orderedStream().forEach(p -> HttpState.put("client" + (n[0]++ == 0 ? "" : n[0]),
          p, http));
      if (!http.isEmpty()) {
        out.put("http", http);
      }
    }
    advisor.ifAvailable(a -> out.put("replicaAdvice", HeadroomState.advice(a)));
    readiness.ifAvailable(r -> out.put("readiness", r.reason()));
    reloader.ifAvailable(r -> out.put("reload", r.lastOutcome() == null ? Map.of("file",
        r.file().toString()) : reload(r)));
    return out;
  }

  private static Map<String, Object> reload(HeadroomReloader r) {
    HeadroomReloader.Outcome o = r.lastOutcome();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", r.file().toString());
    m.put("at", o.at().toString());
    m.put("applied", o.applied());
    m.put("waiting", o.waiting());
    m.put("error", o.error());
    return m;
  }
}
