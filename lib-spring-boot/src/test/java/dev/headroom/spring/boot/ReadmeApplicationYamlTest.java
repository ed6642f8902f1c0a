package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.guard.Guard;
import dev.headroom.http.HeadroomHttpClient;
import dev.headroom.http.ShedFilter;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.Priority;
import dev.headroom.signal.ReplicaAdvisor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * The {@code application.yml} of the README's "Spring Boot starter" section, read from the
 * README itself, binds and builds what the section says it does.
 */
class ReadmeApplicationYamlTest {

  static String readmeYaml() throws IOException {
    Path readme = Path.of(System.getProperty("headroom.basedir", "."), "..", "README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int section = text.indexOf("\n## Spring Boot starter\n");
    assertThat(section).as("README section").isPositive();
    int start = text.indexOf("```yaml\n", section) + "```yaml\n".length();
    int end = text.indexOf("```\n", start);
    return text.substring(start, end);
  }

  @Test
  void theReadmesApplicationYamlBindsAndBuilds() throws IOException {
    List<PropertySource<?>> yaml = new YamlPropertySourceLoader().load("readme",
        new ByteArrayResource(readmeYaml().getBytes(StandardCharsets.UTF_8)));
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HeadroomAutoConfiguration.class,
            HeadroomHttpAutoConfiguration.class))
        .withInitializer(c -> yaml.forEach(c.getEnvironment().getPropertySources()::addFirst))
        // The reload file is a ConfigMap path on a real pod; polling it is not this test's part.
        .withPropertyValues("headroom.reload.interval=1h")
        .run(context -> {
          assertThat(context).hasNotFailed();
          HeadroomBreakers breakers = context.getBean(HeadroomBreakers.class);
          assertThat(breakers.names()).containsExactly("eligibility-api", "enrollment-db");
          assertThat(breakers.get("eligibility-api").config().maxOpenDuration())
              .isEqualTo(Duration.ofSeconds(30));
          Guard plans = context.getBean(HeadroomGuards.class).get("plans-db");
          assertThat(plans.breaker().config().consecutiveFailures()).isEqualTo(3);
          assertThat(plans.limit().policy()).isInstanceOf(LimitPolicy.Gradient.class);
          assertThat(plans.deadline()).isEqualTo(Duration.ofMillis(1500));
          assertThat(context.getBean(HeadroomShedder.class).current().share(Priority.LOW))
              .isEqualTo(0.4);
          assertThat(context.getBean(HeadroomCaches.class).get("plans").config().staleIfError())
              .isEqualTo(Duration.ofMinutes(5));
          PoolSizer sizer = context.getBean(PoolSizer.class);
          assertThat(sizer.service()).isEqualTo("enrollment");
          assertThat(sizer.maxPoolSize()).isEqualTo(context.getBean(PoolBudget.class)
              .maxPoolSizeFor("enrollment", sizer.sizedForPods())).isPositive();
          assertThat(context.getBean(ReplicaAdvisor.class).name()).isEqualTo("enrollment");
          assertThat(context.getBean(WarmUpGate.class).remaining())
              .isEqualTo(Duration.ofSeconds(20));
          assertThat(context.getBean(HeadroomReloader.class).file())
              .isEqualTo(Path.of("/etc/headroom/headroom.yml"));
          ShedFilter filter = context.getBean(ShedFilter.class);
          assertThat(filter.rules().resolve("/enrollments/submit", null))
              .isEqualTo(Priority.CRITICAL);
          assertThat(filter.rules().resolve("/plans/prefetch/77", "high"))
              .isEqualTo(Priority.LOW);
          assertThat(filter.rules().resolve("/actuator/health", "low"))
              .isEqualTo(Priority.CRITICAL);
          HeadroomHttpClient client = context.getBean(HeadroomHttpClient.class);
          assertThat(client.retryPolicy().maxRetryAfter()).isEqualTo(Duration.ofSeconds(5));
        });
  }
}
