package dev.headroom.samples;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.headroom.http.PriorityRules;
import dev.headroom.http.ProbeHandler;
import dev.headroom.http.ReadinessGate;
import dev.headroom.http.ShedHandler;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The server side of the README's HTTP section: a JDK {@link HttpServer} whose routes pass
 * through a {@link LoadShedder} by priority ({@link ShedHandler}), with startup, readiness and
 * liveness probes from a {@link ReadinessGate} ({@link ProbeHandler}) that are never shed. The
 * servlet form is the same with {@code ShedFilter} and {@code ProbeServlet}.
 */
public final class PlanServerExample implements AutoCloseable {

  private final HttpServer server;
  private final LoadShedder shedder;
  private final ReadinessGate gate;
  private final ExecutorService workers;

  /**
   * Starts the server on a free loopback port.
   *
   * @param app the application's handler (plan submission, options, prefetch)
   * @throws IOException if the server cannot bind
   */
  public PlanServerExample(HttpHandler app) throws IOException {
    shedder = LoadShedder.builder("plans").build();
    // tag::rules[]
    PriorityRules rules = PriorityRules.builder()
        .route("/plans/submit", Priority.CRITICAL)   // the request the incident lost
        .route("/prefetch/", Priority.LOW)           // shed first
        .header("X-Priority")                        // low, normal, high from callers
        .defaultPriority(Priority.NORMAL)
        .build();
    gate = ReadinessGate.builder()
        .warmUp("credit-cache-preload")              // not started until the preload is done
        .shedderRefusingMost(shedder, 0.5)           // not ready while shedding most traffic
        .build();
    // end::rules[]

    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    workers = Executors.newFixedThreadPool(32);
    server.setExecutor(workers);
    // tag::contexts[]
    server.createContext("/health/", new ProbeHandler(gate));   // startup, ready, live
    server.createContext("/", new ShedHandler(shedder, rules, app));
    // end::contexts[]
    server.start();
  }

  /**
   * Declares the warm-up done: the startup probe answers 200 from now on.
   */
  public void warmedUp() {
    gate.done("credit-cache-preload");
  }

  /**
   * Returns the server's port.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Returns the shedder every request passes.
   *
   * @return the shedder
   */
  public LoadShedder shedder() {
    return shedder;
  }

  /**
   * Returns the probes' gate.
   *
   * @return the gate
   */
  public ReadinessGate gate() {
    return gate;
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }

  /**
   * Starts the server with an application that answers {@code ok}, prints its probes' state
   * before and after warm-up, and stops.
   *
   * @param args ignored
   * @throws IOException if the server cannot bind
   */
  public static void main(String[] args) throws IOException {
    HttpHandler app = exchange -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    };
    try (PlanServerExample server = new PlanServerExample(app)) {
      System.out.println("started " + server.gate().isStarted() + ", ready "
          + server.gate().isReady());
      server.warmedUp();
      System.out.println("started " + server.gate().isStarted() + ", ready "
          + server.gate().isReady() + ", live " + server.gate().liveness().ok());
    }
  }
}
