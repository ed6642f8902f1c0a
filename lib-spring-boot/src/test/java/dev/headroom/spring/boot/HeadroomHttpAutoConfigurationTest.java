package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.headroom.http.HeadroomHttpClient;
import dev.headroom.http.ShedFilter;
import dev.headroom.shed.Priority;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

/** Binding, validation and conditions of the HTTP auto-configuration, without a server. */
class HeadroomHttpAutoConfigurationTest {

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(HeadroomAutoConfiguration.class,
          HeadroomHttpAutoConfiguration.class))
      .withPropertyValues("headroom.readiness.enabled=false");

  @Test
  void nothingIsCreatedUnlessAskedFor() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(ShedFilter.class);
      assertThat(context).doesNotHaveBean(HeadroomHttpClient.class);
    });
  }

  @Test
  void theFilterBindsRoutesHeaderAndDefaultAndNeverShedsActuator() {
    runner.withPropertyValues("headroom.shedder.enabled=true",
        "headroom.http.filter.enabled=true",
        "headroom.http.filter.routes.[/plans/submit]=critical",
        "headroom.http.filter.routes.[/prefetch/**]=low",
        "headroom.http.filter.header=X-Plan-Priority",
        "headroom.http.filter.default-priority=high",
        "management.endpoints.web.base-path=/manage")
        .run(context -> {
          assertThat(context).hasNotFailed();
          ShedFilter filter = context.getBean(ShedFilter.class);
          assertThat(filter.rules().resolve("/plans/submit", null)).isEqualTo(Priority.CRITICAL);
          assertThat(filter.rules().resolve("/prefetch/member-7", "high"))
              .isEqualTo(Priority.LOW);
          assertThat(filter.rules().resolve("/plans", "low")).isEqualTo(Priority.LOW);
          assertThat(filter.rules().header()).isEqualTo("X-Plan-Priority");
          assertThat(filter.rules().resolve("/plans", null)).isEqualTo(Priority.HIGH);
          assertThat(filter.rules().resolve("/manage/health", "low"))
              .isEqualTo(Priority.CRITICAL);
          assertThat(filter.shedder()).isSameAs(context.getBean(HeadroomShedder.class).current());
          FilterRegistrationBean<?> registration =
              context.getBean("headroomShedFilterRegistration", FilterRegistrationBean.class);
          assertThat(registration.getFilter()).isSameAs(filter);
          assertThat(registration.getUrlPatterns()).containsExactly("/*");
        });
  }

  @Test
  void actuatorOnItsOwnPortLeavesHealthAsTheProbePrefix() {
    runner.withPropertyValues("headroom.shedder.enabled=true",
        "headroom.http.filter.enabled=true", "server.port=8080", "management.server.port=9090")
        .run(context -> assertThat(context.getBean(ShedFilter.class).rules().healthPrefix())
            .isEqualTo("/health"));
  }

  @Test
  void theFilterWithoutTheShedderFailsStartupSayingWhatToSet() {
    runner.withPropertyValues("headroom.http.filter.enabled=true").run(context -> {
      assertThat(context).hasFailed();
      assertThat(HeadroomAutoConfigurationTest.rootCause(context.getStartupFailure()))
          .hasMessageContaining("headroom.http.filter.enabled=true needs the application's"
              + " shedder: set headroom.shedder.enabled=true");
    });
  }

  @Test
  void aRouteThatIsAPatternRatherThanAPrefixFailsStartup() {
    runner.withPropertyValues("headroom.shedder.enabled=true",
        "headroom.http.filter.enabled=true", "headroom.http.filter.routes.[/reports/*]=low")
        .run(context -> assertThat(HeadroomAutoConfigurationTest.causes(
            context.getStartupFailure())).anySatisfy(t -> assertThat(t.getMessage())
                .isEqualTo("headroom.http.filter: routes must be a path prefix, optionally"
                    + " ending in /** (e.g. /reports/**) (was \"/reports/*\")")));
  }

  @Test
  void theClientBindsItsOptions() {
    runner.withPropertyValues("headroom.http.client.enabled=true",
        "headroom.http.client.max-dependencies=8",
        "headroom.http.client.deadline-ceiling=750ms",
        "headroom.http.client.retry.max-attempts=2",
        "headroom.http.client.retry.hedge-after=150ms",
        "headroom.http.client.retry-budget.percent-can-retry=0.1")
        .run(context -> {
          assertThat(context).hasNotFailed();
          HeadroomHttpClient client = context.getBean(HeadroomHttpClient.class);
          assertThat(client.maxDependencies()).isEqualTo(8);
          assertThat(client.retryPolicy().maxAttempts()).isEqualTo(2);
          assertThat(client.retryPolicy().hedgeAfter()).isEqualTo(Duration.ofMillis(150));
        });
  }

  @Test
  void aBadClientValueFailsStartupWithTheLibrarysMessage() {
    runner.withPropertyValues("headroom.http.client.enabled=true",
        "headroom.http.client.retry.max-attempts=0")
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(HeadroomAutoConfigurationTest.causes(context.getStartupFailure()))
              .anySatisfy(t -> assertThat(t.getMessage())
                  .startsWith("headroom.http.client: maxAttempts must be in [1, 10]"));
        });
    runner.withPropertyValues("headroom.http.client.enabled=true",
        "headroom.http.client.retry-budget.percent-can-retry=2")
        .run(context -> assertThat(HeadroomAutoConfigurationTest.causes(
            context.getStartupFailure())).anySatisfy(t -> assertThat(t.getMessage())
                .startsWith("headroom.http.client: percentCanRetry")));
    runner.withPropertyValues("headroom.http.client.enabled=true",
        "headroom.http.client.connect-timeout=0s")
        .run(context -> assertThat(HeadroomAutoConfigurationTest.causes(
            context.getStartupFailure())).anySatisfy(t -> assertThat(t.getMessage())
                .startsWith("headroom.http.client: connectTimeout must be")));
  }
}
