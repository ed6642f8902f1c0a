package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.headroom.http.HeadroomHttpClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The shedding filter in a real Spring Boot application on embedded Tomcat, over HTTP on
 * loopback: with the shedder's limit of 4 held by blocking requests, LOW is refused first with
 * 429 and Retry-After, then NORMAL and HIGH (a header cannot claim CRITICAL), while the
 * CRITICAL route and Actuator's endpoints are served. The auto-configured client calls the
 * application, and its meters appear in the registry.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.application.name=plans",
    "server.address=127.0.0.1",
    "spring.autoconfigure.exclude="
        + "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "management.endpoints.web.exposure.include=health,headroom",
    "management.endpoint.health.probes.enabled=true",
    "headroom.readiness.enabled=false",
    "headroom.shedder.enabled=true",
    "headroom.shedder.limit.type=fixed",
    "headroom.shedder.limit.initial=4",
    "headroom.http.filter.enabled=true",
    "headroom.http.filter.routes.[/plans/submit]=critical",
    "headroom.http.filter.routes.[/prefetch/**]=low",
    "headroom.http.client.enabled=true",
    "logging.level.root=warn"})
class ShedFilterServerTest {

  static final CountDownLatch RELEASE = new CountDownLatch(1);

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Plans.class)
  static class PlansApplication {}

  @RestController
  static class Plans {
    @GetMapping("/hold")
    String hold() throws InterruptedException {
      RELEASE.await(30, TimeUnit.SECONDS);
      return "held";
    }

    @GetMapping({"/plans", "/plans/submit", "/prefetch/member-7"})
    String plans() {
      return "ok";
    }
  }

  @LocalServerPort
  int port;
  @Autowired
  HeadroomShedder shedder;
  @Autowired
  HeadroomHttpClient client;
  @Autowired
  MeterRegistry registry;

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  private HttpRequest request(String path, String priority) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (priority != null) {
      b.header("X-Priority", priority);
    }
    return b.build();
  }

  private HttpResponse<String> get(String path, String priority) throws Exception {
    return http.send(request(path, priority), BodyHandlers.ofString());
  }

  /**
   * Waits until only the held requests are in flight: a request the client has its answer to
   * may still hold its permit for a moment, since the filter completes it after the chain
   * returns.
   */
  private void settle(List<CompletableFuture<HttpResponse<String>>> held) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (shedder.current().inFlight() != held.size() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(shedder.current().inFlight()).as("in flight").isEqualTo(held.size());
  }

  /** Sends blocking requests until {@code n} are held, each admitted before the next. */
  private void holdUntil(int n, List<CompletableFuture<HttpResponse<String>>> held,
      String priority) {
    settle(held);
    while (held.size() < n) {
      held.add(http.sendAsync(request("/hold", priority), BodyHandlers.ofString()));
      settle(held);
    }
  }

  @Test
  void lowIsShedFirstCriticalAndActuatorNever() throws Exception {
    assertThat(shedder.current().limit()).isEqualTo(4);
    assertThat(get("/prefetch/member-7", null).statusCode()).isEqualTo(200);

    List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
    try {
      // LOW's share: floor(4 x 0.5) = 2 in flight.
      holdUntil(2, held, "normal");
      HttpResponse<String> low = get("/prefetch/member-7", null);
      assertThat(low.statusCode()).isEqualTo(429);
      assertThat(low.headers().firstValue("Retry-After")).isPresent();
      assertThat(low.body()).startsWith("shed: ").contains("priority LOW");
      assertThat(get("/plans", null).statusCode()).as("NORMAL below its share").isEqualTo(200);
      settle(held);

      // NORMAL's and HIGH's share: floor(4 x 0.8) = floor(4 x 0.95) = 3.
      holdUntil(3, held, "high");
      assertThat(get("/plans", null).statusCode()).isEqualTo(429);
      assertThat(get("/plans", "high").statusCode()).isEqualTo(429);
      assertThat(get("/plans", "critical").statusCode())
          .as("a header cannot claim CRITICAL").isEqualTo(429);
      assertThat(get("/plans/submit", null).statusCode()).as("the CRITICAL route")
          .isEqualTo(200);
      settle(held);
      assertThat(get("/actuator/health/liveness", "low").statusCode()).isEqualTo(200);
      assertThat(get("/actuator/headroom", "low").statusCode()).isEqualTo(200);
    } finally {
      RELEASE.countDown();
    }
    for (CompletableFuture<HttpResponse<String>> f : held) {
      assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(shedder.refused()).isGreaterThanOrEqualTo(4);
    assertThat(registry.find("headroom.http.server.unknown_priority").meters()).isNotEmpty();
  }

  @Test
  void theClientCallsTheApplicationAndItsMetersAppear() throws Exception {
    HttpResponse<String> r = client.send(request("/plans", null), BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(registry.find("headroom.http.client.calls").tag("name", "127.0.0.1:" + port)
        .tag("outcome", "success").functionCounter()).isNotNull()
        .satisfies(c -> assertThat(c.count()).isGreaterThanOrEqualTo(1.0));
    HttpResponse<String> endpoint = get("/actuator/headroom", null);
    assertThat(endpoint.statusCode()).isEqualTo(200);
    assertThat(endpoint.body()).contains("\"http\"").contains("\"127.0.0.1:" + port + "\"")
        .contains("\"breaker\"");
  }
}
