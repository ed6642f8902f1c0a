package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.shed.LimitPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Live re-reading of limits and thresholds from a file, the way a mounted ConfigMap changes
 * under a running pod. The poll interval is an hour, so nothing runs but the test's own
 * {@code reloadNow()} calls.
 */
class HeadroomReloaderTest {

  @TempDir
  Path dir;

  private ApplicationContextRunner runner(Path file) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HeadroomAutoConfiguration.class,
            HeadroomMetricsAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues(
            "headroom.reload.file=" + file,
            "headroom.reload.interval=1h",
            "headroom.breakers.eligibility-api.failure-rate-threshold=0.5",
            "headroom.breakers.eligibility-api.consecutive-failures=5",
            "headroom.shedder.enabled=true",
            "headroom.shedder.limit.type=fixed",
            "headroom.shedder.limit.initial=10");
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  @Test
  void aChangedThresholdAndLimitTakeEffectWithoutARestart() throws IOException {
    Path file = dir.resolve("headroom.yml");
    write(file, "headroom: {}\n");
    runner(file).run(context -> {
      HeadroomReloader reloader = context.getBean(HeadroomReloader.class);
      HeadroomBreakers breakers = context.getBean(HeadroomBreakers.class);
      HeadroomShedder shedder = context.getBean(HeadroomShedder.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      context.getBean(HeadroomMeters.class).bindTo(registry);
      CircuitBreaker before = breakers.get("eligibility-api");
      before.get(() -> "ok");
      before.get(() -> "ok");

      HeadroomReloader.Outcome unchanged = reloader.reloadNow();
      assertThat(unchanged.applied()).isEmpty();
      assertThat(unchanged.error()).isNull();
      assertThat(breakers.get("eligibility-api")).isSameAs(before);

      write(file, """
          headroom:
            breakers:
              eligibility-api:
                failure-rate-threshold: 0.3
                consecutive-failures: 5
            shedder:
              limit:
                type: fixed
                initial: 25
          """);
      HeadroomReloader.Outcome outcome = reloader.reloadNow();
      assertThat(outcome.error()).isNull();
      assertThat(outcome.applied()).containsExactly("headroom.breakers.eligibility-api",
          "headroom.shedder");
      CircuitBreaker after = breakers.get("eligibility-api");
      assertThat(after).isNotSameAs(before);
      assertThat(after.config().failureRateThreshold()).isEqualTo(0.3);
      assertThat(shedder.current().policy()).isEqualTo(LimitPolicy.fixed(25));
      assertThat(shedder.current().limit()).isEqualTo(25);

      // The meters read the new instances and keep the old counts.
      after.get(() -> "ok");
      assertThat(registry.get("headroom.breaker.calls").tag("name", "eligibility-api")
          .tag("outcome", "success").functionCounter().count()).isEqualTo(3.0);
      assertThat(registry.get("headroom.shed.limit").gauge().value()).isEqualTo(25.0);

      // Read again, unchanged: nothing is rebuilt.
      assertThat(reloader.reloadNow().applied()).isEmpty();
      assertThat(breakers.get("eligibility-api")).isSameAs(after);
    });
  }

  @Test
  void aBadValueChangesNothingAndReportsTheLibrarysMessage() throws IOException {
    Path file = dir.resolve("headroom.properties");
    write(file, "");
    runner(file).run(context -> {
      HeadroomReloader reloader = context.getBean(HeadroomReloader.class);
      HeadroomBreakers breakers = context.getBean(HeadroomBreakers.class);
      HeadroomShedder shedder = context.getBean(HeadroomShedder.class);
      CircuitBreaker before = breakers.get("eligibility-api");
      write(file, "headroom.shedder.limit.initial=40\n"
          + "headroom.breakers.eligibility-api.failure-rate-threshold=1.5\n");
      HeadroomReloader.Outcome outcome = reloader.reloadNow();
      assertThat(outcome.error()).isEqualTo("headroom.breakers.eligibility-api:"
          + " failureRateThreshold must be 0 (off) or in (0, 1] (was 1.5)");
      assertThat(outcome.applied()).isEmpty();
      assertThat(breakers.get("eligibility-api")).isSameAs(before);
      assertThat(shedder.current().limit()).isEqualTo(10);
      assertThat(context.getBean(HeadroomReloader.class).lastOutcome()).isEqualTo(outcome);

      write(file, "headroom.shedder.limit.initial=40\n"
          + "headroom.breakers.eligibility-api.failure-rate-threshold=0.5\n");
      HeadroomReloader.Outcome fixed = reloader.reloadNow();
      assertThat(fixed.error()).isNull();
      assertThat(fixed.applied()).containsExactly("headroom.shedder");
      assertThat(shedder.current().limit()).isEqualTo(40);
    });
  }

  @Test
  void anOpenBreakerKeepsItsStateUntilItClosesThenTakesTheNewThreshold() throws IOException {
    Path file = dir.resolve("headroom.properties");
    write(file, "");
    runner(file).run(context -> {
      HeadroomReloader reloader = context.getBean(HeadroomReloader.class);
      HeadroomBreakers breakers = context.getBean(HeadroomBreakers.class);
      CircuitBreaker open = breakers.get("eligibility-api");
      open.forceOpen();
      write(file, "headroom.breakers.eligibility-api.failure-rate-threshold=0.2\n");
      HeadroomReloader.Outcome waiting = reloader.reloadNow();
      assertThat(waiting.applied()).isEmpty();
      assertThat(waiting.waiting()).containsExactly("headroom.breakers.eligibility-api");
      assertThat(breakers.get("eligibility-api")).isSameAs(open);
      assertThat(open.state()).isEqualTo(BreakerState.FORCED_OPEN);

      open.reset();
      HeadroomReloader.Outcome applied = reloader.reloadNow();
      assertThat(applied.changed()).isFalse();
      assertThat(applied.applied()).containsExactly("headroom.breakers.eligibility-api");
      assertThat(breakers.get("eligibility-api").config().failureRateThreshold())
          .isEqualTo(0.2);
    });
  }

  @Test
  void anUnreadableFileIsReportedAndChangesNothing() {
    Path missing = dir.resolve("absent.yml");
    runner(missing).run(context -> {
      HeadroomReloader.Outcome outcome = context.getBean(HeadroomReloader.class).reloadNow();
      assertThat(outcome.error()).startsWith("cannot read " + missing + ": ");
      assertThat(context.getBean(HeadroomShedder.class).current().limit()).isEqualTo(10);
    });
  }
}
