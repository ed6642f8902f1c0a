package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.MeterId;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Common tags from the environment on every Headroom meter (HeadroomMeterBinder). */
class CommonTagsTest {

  @Test
  void headroomVariablesComeFirst() {
    Map<String, String> env = Map.of("HEADROOM_SERVICE", "enrollment", "OTEL_SERVICE_NAME",
        "other", "HEADROOM_VERSION", "2.0.1", "HEADROOM_POD", "enrollment-0", "POD_NAME",
        "x", "HOSTNAME", "y");
    assertEquals(Tags.of("service", "enrollment", "version", "2.0.1", "pod", "enrollment-0"),
        HeadroomMeterBinder.environmentTags(env::get));
  }

  @Test
  void fallsBackToOpenTelemetryAndKubernetesVariables() {
    Map<String, String> env = Map.of("OTEL_SERVICE_NAME", "enrollment",
        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod, service.version=3.1.0",
        "POD_NAME", "enrollment-5c7d", "HOSTNAME", "ignored");
    assertEquals(Tags.of("service", "enrollment", "version", "3.1.0", "pod", "enrollment-5c7d"),
        HeadroomMeterBinder.environmentTags(env::get));
    assertEquals(Tags.of("pod", "host-1"),
        HeadroomMeterBinder.environmentTags(Map.of("HOSTNAME", "host-1", "HEADROOM_SERVICE",
            "  ")::get), "blank variables are not set; missing tags are left out");
    assertEquals(Tags.empty(), HeadroomMeterBinder.environmentTags(name -> null));
  }

  @Test
  void everyMeterCarriesThemAndAMetersOwnTagWins() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Signal s = Signal.perPod("w", "requests", 1, () -> 2);
    HeadroomMeterBinder binder = new HeadroomMeterBinder(s,
        sink -> sink.gauge(MeterId.of("headroom.test.gauge").tag("name", "t")
            .tag("service", "own"), () -> 1))
        .withCommonTags(Tags.of("service", "common", "pod", "p-1"));
    binder.bindTo(registry);
    assertEquals(2.0, registry.get("headroom.signal.value")
        .tags("name", "w", "service", "common", "pod", "p-1").gauge().value());
    assertEquals(1.0, registry.get("headroom.test.gauge")
        .tags("service", "own", "pod", "p-1").gauge().value());
    assertEquals(Tags.of("service", "common", "pod", "p-1"), binder.commonTags());
    registry.getMeters().forEach(m -> assertEquals("p-1", m.getId().getTag("pod"),
        m.getId().toString()));
  }
}
