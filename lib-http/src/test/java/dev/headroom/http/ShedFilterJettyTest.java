package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.shed.ShedReason;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ShedFilter} and {@link ProbeServlet} in an embedded Jetty 12 (ee10), under overload. */
class ShedFilterJettyTest {

  private Server server;
  private LoadShedder shedder;
  private ReadinessGate gate;
  private PriorityRules rules;
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(3);
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private int port;

  @BeforeEach
  void start() throws Exception {
    // Limit 4: LOW may hold 2 slots, NORMAL 3, HIGH 3; CRITICAL always.
    shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(4)).build();
    rules = PriorityRules.builder().route("/bulk/", Priority.LOW).build();
    gate = ReadinessGate.builder().warmUp("cache-preload").shedderRefusingMost(shedder, 0.5)
        .build();
    server = new Server();
    ServletContextHandler context = Jetty.context();
    context.addServlet(new ServletHolder(Jetty.holding(entered, release, "done")), "/work/*");
    context.addServlet(new ServletHolder(Jetty.answering("bulk")), "/bulk/*");
    context.addServlet(new ServletHolder(new ProbeServlet(gate)), "/health/*");
    context.addFilter(new FilterHolder(new ShedFilter(shedder, rules)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    port = Jetty.start(server, context);
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    server.stop();
  }

  private HttpResponse<String> get(String path, String priority) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5));
    if (priority != null) {
      b.header("X-Priority", priority);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> getAsync(String path, String priority) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (priority != null) {
      b.header("X-Priority", priority);
    }
    return client.sendAsync(b.build(), BodyHandlers.ofString());
  }

  @Test
  void underOverloadLowGets429WithRetryAfterAndHealthStays200() throws Exception {
    gate.done("cache-preload");
    // Three HIGH requests hold the server: in flight 3 = NORMAL's capacity.
    List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      busy.add(getAsync("/work/" + i, "high"));
    }
    assertTrue(entered.await(5, TimeUnit.SECONDS), "three in flight");
    assertEquals(429, get("/work/normal", null).statusCode());

    HttpResponse<String> low = get("/bulk/report", null);
    assertEquals(429, low.statusCode());
    long retryAfter = Long.parseLong(low.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
    assertEquals("shed: LIMIT (priority LOW, retry after " + retryAfter + " s)\n", low.body());
    assertEquals(1, shedder.rejected(Priority.LOW, ShedReason.LIMIT));

    // Unknown header value: default priority (NORMAL, refused at 3 in flight), counted.
    assertEquals(429, get("/work/x", "urgent!!").statusCode());
    assertEquals(1, rules.unknownHeaderValues());

    for (int i = 0; i < 20; i++) {
      HttpResponse<String> live = get("/health/live", "low");
      assertEquals(200, live.statusCode(), "liveness is CRITICAL, never shed");
      assertEquals("ok\n", live.body());
    }
    // Most traffic refused since the gate was built: not ready, but live.
    for (int i = 0; i < 20; i++) {
      assertEquals(429, get("/bulk/x", null).statusCode());
    }
    HttpResponse<String> ready = get("/health/ready", null);
    assertEquals(503, ready.statusCode());
    assertTrue(ready.body().startsWith("shedder api refusing more than 0.5"), ready.body());
    assertEquals(200, get("/health/live", null).statusCode());

    release.countDown();
    for (int i = 0; i < 3; i++) {
      assertEquals(200, busy.get(i).get(5, TimeUnit.SECONDS).statusCode(), "nothing hangs");
    }
    assertTrue(waitFor(() -> shedder.inFlight() == 0), "every permit completed");
    for (int i = 0; i < 25; i++) {
      assertEquals(200, get("/bulk/x", null).statusCode());
    }
    assertEquals(200, get("/health/ready", null).statusCode(), "ready again");
  }

  @Test
  void startupAndReadinessWaitForWarmUp() throws Exception {
    HttpResponse<String> startup = get("/health/startup", null);
    assertEquals(503, startup.statusCode());
    assertEquals("warm-up cache-preload pending\n", startup.body());
    assertEquals(503, get("/health/ready", null).statusCode());
    assertEquals(200, get("/health/live", null).statusCode());
    gate.done("cache-preload");
    assertEquals(200, get("/health/startup", null).statusCode());
    assertEquals(200, get("/health/ready", null).statusCode());
    assertEquals(404, get("/health/other", null).statusCode());
  }

  private static boolean waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      Thread.sleep(5); // polling another thread's counter; no event to wait on
    }
    return true;
  }
}
