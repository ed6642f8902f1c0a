package dev.headroom.bench.http;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.headroom.http.PriorityRules;
import dev.headroom.http.ShedHandler;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
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
 * The server-side shedding wrapper's cost per request. {@code request}: a GET to a loopback JDK
 * {@code HttpServer} whose handler answers 200 at once, plain ({@code bare}) or wrapped in
 * {@link ShedHandler} ({@code shed}: priority rules with a header, an admission, a completion);
 * the same path as the servlet {@code ShedFilter}. {@code admission}: the wrapper's own work
 * without the network (resolve the priority from path and header, acquire, complete).
 *
 * <p>The fork runs with {@code sun.net.httpserver.nodelay=true}: the JDK server writes headers
 * and body apart, and without TCP_NODELAY every answer waits about 40 ms for the client's
 * delayed ACK, which would bury the overhead measured here.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ShedFilterBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
public class ShedFilterBenchmark {

  /** Whether the handler is wrapped. */
  @Param({"bare", "shed"})
  public String server;

  private HttpServer http;
  private ExecutorService threads;
  private HttpClient client;
  private HttpRequest request;
  private LoadShedder shedder;
  private PriorityRules rules;

  /** Starts the server. */
  @Setup
  public void setUp() throws Exception {
    shedder = LoadShedder.builder("bench").limit(LimitPolicy.fixed(1000)).build();
    rules = PriorityRules.builder().route("/bulk/", Priority.LOW).build();
    byte[] body = "ok".getBytes();
    HttpHandler app = exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    };
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    threads = Executors.newFixedThreadPool(2);
    http.setExecutor(threads);
    http.createContext("/", "shed".equals(server) ? new ShedHandler(shedder, rules, app) : app);
    http.start();
    client = HttpClient.newHttpClient();
    request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/plans"))
        .header("X-Priority", "high").GET().build();
  }

  /** Stops the server. */
  @TearDown
  public void tearDown() {
    http.stop(0);
    threads.shutdownNow();
  }

  /** One request over loopback. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int request() throws Exception {
    return client.send(request, BodyHandlers.discarding()).statusCode();
  }

  /** The wrapper's own work: priority, admission, completion. */
  @Benchmark
  public boolean admission() {
    Priority p = rules.resolve("/plans", "high");
    Permit permit = shedder.tryAcquire(p);
    boolean admitted = permit.isAdmitted();
    permit.onSuccess();
    return admitted;
  }
}
