package dev.headroom.spring.boot;

import dev.headroom.core.metrics.Instrumented;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Binds every Headroom primitive of the application (the auto-configured ones, and any bean
 * that is {@link Instrumented}: a {@code BudgetedDataSource}, a {@code PoolSizer}, a
 * {@code ReplicaAdvisor}, your own breakers) to the application's {@link MeterRegistry}
 through {@link HeadroomMeters}, which Spring Boot binds to every registry it configures,
 * with the application's name as the {@code service} tag.
 */
@AutoConfiguration(after = HeadroomAutoConfiguration.class,
    afterName = "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnProperty(prefix = "headroom.metrics", name = "enabled", matchIfMissing = true)
public class HeadroomMetricsAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public HeadroomMetricsAutoConfiguration() {}

  /**
   * The binder of every {@link Instrumented} bean.
   *
   * @param primitives every Instrumented bean
   * @param dataSources every DataSource bean
   * @param environment the environment, for {@code spring.application.name}
   * @return the binder
   */
  @Bean
  @ConditionalOnMissingBean
  public HeadroomMeters headroomMeters(ObjectProvider<Instrumented> primitives,
      ObjectProvider<DataSource> dataSources, Environment environment) {
    return new HeadroomMeters(primitives, dataSources, environment, System::getenv);
  }
}
