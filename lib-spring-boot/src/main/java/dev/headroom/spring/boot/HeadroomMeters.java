package dev.headroom.spring.boot;

import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.Instrumented;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;

/**
 * Binds every Headroom primitive of the application to a {@link MeterRegistry} through one
 * {@link HeadroomMeterBinder}: the auto-configured ones and every other bean that is
 * {@link Instrumented} (a {@code BudgetedDataSource} that replaced the application's pool, a
 * {@code PoolSizer}, a {@code ReplicaAdvisor}, your own breakers).
 *
 * <p>The primitives are collected when Spring Boot binds the registry (after every singleton
 * is created), not when this bean is created, so that a {@code DataSource} wrapped by a
 * post-processor is seen as what it became.
 *
 * <p>Common tags: {@code service} is {@code spring.application.name} when set (else
 * {@code HEADROOM_SERVICE} or {@code OTEL_SERVICE_NAME}); {@code version} and {@code pod} come
 * from the environment as {@link HeadroomMeterBinder#environmentTags} reads them.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HeadroomMeters implements MeterBinder {

  private final ObjectProvider<Instrumented> primitives;
  private final ObjectProvider<DataSource> dataSources;
  private final Tags commonTags;

  /**
   * Creates the binder.
   *
   * @param primitives every Instrumented bean
   * @param dataSources every DataSource bean (the budgeted ones are bound)
   * @param environment the application's environment, for {@code spring.application.name}
   * @param processEnvironment reads the process environment ({@code System::getenv})
   */
  public HeadroomMeters(ObjectProvider<Instrumented> primitives,
      ObjectProvider<DataSource> dataSources, Environment environment,
      UnaryOperator<String> processEnvironment) {
    this.primitives = primitives;
    this.dataSources = dataSources;
    Tags tags = HeadroomMeterBinder.environmentTags(processEnvironment);
    String app = environment.getProperty("spring.application.name");
    if (app != null && !app.isBlank()) {
      tags = tags.and("service", app.trim());
    }
    this.commonTags = tags;
  }

  /**
   * Returns the tags every Headroom meter carries.
   *
   * @return the common tags
   */
  public Tags commonTags() {
    return commonTags;
  }

  /**
   * Returns the primitives bound now: every Instrumented bean, each once.
   *
   * @return the primitives
   */
  public List<Instrumented> primitives() {
    Set<Instrumented> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Instrumented> out = new ArrayList<>();
    primitives.orderedStream().forEach(p -> {
      if (seen.add(p)) {
        out.add(p);
      }
    });
    dataSources.orderedStream().forEach(d -> {
      if (d instanceof Instrumented i && seen.add(i)) {
        out.add(i);
      }
    });
    return out;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    new HeadroomMeterBinder(primitives().toArray(new Instrumented[0]))
        .withCommonTags(commonTags).bindTo(registry);
  }
}
