package dev.headroom.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Wraps a JDK {@link HttpHandler} ({@code com.sun.net.httpserver}) so that each request passes
 * through a {@link LoadShedder} first; the same rules and answers as {@link ShedFilter}: the
 * priority from {@link PriorityRules}, probe paths CRITICAL, a refusal answered with 429,
 * {@code Retry-After} and a one-line body naming the reason.
 *
 * <pre>{@code
 * server.createContext("/", new ShedHandler(shedder, PriorityRules.builder().build(), app));
 * }</pre>
 *
 * <p>The permit is completed when the wrapped handler returns: success, or a drop if the
 * handler threw or sent a 5xx. A handler that answers later from another thread should
 * complete its own accounting; this wrapper times the synchronous part only.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ShedHandler implements HttpHandler, Instrumented {

  private final LoadShedder shedder;
  private final PriorityRules rules;
  private final HttpHandler delegate;

  /**
   * Creates the wrapper.
   *
   * @param shedder the shedder every request passes through
   * @param rules how a request gets its priority
   * @param delegate the application's handler
   * @throws IllegalArgumentException if an argument is null
   */
  public ShedHandler(LoadShedder shedder, PriorityRules rules, HttpHandler delegate) {
    this.shedder = Checks.requireNonNull("shedder", shedder);
    this.rules = Checks.requireNonNull("rules", rules);
    this.delegate = Checks.requireNonNull("delegate", delegate);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    Priority priority = rules.resolve(path == null ? "/" : path,
        exchange.getRequestHeaders().getFirst(rules.header()));
    Permit permit = shedder.tryAcquire(priority);
    if (!permit.isAdmitted()) {
      try {
        byte[] body = Refusal.body(permit);
        exchange.getResponseHeaders().set("Retry-After", Refusal.retryAfter(permit));
        exchange.getResponseHeaders().set("Content-Type", "text/plain;charset=utf-8");
        exchange.sendResponseHeaders(Refusal.STATUS, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      } finally {
        exchange.close();
      }
      return;
    }
    try {
      delegate.handle(exchange);
    } catch (IOException | RuntimeException | Error e) {
      permit.onDropped();
      throw e;
    }
    Refusal.complete(permit, exchange.getResponseCode());
  }

  @Override
  public void describeMeters(MeterSink sink) {
    Refusal.describe(sink, shedder, rules);
  }

  @Override
  public String toString() {
    return "ShedHandler[" + shedder + ", " + rules + "]";
  }
}
