package dev.headroom.bench.http;

import com.sun.net.httpserver.HttpServer;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.headroom.http.HeadroomHttpClient;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.functions.CheckedSupplier;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One GET to a loopback JDK {@code HttpServer} that answers 200 at once: a bare
 * {@code HttpClient.send} with a 2 s request timeout, the same call through
 * {@link HeadroomHttpClient} at its defaults (breaker, adaptive deadline as the request
 * timeout, retry budget, per-host meters), through Resilience4j's circuit breaker
 * ({@code decorateCheckedSupplier}, count window of 100) and through Failsafe
 * ({@code Failsafe.with(retryPolicy, circuitBreaker, timeout)}). The difference to {@code bare}
 * is each wrapper's overhead per call.
 *
 * <p>The fork runs with {@code sun.net.httpserver.nodelay=true}: the JDK server writes headers
 * and body apart, and without TCP_NODELAY every answer waits about 40 ms for the client's
 * delayed ACK, which would bury the overhead measured here.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar HttpClientBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
public class HttpClientBenchmark {

  /** Which client. */
  @Param({"bare", "headroom", "resilience4j", "failsafe"})
  public String impl;

  private HttpServer server;
  private ExecutorService serverThreads;
  private HttpClient jdk;
  private HttpRequest request;
  private HttpRequest timedRequest;
  private HeadroomHttpClient headroom;
  private CheckedSupplier<HttpResponse<Void>> resilience4j;
  private FailsafeExecutor<HttpResponse<Void>> failsafe;

  /** Starts the loopback server and builds the selected client. */
  @Setup
  public void setUp() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    serverThreads = Executors.newFixedThreadPool(2);
    server.setExecutor(serverThreads);
    byte[] body = "ok".getBytes();
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    jdk = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/x");
    request = HttpRequest.newBuilder(uri).GET().build();
    timedRequest = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
    headroom = HeadroomHttpClient.builder(jdk).build();
    CircuitBreaker cb = CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
        .slidingWindowSize(100).build());
    resilience4j = CircuitBreaker.decorateCheckedSupplier(cb,
        () -> jdk.send(timedRequest, BodyHandlers.discarding()));
    failsafe = Failsafe.with(
        RetryPolicy.<HttpResponse<Void>>builder().withMaxAttempts(3).build(),
        dev.failsafe.CircuitBreaker.<HttpResponse<Void>>builder()
            .withFailureThreshold(50, 100).build(),
        Timeout.<HttpResponse<Void>>of(Duration.ofSeconds(2)));
  }

  /** Stops the server. */
  @TearDown
  public void tearDown() {
    server.stop(0);
    serverThreads.shutdownNow();
  }

  /** One GET through the selected client. */
  @Benchmark
  public int get() throws Throwable {
    return switch (impl) {
      case "bare" -> jdk.send(timedRequest, BodyHandlers.discarding()).statusCode();
      case "headroom" -> headroom.send(request, BodyHandlers.discarding()).statusCode();
      case "resilience4j" -> resilience4j.get().statusCode();
      case "failsafe" -> failsafe.get(() -> jdk.send(timedRequest, BodyHandlers.discarding()))
          .statusCode();
      default -> throw new IllegalArgumentException("impl: " + impl);
    };
  }
}
