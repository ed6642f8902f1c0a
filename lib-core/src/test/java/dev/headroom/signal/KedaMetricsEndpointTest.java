package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The KEDA metrics-api endpoint, called over loopback with the JDK's own HTTP client. */
class KedaMetricsEndpointTest {

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<KedaMetricsEndpoint> endpoints = new ArrayList<>();
  final ManualClock clock = new ManualClock();
  final AtomicReference<Double> depth = new AtomicReference<>(4_200.0);
  final AtomicReference<Double> waiting = new AtomicReference<>(12.0);
  final AtomicInteger pods = new AtomicInteger(5);
  final Signal queue = Signal.builder("remittance-queue").unit("messages").targetPerPod(100)
      .fleetTotal(depth::get).clock(clock).build();
  final Signal perPod = Signal.builder("api-waiting").unit("requests").targetPerPod(10)
      .perPod(waiting::get).clock(clock).build();

  @AfterEach
  void close() {
    endpoints.forEach(KedaMetricsEndpoint::close);
  }

  KedaMetricsEndpoint start(KedaMetricsEndpoint.Builder b) {
    KedaMetricsEndpoint e = b.port(0).build();
    endpoints.add(e);
    return e.start();
  }

  ReplicaAdvisor advisor() {
    return ReplicaAdvisor.builder("remittance").signal(queue).signal(perPod)
        .currentReplicas(pods::get).clock(clock).build();
  }

  HttpResponse<String> get(KedaMetricsEndpoint e, String path, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + e.port() + path)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      r.headers(headers);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends raw bytes (a malformed target the JDK client refuses to send) and returns the reply. */
  static String raw(KedaMetricsEndpoint e, String requestLine) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", e.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write((requestLine + "\r\nHost: 127.0.0.1\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static void assertNoTrace(String reply) {
    assertFalse(reply.contains("\tat ") || reply.contains("at java.")
        || reply.contains("at dev.headroom"), reply);
    assertTrue(reply.length() < 400, reply);
  }

  @Test
  void everySignalAndTheAdviceAtStablePaths() throws Exception {
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().advisor(advisor()));
    assertTrue(e.address().getAddress().isLoopbackAddress(), "loopback by default");
    HttpResponse<String> r = get(e, "/headroom/signals");
    assertEquals(200, r.statusCode());
    assertEquals("application/json; charset=utf-8",
        r.headers().firstValue("Content-Type").orElseThrow());
    String body = r.body();
    assertEquals(4200.0, Gjson.kedaValue(body, "signals.remittance-queue.value"));
    assertEquals(4200.0, Gjson.kedaValue(body, "signals.remittance-queue.fleetValue"));
    assertEquals(12.0, Gjson.kedaValue(body, "signals.api-waiting.value"));
    assertEquals(60.0, Gjson.kedaValue(body, "signals.api-waiting.fleetValue"), "12 x 5 pods");
    assertEquals(100.0, Gjson.kedaValue(body, "signals.remittance-queue.targetPerPod"));
    assertEquals(42.0, Gjson.kedaValue(body, "advice.desiredReplicas"));
    assertEquals(5.0, Gjson.kedaValue(body, "advice.currentReplicas"));
    assertEquals(5.0, Gjson.kedaValue(body, "pods"));
    assertEquals("scale out from 5 to 42 pods: 'remittance-queue' reads 4200 messages, target"
        + " 100 per pod", Gjson.valueAt(body, "advice.reason"));
    assertEquals("signals", Gjson.valueAt(body, "advice.limitedBy"));

    HttpResponse<String> one = get(e, "/headroom/signals/remittance-queue");
    assertEquals(200, one.statusCode());
    assertEquals(4200.0, Gjson.kedaValue(one.body(), "value"));
    assertEquals("fleet_total", Gjson.valueAt(one.body(), "scope"));
    assertEquals(60.0, Gjson.kedaValue(get(e, "/headroom/signals/api-waiting").body(),
        "fleetValue"));
    HttpResponse<String> advice = get(e, "/headroom/advice");
    assertEquals(42.0, Gjson.kedaValue(advice.body(), "desiredReplicas"));
    assertEquals(42.0, Gjson.kedaValue(advice.body(), "proposals.remittance-queue"));

    depth.set(5_000.0);
    assertEquals(5000.0, Gjson.kedaValue(get(e, "/headroom/signals/remittance-queue").body(),
        "value"), "read at the request");
    assertEquals(5, e.requests(200));
  }

  @Test
  void unknownMalformedAndWrongMethodGetShortJsonErrors() throws Exception {
    Signal never = Signal.perPod("never-read", "items", 1, () -> Double.NaN);
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().signal(queue).signal(never));
    HttpResponse<String> unknown = get(e, "/headroom/signals/nope");
    assertEquals(404, unknown.statusCode());
    assertEquals("unknown signal 'nope'; known: [remittance-queue, never-read]",
        Gjson.valueAt(unknown.body(), "error"));
    assertEquals(404, get(e, "/headroom/advice").statusCode(), "no advisor");
    assertEquals(404, get(e, "/").statusCode());
    assertEquals(404, get(e, "/headroom/other").statusCode());
    assertEquals(400, get(e, "/headroom/signals/Bad.Name").statusCode());
    // A target that is not a URI is refused by the JDK server itself, before any handler,
    // with a one-line 400 (it names the exception, it prints no trace).
    String malformed = raw(e, "GET /headroom/signals/a%zz HTTP/1.1");
    assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed);
    assertNoTrace(malformed);
    assertNoTrace(raw(e, "NONSENSE"));
    HttpResponse<String> unread = get(e, "/headroom/signals/never-read");
    assertEquals(503, unread.statusCode());
    assertEquals("signal 'never-read' has had no valid reading",
        Gjson.valueAt(unread.body(), "error"));
    // In the full document the value is null: KEDA reports an error rather than a number.
    String all = get(e, "/headroom/signals").body();
    assertEquals(Gjson.Type.NULL, Gjson.typeAt(all, "signals.never-read.value"));
    IllegalArgumentException keda = assertThrows(IllegalArgumentException.class,
        () -> Gjson.kedaValue(all, "signals.never-read.value"));
    assertEquals("valueLocation \"signals.never-read.value\" must point to a numeric value or a"
        + " string parseable as a Quantity, got Null", keda.getMessage());

    HttpResponse<String> post = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + e.port() + "/headroom/signals"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
    for (HttpResponse<String> r : List.of(unknown, unread, post)) {
      assertFalse(r.body().contains("Exception"), r.body());
      assertFalse(r.body().contains("\tat "), r.body());
      assertTrue(r.body().length() < 200, r.body());
    }
    HttpResponse<String> head = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + e.port() + "/headroom/signals/remittance-queue"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(1, e.requests(405));
    assertEquals(1, e.requests(503));
  }

  @Test
  void apiKeyInTheDefaultHeader() throws Exception {
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().signal(queue)
        .auth(EndpointAuth.apiKey("s3cret-key")));
    assertEquals(401, get(e, "/headroom/signals").statusCode());
    assertEquals(401, get(e, "/headroom/signals", "X-API-KEY", "wrong").statusCode());
    assertEquals(401, get(e, "/headroom/signals", "X-API-KEY", "s3cret-key-and-more")
        .statusCode());
    assertEquals(401, get(e, "/headroom/signals/nope").statusCode(),
        "authentication before anything else: an outsider cannot list signals");
    HttpResponse<String> ok = get(e, "/headroom/signals/remittance-queue", "x-api-key",
        "s3cret-key");
    assertEquals(200, ok.statusCode());
    assertEquals(4200.0, Gjson.kedaValue(ok.body(), "value"));
    assertEquals(4, e.requests(401));
  }

  @Test
  void apiKeyInACustomHeaderOrTheQuery() throws Exception {
    KedaMetricsEndpoint header = start(KedaMetricsEndpoint.builder().signal(queue)
        .auth(EndpointAuth.apiKeyHeader("X-Headroom-Key", "k1")));
    assertEquals(200, get(header, "/headroom/signals", "X-Headroom-Key", "k1").statusCode());
    assertEquals(401, get(header, "/headroom/signals", "X-API-KEY", "k1").statusCode());

    KedaMetricsEndpoint query = start(KedaMetricsEndpoint.builder().signal(queue)
        .auth(EndpointAuth.apiKeyQuery("api_key", "k 2&x")));
    assertEquals(200, get(query, "/headroom/signals?api_key=k+2%26x").statusCode());
    assertEquals(200, get(query, "/headroom/signals?other=1&api_key=k%202%26x").statusCode());
    assertEquals(401, get(query, "/headroom/signals?api_key=k2").statusCode());
    String malformed = raw(query, "GET /headroom/signals?api_key=%zz HTTP/1.1");
    assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed);
    assertNoTrace(malformed);
  }

  @Test
  void bearerToken() throws Exception {
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().signal(queue)
        .auth(EndpointAuth.bearer("tok.en-123")));
    HttpResponse<String> denied = get(e, "/headroom/signals");
    assertEquals(401, denied.statusCode());
    assertEquals("Bearer realm=\"headroom\"",
        denied.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertEquals("unauthorized", Gjson.valueAt(denied.body(), "error"));
    assertEquals(401, get(e, "/headroom/signals", "Authorization", "Bearer nope").statusCode());
    assertEquals(401, get(e, "/headroom/signals", "Authorization", "Basic tok.en-123")
        .statusCode());
    assertEquals(401, get(e, "/headroom/signals", "Authorization", "Bearer").statusCode());
    assertEquals(200, get(e, "/headroom/signals", "Authorization", "Bearer tok.en-123")
        .statusCode());
    assertEquals(200, get(e, "/headroom/signals", "Authorization", "bearer tok.en-123")
        .statusCode(), "the scheme is case-insensitive");
  }

  @Test
  void basicAuthentication() throws Exception {
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().signal(queue)
        .auth(EndpointAuth.basic("keda", "pässword")));
    String good = Base64.getEncoder().encodeToString("keda:pässword".getBytes(
        StandardCharsets.UTF_8));
    String bad = Base64.getEncoder().encodeToString("keda:password".getBytes(
        StandardCharsets.UTF_8));
    HttpResponse<String> denied = get(e, "/headroom/signals");
    assertEquals("Basic realm=\"headroom\", charset=\"UTF-8\"",
        denied.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertEquals(401, get(e, "/headroom/signals", "Authorization", "Basic " + bad).statusCode());
    assertEquals(401, get(e, "/headroom/signals", "Authorization", "Basic !!not-base64!!")
        .statusCode(), "malformed credentials are refused, never a trace");
    assertEquals(200, get(e, "/headroom/signals", "Authorization", "Basic " + good)
        .statusCode());
  }

  @Test
  void authenticationRejectsBadConfiguration() {
    assertEquals("key must be non-blank (was \" \")",
        assertThrows(IllegalArgumentException.class, () -> EndpointAuth.apiKey(" "))
            .getMessage());
    assertEquals("username must be free of ':' (was \"a:b\")",
        assertThrows(IllegalArgumentException.class, () -> EndpointAuth.basic("a:b", "p"))
            .getMessage());
    assertEquals("signals or advisor must be set",
        assertThrows(IllegalStateException.class, () -> KedaMetricsEndpoint.builder().build())
            .getMessage());
    assertEquals("port must be in [0, 65535] (was 70000)",
        assertThrows(IllegalArgumentException.class,
            () -> KedaMetricsEndpoint.builder().port(70_000)).getMessage());
    Signal twin = Signal.perPod("remittance-queue", "x", 1, () -> 1);
    assertEquals("signal remittance-queue must be one signal per name (was " + twin + ")",
        assertThrows(IllegalArgumentException.class,
            () -> KedaMetricsEndpoint.builder().signal(queue).signal(twin).build())
            .getMessage());
    EndpointAuth a = EndpointAuth.bearer("t");
    assertTrue(a.accepts(Map.of("authorization", List.of("Bearer t")), null));
    assertFalse(a.accepts(Map.of(), null));
    assertNull(EndpointAuth.apiKey("k").challenge());
  }

  /**
   * A flood of requests against one answering thread whose signal read is stuck: the caller's
   * own thread is never blocked, the endpoint never grows past its threads, excess connections
   * are closed, and it answers normally once the read is released.
   */
  @Test
  void aFloodCannotBlockTheApplication() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    Signal slow = Signal.perPod("slow", "items", 1, () -> {
      entered.countDown();
      try {
        stuck.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 1;
    });
    KedaMetricsEndpoint e = start(KedaMetricsEndpoint.builder().signal(slow).signal(queue)
        .threads(1).queueCapacity(2));
    URI uri = URI.create("http://127.0.0.1:" + e.port() + "/headroom/signals/slow");
    List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
    HttpClient floodClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .build();
    flood.add(floodClient.sendAsync(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString()));
    assertTrue(entered.await(10, TimeUnit.SECONDS));
    for (int i = 0; i < 40; i++) {
      flood.add(floodClient.sendAsync(HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    // The application's thread goes on: it reads the signal itself, at once.
    long t0 = System.nanoTime();
    assertEquals(4200.0, queue.read());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
    long endpointThreads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("headroom-keda-endpoint-" + e.port() + "-"))
        .count();
    assertTrue(endpointThreads <= 1, endpointThreads + " endpoint threads");

    stuck.countDown();
    int answered = 0;
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> f : flood) {
      try {
        assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
        answered++;
      } catch (java.util.concurrent.ExecutionException closed) {
        assertTrue(closed.getCause() instanceof IOException, closed.toString());
        refused++;
      }
    }
    assertEquals(41, answered + refused);
    assertTrue(answered >= 1, "the first request is answered");
    assertEquals(200, get(e, "/headroom/signals/remittance-queue").statusCode(),
        "the endpoint answers normally after the flood");
  }
}
