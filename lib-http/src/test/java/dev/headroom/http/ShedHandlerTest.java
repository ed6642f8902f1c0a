package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ShedHandler} and {@link ProbeHandler} on the JDK HttpServer. */
class ShedHandlerTest {

  @Test
  void lowIsRefusedWith429WhileProbesAnswerAndTheGateFlips() throws Exception {
    LoadShedder shedder = LoadShedder.builder("jdk").limit(LimitPolicy.fixed(2)).build();
    PriorityRules rules = PriorityRules.builder().build();
    ReadinessGate gate = ReadinessGate.builder().warmUp("pool-min-idle")
        .shedderRefusingMost(shedder, 0.5).build();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    server.setExecutor(pool);
    server.createContext("/", new ShedHandler(shedder, rules, exchange -> {
      entered.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "done".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }));
    server.createContext("/health", new ShedHandler(shedder, rules, new ProbeHandler(gate)));
    server.start();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    try {
      assertEquals(503, send(client, base + "/health/startup", null).statusCode());
      gate.done("pool-min-idle");
      assertEquals(200, send(client, base + "/health/ready", null).statusCode());

      CompletableFuture<HttpResponse<String>> held = client.sendAsync(
          HttpRequest.newBuilder(URI.create(base + "/work")).header("X-Priority", "low")
              .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
      assertTrue(entered.await(5, TimeUnit.SECONDS));
      for (int i = 0; i < 25; i++) {
        HttpResponse<String> low = send(client, base + "/work", "low");
        assertEquals(429, low.statusCode());
        assertEquals("1", low.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(low.body().startsWith("shed: LIMIT (priority LOW"), low.body());
      }
      HttpResponse<String> live = send(client, base + "/health/live", "low");
      assertEquals(200, live.statusCode(), "probes are CRITICAL");
      HttpResponse<String> ready = send(client, base + "/health/ready", null);
      assertEquals(503, ready.statusCode(), "refusing most traffic: not ready");
      release.countDown();
      assertEquals(200, held.get(5, TimeUnit.SECONDS).statusCode(), "nothing hangs");
      awaitNoneInFlight(shedder, "the held request's permit was completed");
      for (int i = 0; i < 25; i++) {
        // LOW's capacity is 1: the previous request's permit must be back before the next.
        awaitNoneInFlight(shedder, "request " + i + "'s predecessor was completed");
        assertEquals(200, send(client, base + "/work", "low").statusCode(), "request " + i);
      }
      assertEquals(200, send(client, base + "/health/ready", null).statusCode(), "ready again");
      awaitNoneInFlight(shedder, "every permit was completed");
    } finally {
      release.countDown();
      server.stop(0);
      pool.shutdownNow();
    }
  }

  /**
   * The client has an answer once the inner handler closed the body; ShedHandler completes the
   * permit just after, on the server's thread. Waits for that, not for a time.
   */
  private static void awaitNoneInFlight(LoadShedder shedder, String what) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (shedder.inFlight() != 0 && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
    assertEquals(0, shedder.inFlight(), what);
  }

  private static HttpResponse<String> send(HttpClient client, String uri, String priority)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri))
        .timeout(Duration.ofSeconds(5));
    if (priority != null) {
      b.header("X-Priority", priority);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }
}
