package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import dev.headroom.signal.ReplicaAdvisor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Binding, validation, overriding and readiness, in Spring Boot's context runner. */
class HeadroomAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(HeadroomAutoConfiguration.class,
          HeadroomMetricsAutoConfiguration.class, ApplicationAvailabilityAutoConfiguration.class));

  @Test
  void propertiesBindToNamedBreakersGuardsShedderAndCaches() {
    runner.withPropertyValues(
        "headroom.breakers.eligibility-api.failure-rate-threshold=0.4",
        "headroom.breakers.eligibility-api.minimum-calls=50",
        "headroom.breakers.eligibility-api.open-duration=2s",
        "headroom.breakers.eligibility-api.ramp-steps=0.05,0.25,1",
        "headroom.guards.plans-db.breaker.consecutive-failures=3",
        "headroom.guards.plans-db.limit.type=fixed",
        "headroom.guards.plans-db.limit.initial=12",
        "headroom.guards.plans-db.deadline.fixed=1500ms",
        "headroom.shedder.enabled=true",
        "headroom.shedder.limit.type=gradient",
        "headroom.shedder.limit.min=8",
        "headroom.shedder.limit.max=200",
        "headroom.shedder.shares.low=0.4",
        "headroom.caches.plans.ttl=60s",
        "headroom.caches.plans.maximum-size=10000").run(context -> {
          assertThat(context).hasNotFailed();
          CircuitBreaker b = context.getBean(HeadroomBreakers.class).get("eligibility-api");
          assertThat(b.config().failureRateThreshold()).isEqualTo(0.4);
          assertThat(b.config().minimumCalls()).isEqualTo(50);
          assertThat(b.config().openDuration()).isEqualTo(Duration.ofSeconds(2));
          assertThat(b.config().rampSteps()).containsExactly(0.05, 0.25, 1.0);
          assertThat(b.config().consecutiveFailures())
              .isEqualTo(BreakerConfig.DEFAULT_CONSECUTIVE_FAILURES);

          Guard g = context.getBean(HeadroomGuards.class).get("plans-db");
          assertThat(g.breaker().config().consecutiveFailures()).isEqualTo(3);
          assertThat(g.limit().policy()).isEqualTo(LimitPolicy.fixed(12));
          assertThat(g.deadline()).isEqualTo(Duration.ofMillis(1500));

          HeadroomShedder s = context.getBean(HeadroomShedder.class);
          assertThat(s.current().policy()).isInstanceOf(LimitPolicy.Gradient.class);
          assertThat(((LimitPolicy.Gradient) s.current().policy()).minLimit()).isEqualTo(8);
          assertThat(((LimitPolicy.Gradient) s.current().policy()).maxLimit()).isEqualTo(200);
          assertThat(s.current().share(Priority.LOW)).isEqualTo(0.4);

          assertThat(context.getBean(HeadroomCaches.class).get("plans").config().ttl())
              .isEqualTo(Duration.ofSeconds(60));
          assertThat(context.getBean(HeadroomCaches.class).get("plans").config().maximumSize())
              .isEqualTo(10_000L);
        });
  }

  @Test
  void aBadValueFailsStartupWithTheLibrarysMessage() {
    runner.withPropertyValues("headroom.breakers.payments.failure-rate-threshold=1.5")
        .run(context -> {
          assertThat(context).hasFailed();
          Throwable failure = context.getStartupFailure();
          assertThat(rootCause(failure)).isInstanceOf(IllegalArgumentException.class)
              .hasMessage("failureRateThreshold must be 0 (off) or in (0, 1] (was 1.5)");
          assertThat(causes(failure)).anySatisfy(t -> assertThat(t).hasMessage(
              "headroom.breakers.payments: failureRateThreshold must be 0 (off) or in (0, 1]"
                  + " (was 1.5)"));
        });
    runner.withPropertyValues("headroom.shedder.enabled=true",
        "headroom.shedder.limit.type=fixed", "headroom.shedder.limit.initial=0")
        .run(context -> assertThat(rootCause(context.getStartupFailure()))
            .hasMessage("limit must be > 0 (was 0)"));
    runner.withPropertyValues("headroom.caches.plans.maximum-size=100")
        .run(context -> assertThat(rootCause(context.getStartupFailure()))
            .hasMessage("ttl must be set"));
    runner.withPropertyValues("headroom.readiness.refused-fraction=2")
        .run(context -> assertThat(rootCause(context.getStartupFailure()))
            .hasMessage("headroom.readiness.refused-fraction must be in (0, 1] (was 2)"));
  }

  @Test
  void everyBeanIsOverridable() {
    HeadroomBreakers own = new HeadroomBreakers(Map.of("mine", new HeadroomProperties.Breaker(
        7, null, null, null, null, null, null, null, null, null, null, null, null, null, null)));
    runner.withBean(HeadroomBreakers.class, () -> own)
        .withPropertyValues("headroom.breakers.eligibility-api.minimum-calls=50")
        .run(context -> {
          assertThat(context.getBean(HeadroomBreakers.class)).isSameAs(own);
          assertThat(own.get("mine").config().consecutiveFailures()).isEqualTo(7);
        });
    runner.withUserConfiguration(OwnShedder.class).withPropertyValues(
        "headroom.shedder.enabled=true").run(context ->
        assertThat(context.getBean(HeadroomShedder.class).current().name()).isEqualTo("own"));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnShedder {
    @Bean
    HeadroomShedder headroomShedder() {
      return new HeadroomShedder(new HeadroomProperties.Shedder(true, "own",
          new HeadroomProperties.Limit(HeadroomProperties.LimitType.FIXED, 4, null, null),
          null, null, null));
    }
  }

  @Test
  void nothingOptionalIsCreatedUnlessAskedFor() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(HeadroomShedder.class);
      assertThat(context).doesNotHaveBean(PoolBudget.class);
      assertThat(context).doesNotHaveBean(ReplicaAdvisor.class);
      assertThat(context).doesNotHaveBean(HeadroomReloader.class);
      assertThat(context.getBean(HeadroomBreakers.class).names()).isEmpty();
    });
  }

  @Test
  void thePoolBudgetSizesThisServiceForItsPodCount() {
    runner.withPropertyValues(
        "spring.application.name=enrollment",
        "headroom.budget.max-connections=100",
        "headroom.budget.superuser-reserved-connections=3",
        "headroom.budget.admin-headroom=5",
        "headroom.budget.services.enrollment.max-replicas=20",
        "headroom.budget.services.enrollment.weight=2",
        "headroom.budget.services.eligibility.max-replicas=10",
        "headroom.budget.pods=6").run(context -> {
          assertThat(context).hasNotFailed();
          PoolBudget budget = context.getBean(PoolBudget.class);
          PoolSizer sizer = context.getBean(PoolSizer.class);
          assertThat(sizer.service()).isEqualTo("enrollment");
          // Within the default 60 s hold a young pod sizes for the declared maximum (20).
          assertThat(sizer.sizedForPods()).isEqualTo(20);
          assertThat(sizer.maxPoolSize()).isEqualTo(budget.maxPoolSizeFor("enrollment", 20));
        });
    runner.withPropertyValues(
        "spring.application.name=enrollment",
        "headroom.budget.max-connections=100",
        "headroom.budget.superuser-reserved-connections=3",
        "headroom.budget.admin-headroom=5",
        "headroom.budget.services.enrollment.max-replicas=20",
        "headroom.budget.services.enrollment.weight=2",
        "headroom.budget.services.eligibility.max-replicas=10",
        "headroom.budget.pods=6",
        "headroom.budget.hold-window=0s").run(context -> {
          PoolBudget budget = context.getBean(PoolBudget.class);
          PoolSizer sizer = context.getBean(PoolSizer.class);
          assertThat(sizer.sizedForPods()).isEqualTo(6);
          assertThat(sizer.maxPoolSize()).isEqualTo(budget.maxPoolSizeFor("enrollment", 6))
              .isGreaterThan(budget.maxPoolSizeFor("enrollment", 20));
        });
    runner.withPropertyValues("headroom.budget.max-connections=100",
        "headroom.budget.services.enrollment.max-replicas=20")
        .run(context -> assertThat(rootCause(context.getStartupFailure())).hasMessage(
            "service must be set (headroom.budget.service or spring.application.name) (was"
                + " null)"));
  }

  @Test
  void metersAppearInTheRegistryWithTheApplicationAsServiceTag() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("spring.application.name=enrollment",
            "headroom.breakers.eligibility-api.minimum-calls=50",
            "headroom.shedder.enabled=true", "headroom.shedder.limit.type=fixed",
            "headroom.shedder.limit.initial=10")
        .run(context -> {
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          context.getBean(HeadroomMeters.class)
              .bindTo(registry);
          CircuitBreaker b = context.getBean(HeadroomBreakers.class).get("eligibility-api");
          b.get(() -> "ok");
          assertThat(registry.get("headroom.breaker.calls").tag("name", "eligibility-api")
              .tag("outcome", "success").tag("service", "enrollment").functionCounter().count())
              .isEqualTo(1.0);
          assertThat(registry.get("headroom.shed.limit").tag("name", "http")
              .tag("service", "enrollment").gauge().value()).isEqualTo(10.0);
        });
  }

  @Test
  void readinessRefusesTrafficWhileTheShedderRefusesMostOfIt() {
    runner.withPropertyValues("headroom.shedder.enabled=true",
        "headroom.shedder.limit.type=fixed", "headroom.shedder.limit.initial=10",
        "headroom.readiness.minimum-requests=20", "headroom.readiness.refused-fraction=0.5")
        .run(context -> {
          context.getBean(WarmUpGate.class).start();
          AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC); // as Boot
          HeadroomReadiness readiness = context.getBean(HeadroomReadiness.class);
          ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
          HeadroomShedder shedder = context.getBean(HeadroomShedder.class);

          assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
          assertThat(availability.getReadinessState())
              .isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);

          List<Permit> held = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            held.add(shedder.tryAcquire(Priority.CRITICAL));
          }
          for (int i = 0; i < 30; i++) {
            assertThat(shedder.tryAcquire(Priority.LOW).isAdmitted()).isFalse();
          }
          assertThat(readiness.evaluate()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
          assertThat(availability.getReadinessState())
              .isEqualTo(ReadinessState.REFUSING_TRAFFIC);
          assertThat(readiness.reason())
              .isEqualTo("shedder refused 30 of 40 requests in the last interval");

          held.forEach(Permit::onSuccess);
          for (int i = 0; i < 30; i++) {
            try (Permit p = shedder.tryAcquire(Priority.LOW)) {
              assertThat(p.isAdmitted()).isTrue();
              p.onSuccess();
            }
          }
          assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
          assertThat(availability.getReadinessState())
              .isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
        });
  }

  @Test
  void readinessFollowsTheWarmUpGate() {
    runner.run(context -> {
      WarmUpGate gate = context.getBean(WarmUpGate.class);
      HeadroomReadiness readiness = context.getBean(HeadroomReadiness.class);
      ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
      // Spring Boot marks the application ready once started; the warm-up takes that back.
      AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
      assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
      assertThat(readiness.evaluate()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
      gate.start();
      gate.hold("plan-cache");
      assertThat(readiness.evaluate()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
      assertThat(readiness.reason()).isEqualTo("warming up: 0s left, held by [plan-cache]");
      gate.release("plan-cache");
      assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
      assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
    });
  }

  @Test
  void aRefusalPublishedBySomeoneElseIsNeverLifted() {
    runner.run(context -> {
      context.getBean(WarmUpGate.class).start();
      HeadroomReadiness readiness = context.getBean(HeadroomReadiness.class);
      ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
      AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
      assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
      // Spring Boot's graceful shutdown, or the application itself.
      AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
      assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
      assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
    });
  }

  static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  static List<Throwable> causes(Throwable t) {
    List<Throwable> out = new ArrayList<>();
    for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
      out.add(c);
    }
    return out;
  }
}
