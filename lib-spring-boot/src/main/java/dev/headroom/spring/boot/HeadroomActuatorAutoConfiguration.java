package dev.headroom.spring.boot;

import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.signal.ReplicaAdvisor;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Actuator integration: the {@code headroom} health contributor (never {@code DOWN}: an open
 * breaker is a detail, not a reason to restart the pod) and the {@code headroom} endpoint.
 */
@AutoConfiguration(after = HeadroomAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, Endpoint.class})
public class HeadroomActuatorAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public HeadroomActuatorAutoConfiguration() {}

  /**
   * The health contributor, named {@code headroom}.
   *
   * @param breakers the breakers
   * @param guards the guards
   * @param readiness the readiness evaluator, if enabled
   * @return the contributor
   */
  @Bean(name = "headroomHealthIndicator")
  @ConditionalOnMissingBean(name = "headroomHealthIndicator")
  @ConditionalOnEnabledHealthIndicator("headroom")
  public HeadroomHealthIndicator headroomHealthIndicator(HeadroomBreakers breakers,
      HeadroomGuards guards, ObjectProvider<HeadroomReadiness> readiness) {
    return new HeadroomHealthIndicator(breakers, guards, readiness);
  }

  /**
   * The {@code headroom} endpoint.
   *
   * @param breakers the breakers
   * @param guards the guards
   * @param shedder the shedder, if enabled
   * @param budget the budget, if configured
   * @param sizer the sizer, if configured
   * @param advisor the replica advisor, if enabled
   * @param dataSources the application's data sources
   * @param readiness the readiness evaluator, if enabled
   * @param reloader the reloader, if enabled
   * @param primitives every Instrumented bean
   * @return the endpoint
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint(endpoint = HeadroomEndpoint.class)
  public HeadroomEndpoint headroomEndpoint(HeadroomBreakers breakers, HeadroomGuards guards,
      ObjectProvider<HeadroomShedder> shedder, ObjectProvider<PoolBudget> budget,
      ObjectProvider<PoolSizer> sizer, ObjectProvider<ReplicaAdvisor> advisor,
      ObjectProvider<DataSource> dataSources, ObjectProvider<HeadroomReadiness> readiness,
      ObjectProvider<HeadroomReloader> reloader, ObjectProvider<Instrumented> primitives) {
    return new HeadroomEndpoint(breakers, guards, shedder, budget, sizer, advisor, dataSources,
        readiness, reloader, primitives);
  }
}
