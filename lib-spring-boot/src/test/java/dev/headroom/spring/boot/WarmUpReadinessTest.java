package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Spring Boot marks an application ready as soon as it has started; during a warm-up Headroom
 * takes that back at once, so the readiness probe says 503 and liveness 200.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "spring.autoconfigure.exclude="
        + "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "management.endpoint.health.probes.enabled=true",
    "headroom.readiness.warm-up=1h",
    "headroom.readiness.interval=1h",
    "logging.level.root=warn"})
class WarmUpReadinessTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class Application {}

  @LocalServerPort
  int port;
  @Autowired
  ApplicationAvailability availability;
  @Autowired
  WarmUpGate gate;
  @Autowired
  HeadroomReadiness readiness;

  private int status(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void readinessStaysDownThroughTheWarmUpWhileLivenessIsUp() throws Exception {
    assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
    assertThat(status("/actuator/health/readiness")).isEqualTo(503);
    assertThat(status("/actuator/health/liveness")).isEqualTo(200);
    assertThat(gate.remaining()).isGreaterThan(Duration.ofMinutes(59));
    assertThat(readiness.reason()).startsWith("warming up: ");
  }
}
