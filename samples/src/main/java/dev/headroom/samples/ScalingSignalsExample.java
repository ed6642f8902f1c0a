package dev.headroom.samples;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.signal.EndpointAuth;
import dev.headroom.signal.KedaMetricsEndpoint;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import dev.headroom.signal.Signals;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The README's scaling-signals example: two signals (a queue's depth and a shedder's waiting
 * requests), replica advice capped by a database budget and held while a breaker is open, the
 * Micrometer gauges with common tags, and the KEDA metrics-api endpoint on loopback. Prints the
 * advice and its reason.
 */
public final class ScalingSignalsExample {

  private ScalingSignalsExample() {}

  /**
   * Runs the example.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    AtomicLong queueDepth = new AtomicLong(6_000);       // e.g. an SqsQueueDepth's depth()
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(100)).build();
    CircuitBreaker eligibility = CircuitBreaker.builder("eligibility").build();
    PoolBudget budget = PoolBudget.builder()
        .maxConnections(500)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(38)
            .maxSurgePercent(25).build())
        .build();
    PodCountSource pods = PodCountSource.fixed(5);     // KubernetesScale in a cluster

    // tag::signals[]
    Signal queue = Signal.fleetTotal("remittance-queue", "messages", 100, queueDepth::get);
    Signal waiting = Signals.shedderWaiting("api-waiting", shedder, 10);       // shedder.waiting()
    Signal busy = Signals.shedderUtilisation("api-utilisation", shedder, 0.7); // inFlight / limit
    // end::signals[]

    // tag::advisor[]
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance")
        .signal(queue)
        .signal(waiting)
        .currentReplicas(pods)                              // a PodCountSource
        .database("enrollment-db", budget, "remittance")    // never past the budget's maxReplicas
        .holdWhileOpen(eligibility)                         // no scale-out while it is open
        .build();
    ReplicaAdvice advice = advisor.latest();
    // 38 pods: capped by database budget 'enrollment-db' at 38 pods (signals ask for 60)
    // end::advisor[]

    SimpleMeterRegistry registry = new SimpleMeterRegistry();  // Prometheus in production
    // tag::meters[]
    new HeadroomMeterBinder(advisor, queue, waiting, busy).withEnvironmentTags().bindTo(registry);
    // end::meters[]

    try (KedaMetricsEndpoint endpoint = KedaMetricsEndpoint.builder()
        .advisor(advisor)                                  // its signals, and the advice
        .auth(EndpointAuth.bearer(System.getenv().getOrDefault("HEADROOM_TOKEN", "change-me")))
        .port(0)                                           // 9095 by default
        .build()
        .start()) {
      System.out.println(advice.desiredReplicas() + " pods: " + advice.reason());
      System.out.println("KEDA reads http://127.0.0.1:" + endpoint.port()
          + "/headroom/signals, valueLocation signals.remittance-queue.fleetValue");
    }
  }

  /**
   * The endpoint as a pod serves it to KEDA: every interface, port 9095, a bearer token. Not
   * called by {@link #main}, which binds a free loopback port instead.
   *
   * @param advisor the advisor whose signals and advice are served
   * @param token the bearer token KEDA's TriggerAuthentication holds
   * @return the started endpoint; close it on shutdown
   * @throws java.net.UnknownHostException never for 0.0.0.0
   */
  static KedaMetricsEndpoint inPod(ReplicaAdvisor advisor, String token)
      throws java.net.UnknownHostException {
    // tag::endpoint[]
    KedaMetricsEndpoint endpoint = KedaMetricsEndpoint.builder()
        .advisor(advisor)                                   // its signals and the advice
        .auth(EndpointAuth.bearer(token))                   // or apiKey(...), basic(...)
        .bindAddress(InetAddress.getByName("0.0.0.0"))      // loopback by default
        .build()
        .start();                                           // port 9095
    // end::endpoint[]
    return endpoint;
  }
}
