package dev.headroom.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.headroom.core.Checks;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The startup, readiness and liveness endpoints of a {@link ReadinessGate} for the JDK
 * {@code HttpServer}: register it on a context such as {@code /health} and it answers
 * {@code .../startup}, {@code .../ready} and {@code .../live} with 200 {@code ok} or 503 and one
 * reason per line; any other path is 404.
 *
 * <pre>{@code
 * server.createContext("/health", new ProbeHandler(gate));
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ProbeHandler implements HttpHandler {

  private final ReadinessGate gate;

  /**
   * Creates the handler.
   *
   * @param gate the gate it reports
   * @throws IllegalArgumentException if {@code gate} is null
   */
  public ProbeHandler(ReadinessGate gate) {
    this.gate = Checks.requireNonNull("gate", gate);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getPath();
      ReadinessGate.Status status = probe(gate, path == null ? "" : path);
      byte[] body = (status == null ? "not found\n" : body(status))
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain;charset=utf-8");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(status == null ? 404 : status.ok() ? 200 : 503, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } finally {
      exchange.close();
    }
  }

  /** The status for a path ending in startup, ready or live; null for any other. */
  static ReadinessGate.Status probe(ReadinessGate gate, String path) {
    if (path.endsWith("/startup")) {
      return gate.startup();
    }
    if (path.endsWith("/ready")) {
      return gate.readiness();
    }
    if (path.endsWith("/live")) {
      return gate.liveness();
    }
    return null;
  }

  static String body(ReadinessGate.Status status) {
    return status.ok() ? "ok\n" : String.join("\n", status.reasons()) + "\n";
  }
}
