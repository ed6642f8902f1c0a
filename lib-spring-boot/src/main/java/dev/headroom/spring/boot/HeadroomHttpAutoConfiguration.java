package dev.headroom.spring.boot;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.http.HeadroomHttpClient;
import dev.headroom.http.PriorityRules;
import dev.headroom.http.RatioRetryBudget;
import dev.headroom.http.RetryBudget;
import dev.headroom.http.RetryPolicy;
import dev.headroom.http.ShedFilter;
import dev.headroom.shed.Priority;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of {@code headroom-http} from {@code headroom.http.*}, when it is on the
 * class path:
 *
 * <ul>
 *   <li>the shedding filter ({@link ShedFilter}) in front of every request of a servlet web
 *       application, with {@code headroom.http.filter.enabled=true}: it admits through the
 *       application's {@link HeadroomShedder} (so {@code headroom.shedder.enabled=true} is
 *       required), always the current one after a live reload; priorities come from
 *       {@code routes} (path prefix to priority, in order), then the {@code header}, then
 *       {@code default-priority}; Actuator's base path, when Actuator is served on the
 *       application's port, is never shed (nor is {@code health-prefix} when set);
 *   <li>a {@link HeadroomHttpClient} bean with {@code headroom.http.client.enabled=true}, on the
 *       application's {@link HttpClient} bean if it has one, its meters bound as each new
 *       dependency appears.
 * </ul>
 *
 * <p>Each bean is {@link ConditionalOnMissingBean}; bad values fail the start with
 * {@code "headroom.http.client: <the library's message>"}.
 */
@AutoConfiguration(after = {HeadroomAutoConfiguration.class,
    HeadroomMetricsAutoConfiguration.class})
@ConditionalOnClass(name = "dev.headroom.http.HeadroomHttpClient")
public class HeadroomHttpAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public HeadroomHttpAutoConfiguration() {}

  /**
   * The resilient HTTP client.
   *
   * @param properties the properties
   * @param jdk the application's JDK client, if it declares one
   * @param registry the meter registry, if there is one
   * @param meters the Headroom binder, for its common tags, if metrics are on
   * @return the client
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "headroom.http.client", name = "enabled", havingValue = "true")
  public HeadroomHttpClient headroomHttpClient(HeadroomProperties properties,
      ObjectProvider<HttpClient> jdk, ObjectProvider<MeterRegistry> registry,
      ObjectProvider<HeadroomMeters> meters) {
    HeadroomProperties.Client p = properties.http().client();
    AtomicReference<HeadroomHttpClient> self = new AtomicReference<>();
    try {
      HttpClient http = jdk.getIfAvailable(() -> {
        HttpClient.Builder b = HttpClient.newBuilder();
        if (p.connectTimeout() != null) {
          b.connectTimeout(Checks.requirePositive("connectTimeout", p.connectTimeout()));
        }
        return b.build();
      });
      HeadroomHttpClient.Builder b = HeadroomHttpClient.builder(http);
      if (p.maxDependencies() != null) {
        b.maxDependencies(p.maxDependencies());
      }
      if (p.deadlineCeiling() != null) {
        b.deadlineCeiling(p.deadlineCeiling());
      }
      if (p.limit() != null) {
        b.limit(Configs.limit(p.limit()));
      }
      b.retry(retry(p.retry()));
      b.retryBudget(budgets(p.retryBudget()));
      // A dependency's guard and budget are made at its first request: bind their meters then
      // (binding the same meter twice returns the one already registered).
      b.onNewDependency(name -> {
        HeadroomHttpClient client = self.get();
        MeterRegistry r = registry.getIfAvailable();
        if (client != null && r != null) {
          HeadroomMeterBinder binder = new HeadroomMeterBinder(client);
          HeadroomMeters m = meters.getIfAvailable();
          (m != null ? binder.withCommonTags(m.commonTags()) : binder).bindTo(r);
        }
      });
      HeadroomHttpClient client = b.build();
      self.set(client);
      return client;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("headroom.http.client: " + e.getMessage(), e);
    }
  }

  /** One ratio budget per dependency; the options are checked now, not at the first request. */
  static Function<String, RetryBudget> budgets(HeadroomProperties.RetryBudget rb) {
    Function<String, RetryBudget> factory = name -> {
      RatioRetryBudget.Builder budget = RetryBudget.ratio().name(name);
      if (rb.percentCanRetry() != null) {
        budget.percentCanRetry(rb.percentCanRetry());
      }
      if (rb.ttl() != null) {
        budget.ttl(rb.ttl());
      }
      if (rb.minRetriesPerSecond() != null) {
        budget.minRetriesPerSecond(rb.minRetriesPerSecond());
      }
      return budget.build();
    };
    factory.apply("check");
    return factory;
  }

  static RetryPolicy retry(HeadroomProperties.Retry r) {
    if (r == null) {
      return RetryPolicy.defaults();
    }
    RetryPolicy.Builder b = RetryPolicy.builder();
    if (r.maxAttempts() != null) {
      b.maxAttempts(r.maxAttempts());
    }
    if (r.baseBackoff() != null) {
      b.baseBackoff(r.baseBackoff());
    }
    if (r.maxBackoff() != null) {
      b.maxBackoff(r.maxBackoff());
    }
    if (r.maxRetryAfter() != null) {
      b.maxRetryAfter(r.maxRetryAfter());
    }
    if (r.retryNonIdempotent() != null) {
      b.retryNonIdempotent(r.retryNonIdempotent());
    }
    if (r.hedgeAfter() != null) {
      b.hedgeAfter(r.hedgeAfter());
    }
    if (r.retryStatuses() != null && !r.retryStatuses().isEmpty()) {
      b.retryStatuses(r.retryStatuses().stream().mapToInt(Integer::intValue).toArray());
    }
    return b.build();
  }

  /** The shedding filter, for servlet web applications. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = {"jakarta.servlet.Filter", "dev.headroom.http.ShedFilter"})
  @ConditionalOnProperty(prefix = "headroom.http.filter", name = "enabled", havingValue = "true")
  public static class Filter {

    /** Creates the configuration; Spring calls it. */
    public Filter() {}

    /**
     * The filter, on the application's current shedder.
     *
     * @param properties the properties
     * @param shedder the application's shedder
     * @param environment the environment, for Actuator's base path and ports
     * @return the filter
     */
    @Bean
    @ConditionalOnMissingBean
    public ShedFilter headroomShedFilter(HeadroomProperties properties,
        ObjectProvider<HeadroomShedder> shedder, Environment environment) {
      HeadroomShedder s = shedder.getIfAvailable();
      if (s == null) {
        throw new IllegalStateException("headroom.http.filter.enabled=true needs the"
            + " application's shedder: set headroom.shedder.enabled=true (or declare a"
            + " HeadroomShedder bean)");
      }
      try {
        return new ShedFilter(s::current, rules(properties.http().filter(), environment));
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new IllegalArgumentException("headroom.http.filter: " + e.getMessage(), e);
      }
    }

    /**
     * Registers the filter for every request path.
     *
     * @param filter the filter
     * @param properties the properties, for the order
     * @return the registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "headroomShedFilterRegistration")
    public FilterRegistrationBean<ShedFilter> headroomShedFilterRegistration(ShedFilter filter,
        HeadroomProperties properties) {
      FilterRegistrationBean<ShedFilter> registration = new FilterRegistrationBean<>(filter);
      registration.setName("headroomShedFilter");
      registration.addUrlPatterns("/*");
      registration.setAsyncSupported(true);
      Integer order = properties.http().filter().order();
      registration.setOrder(order != null ? order : Ordered.HIGHEST_PRECEDENCE + 10);
      return registration;
    }
  }

  /**
   * The priority rules from the properties. Actuator's base path (default {@code /actuator})
   * is the never-shed prefix when Actuator answers on the application's own port and no
   * {@code health-prefix} is set.
   */
  static PriorityRules rules(HeadroomProperties.Filter p, Environment environment) {
    PriorityRules.Builder b = PriorityRules.builder();
    for (Map.Entry<String, Priority> route : p.routes().entrySet()) {
      String path = route.getKey();
      if (path.endsWith("/**")) {
        path = path.substring(0, path.length() - 2);
      }
      // A prefix, not a pattern: any other wildcard would be taken literally and never match.
      Checks.requireArgument(path.indexOf('*') < 0, "routes",
          "a path prefix, optionally ending in /** (e.g. /reports/**)", route.getKey());
      b.route(path, route.getValue());
    }
    if (p.header() != null) {
      b.header(p.header());
    }
    if (p.defaultPriority() != null) {
      b.defaultPriority(p.defaultPriority());
    }
    b.healthPrefix(p.healthPrefix() != null ? p.healthPrefix() : actuatorPrefix(environment));
    return b.build();
  }

  static String actuatorPrefix(Environment environment) {
    String managementPort = environment.getProperty("management.server.port");
    String serverPort = environment.getProperty("server.port", "8080");
    if (managementPort != null && !Objects.equals(managementPort, serverPort)) {
      return "/health"; // Actuator has its own port and never passes this filter
    }
    String base = environment.getProperty("management.endpoints.web.base-path", "/actuator");
    return base.isEmpty() || base.equals("/") ? "/health" : base;
  }
}
