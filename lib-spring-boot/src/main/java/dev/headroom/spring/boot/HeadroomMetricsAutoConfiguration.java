package dev.headroom.spring.boot;

import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.Instrumented;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.function.UnaryOperator;
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
 * through one {@link HeadroomMeterBinder}, which Spring Boot binds to every registry it
 * configures.
 *
 * <p>Common tags: {@code service} is {@code spring.application.name} when set (else
 * {@code HEADROOM_SERVICE} or {@code OTEL_SERVICE_NAME}), with {@code version} and {@code pod}
 * from the environment as {@link HeadroomMeterBinder#environmentTags} reads them, so a canary's
 * meters can be told from the stable version's.
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
   * @param primitives every Instrumented bean, in order
   * @param environment the environment, for {@code spring.application.name}
   * @return the binder
   */
  @Bean
  @ConditionalOnMissingBean
  public HeadroomMeterBinder headroomMeterBinder(ObjectProvider<Instrumented> primitives,
      Environment environment) {
    return binder(primitives.orderedStream().toList(), environment, System::getenv);
  }

  static HeadroomMeterBinder binder(List<Instrumented> primitives, Environment environment,
      UnaryOperator<String> env) {
    Tags tags = HeadroomMeterBinder.environmentTags(env);
    String app = environment.getProperty("spring.application.name");
    if (app != null && !app.isBlank()) {
      tags = tags.and("service", app.trim());
    }
    return new HeadroomMeterBinder(primitives.toArray(new Instrumented[0]))
        .withCommonTags(tags);
  }
}
