package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import dev.headroom.shed.Priority;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's server example over real HTTP on loopback: the probes follow the warm-up, and
 * with the shedder filled to LOW's share a prefetch is refused with 429 and Retry-After while
 * the plan submission and the liveness probe are served.
 */
class PlanServerExampleTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void probesFollowWarmUpAndLowIsShedFirst() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    HttpHandler app = exchange -> {
      if (exchange.getRequestURI().getPath().startsWith("/slow")) {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    };
    try (PlanServerExample server = new PlanServerExample(app)) {
      assertEquals(503, get(server, "/health/startup").statusCode(), "warming up");
      assertEquals(200, get(server, "/health/live").statusCode(), "live from the start");
      server.warmedUp();
      assertEquals(200, get(server, "/health/startup").statusCode());
      assertEquals(200, get(server, "/health/ready").statusCode());

      // Fill the shedder with NORMAL requests that block, up to LOW's share of the limit.
      int lowThreshold = server.shedder().capacity(Priority.LOW);
      List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
      while (server.shedder().inFlight() < lowThreshold) {
        held.add(http.sendAsync(request(server, "/slow"), BodyHandlers.ofString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.shedder().inFlight() < held.size() && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertEquals(held.size(), server.shedder().inFlight(), "each held request admitted");
      }

      HttpResponse<String> prefetch = get(server, "/prefetch/member-7");
      assertEquals(429, prefetch.statusCode());
      assertTrue(prefetch.headers().firstValue("Retry-After").isPresent(), "Retry-After sent");
      assertTrue(prefetch.body().startsWith("shed: "), prefetch.body());
      assertEquals(200, get(server, "/plans/submit").statusCode(), "CRITICAL is served");
      assertEquals(200, get(server, "/health/live").statusCode(), "probes are never shed");

      release.countDown();
      for (CompletableFuture<HttpResponse<String>> f : held) {
        assertEquals(200, f.get(10, TimeUnit.SECONDS).statusCode());
      }
    }
  }

  private HttpRequest request(PlanServerExample server, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .build();
  }

  private HttpResponse<String> get(PlanServerExample server, String path) throws Exception {
    return http.send(request(server, path), BodyHandlers.ofString());
  }
}
