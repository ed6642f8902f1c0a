package dev.headroom.spring.boot;

import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of Headroom's primitives from {@code headroom.*} properties. Every bean is
 * {@link ConditionalOnMissingBean}: declare your own of the same type to replace it.
 *
 * <ul>
 *   <li>{@link HeadroomBreakers}, {@link HeadroomGuards}, {@link HeadroomCaches}: always (empty
 *       when nothing is configured);
 *   <li>{@link HeadroomShedder}: with {@code headroom.shedder.enabled=true};
 *   <li>{@link PoolBudget} and this service's {@link PoolSizer}: with
 *       {@code headroom.budget.max-connections}; the pod count comes from a
 *       {@link PodCountSource} bean if there is one (headroom-kubernetes' watch), else
 *       {@code headroom.budget.pods};
 *   <li>{@link ReplicaAdvisor} on the shedder's utilisation and waiting signals: with
 *       {@code headroom.signals.enabled=true};
 *   <li>{@link WarmUpGate} and {@link HeadroomReadiness}: unless
 *       {@code headroom.readiness.enabled=false};
 *   <li>{@link HeadroomReloader}: with {@code headroom.reload.file}.
 * </ul>
 *
 * <p>Validation happens here, at startup, in the library's own builders: a bad value fails the
 * application's start with {@code "headroom.breakers.payments: failureRateThreshold must be in
 * (0, 1] (was 1.5)"}, the library's {@link IllegalArgumentException} as its cause.
 */
// After ApplicationAvailabilityAutoConfiguration: its ApplicationAvailabilityBean is then
// created, and so registered as a listener, before the readiness listener below, and records
// Spring Boot's "ready" before this listener answers it with "warming up".
@AutoConfiguration(afterName = "org.springframework.boot.autoconfigure.availability"
    + ".ApplicationAvailabilityAutoConfiguration")
@EnableConfigurationProperties(HeadroomProperties.class)
public class HeadroomAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public HeadroomAutoConfiguration() {}

  /**
   * The named breakers.
   *
   * @param properties the properties
   * @return the breakers
   */
  @Bean
  @ConditionalOnMissingBean
  public HeadroomBreakers headroomBreakers(HeadroomProperties properties) {
    return new HeadroomBreakers(properties.breakers());
  }

  /**
   * The named guards.
   *
   * @param properties the properties
   * @return the guards
   */
  @Bean
  @ConditionalOnMissingBean
  public HeadroomGuards headroomGuards(HeadroomProperties properties) {
    return new HeadroomGuards(properties.guards());
  }

  /**
   * The named caches.
   *
   * @param properties the properties
   * @return the caches
   */
  @Bean
  @ConditionalOnMissingBean
  public HeadroomCaches headroomCaches(HeadroomProperties properties) {
    return new HeadroomCaches(properties.caches());
  }

  /**
   * The application's shedder.
   *
   * @param properties the properties
   * @return the shedder
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.shedder", name = "enabled", havingValue = "true")
  public HeadroomShedder headroomShedder(HeadroomProperties properties) {
    return new HeadroomShedder(properties.shedder());
  }

  /**
   * The database connection budget.
   *
   * @param properties the properties
   * @return the budget
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.budget", name = "max-connections")
  public PoolBudget headroomPoolBudget(HeadroomProperties properties) {
    try {
      return Configs.budget(properties.budget());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("headroom.budget: " + e.getMessage(), e);
    }
  }

  /**
   * This service's live share of the budget.
   *
   * @param properties the properties
   * @param budget the budget
   * @param podCounts a pod-count source, if the application has one
   * @param environment the environment, for {@code spring.application.name}
   * @return the running sizer
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(PoolBudget.class)
  public PoolSizer headroomPoolSizer(HeadroomProperties properties, PoolBudget budget,
      ObjectProvider<PodCountSource> podCounts, Environment environment) {
    HeadroomProperties.Budget p = properties.budget();
    String service = p.service() != null ? p.service()
        : environment.getProperty("spring.application.name");
    try {
      Checks.requireArgument(service != null && !service.isBlank(), "service",
          "set (headroom.budget.service or spring.application.name)", service);
      PoolBudget.Allocation allocation = budget.allocation(service);
      PodCountSource source = podCounts.getIfAvailable(() -> PodCountSource.fixed(
          p.pods() != null ? p.pods() : allocation.service().maxReplicas()));
      PoolSizer.Builder b = PoolSizer.builder().budget(budget).service(service)
          .podCountSource(source);
      if (p.holdWindow() != null) {
        b.holdWindow(p.holdWindow());
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("headroom.budget: " + e.getMessage(), e);
    }
  }

  /**
   * Replica advice on the shedder's signals, capped by the database budget and held while a
   * named breaker is open.
   *
   * @param properties the properties
   * @param shedder the shedder
   * @param breakers the breakers
   * @param budget the budget, if configured
   * @param sizer the sizer, if configured (its pod count is the current replica count)
   * @param environment the environment, for {@code spring.application.name}
   * @return the advisor
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.signals", name = "enabled", havingValue = "true")
  public ReplicaAdvisor headroomReplicaAdvisor(HeadroomProperties properties,
      HeadroomShedder shedder, HeadroomBreakers breakers, ObjectProvider<PoolBudget> budget,
      ObjectProvider<PoolSizer> sizer, Environment environment) {
    HeadroomProperties.Signals p = properties.signals();
    String app = environment.getProperty("spring.application.name", "application");
    try {
      ReplicaAdvisor.Builder b = ReplicaAdvisor.builder(app)
          .signal(Signal.builder("shedder-utilisation").unit("ratio")
              .targetPerPod(p.utilisationTarget())
              .description("In-flight over the concurrency limit of the application's shedder")
              .perPod(() -> {
                int limit = shedder.current().limit();
                return limit <= 0 ? Double.NaN : (double) shedder.current().inFlight() / limit;
              }).build())
          .signal(Signal.builder("shedder-waiting").unit("requests")
              .targetPerPod(p.waitingTarget())
              .description("Requests waiting in the application's shedder")
              .perPod(() -> shedder.current().waiting()).build())
          .minReplicas(p.minReplicas())
          .maxReplicas(p.maxReplicas());
      PoolSizer s = sizer.getIfAvailable();
      if (s != null) {
        b.currentReplicas(() -> s.observedPods().orElse(s.sizedForPods()));
        b.database("database", s.budget(), s.service());
      } else {
        b.currentReplicas(() -> p.minReplicas());
      }
      for (String name : p.holdWhileOpen()) {
        breakers.get(name);
        // As ReplicaAdvisor.holdWhileOpen(CircuitBreaker): while it admits nothing (open or
        // forced open), read through the name so a replaced breaker is followed.
        b.holdWhileOpen(name, () -> breakers.get(name).admittedFraction() == 0.0);
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("headroom.signals: " + e.getMessage(), e);
    }
  }

  /**
   * The warm-up gate readiness follows.
   *
   * @param properties the properties
   * @return the gate, started when the application is ready
   */
  @Bean
  @ConditionalOnMissingBean
  public WarmUpGate headroomWarmUpGate(HeadroomProperties properties) {
    try {
      return new WarmUpGate(properties.readiness().warmUp(), NanoClock.system());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("headroom.readiness: " + e.getMessage(), e);
    }
  }

  /**
   * Readiness from the warm-up gate and the shedder.
   *
   * @param publisher the context, where availability changes are published
   * @param availability the application's availability, if there is one
   * @param gate the warm-up gate
   * @param shedder the shedder, if enabled
   * @param properties the properties
   * @return the evaluator, started when the application is ready
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.readiness", name = "enabled", matchIfMissing = true)
  public HeadroomReadiness headroomReadiness(ApplicationEventPublisher publisher,
      ObjectProvider<ApplicationAvailability> availability, WarmUpGate gate,
      ObjectProvider<HeadroomShedder> shedder, HeadroomProperties properties) {
    return new HeadroomReadiness(publisher, availability.getIfAvailable(), gate,
        shedder.getIfAvailable(), properties.readiness());
  }

  /**
   * Starts the warm-up clock and the readiness evaluation once the application is ready, and
   * re-decides readiness at once when something else published it (Spring Boot marks the
   * application ready right after {@link ApplicationReadyEvent}), so that a warm-up in
   * progress is not overridden.
   *
   * @param gate the gate
   * @param readiness the evaluator, if enabled
   * @return the listener
   */
  @Bean
  public ApplicationListener<ApplicationEvent> headroomReadinessListener(WarmUpGate gate,
      ObjectProvider<HeadroomReadiness> readiness) {
    return new ReadinessListener(gate, readiness);
  }

  /** Dispatches by event type itself, so that no generic type needs resolving from a lambda. */
  private static final class ReadinessListener
      implements ApplicationListener<ApplicationEvent>, Ordered {
    private final WarmUpGate gate;
    private final ObjectProvider<HeadroomReadiness> readiness;

    ReadinessListener(WarmUpGate gate, ObjectProvider<HeadroomReadiness> readiness) {
      this.gate = gate;
      this.readiness = readiness;
    }

    @Override
    public int getOrder() {
      return Ordered.LOWEST_PRECEDENCE; // after every ordered listener of the same event
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
      if (event instanceof ApplicationReadyEvent) {
        gate.start();
        readiness.ifAvailable(HeadroomReadiness::start);
      } else if (event instanceof AvailabilityChangeEvent<?> change
          && change.getState() instanceof ReadinessState state) {
        readiness.ifAvailable(r -> {
          if (change.getSource() != r) {
            r.onPublished(state);
          }
        });
      }
    }
  }

  /**
   * Live re-reading of the changeable properties from {@code headroom.reload.file}.
   *
   * @param environment the environment the file's values are layered on
   * @param breakers the breakers
   * @param guards the guards
   * @param shedder the shedder, if enabled
   * @param properties the properties bound at startup
   * @return the reloader, polling from now on
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.reload", name = "file")
  public HeadroomReloader headroomReloader(Environment environment, HeadroomBreakers breakers,
      HeadroomGuards guards, ObjectProvider<HeadroomShedder> shedder,
      HeadroomProperties properties) {
    HeadroomReloader reloader = new HeadroomReloader(environment, breakers, guards,
        shedder.getIfAvailable(), properties.reload());
    reloader.start();
    return reloader;
  }
}
