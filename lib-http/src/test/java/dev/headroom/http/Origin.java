package dev.headroom.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A loopback origin for tests: a JDK {@link HttpServer} whose answer to the n-th request is
 * chosen by a function the test can swap at any time: a delay, a status, headers, a hang (no
 * answer until {@link #releaseHangs()} or close) or a dropped connection. Delays are served
 * from a scheduler, so a thousand slow requests need no thousand threads.
 */
final class Origin implements AutoCloseable {

  /** What to do with one request. */
  record Action(long delayMillis, int status, Map<String, String> headers, boolean hang,
      boolean drop) {
    static Action ok(long delayMillis) {
      return new Action(delayMillis, 200, Map.of(), false, false);
    }

    static Action status(int status, Map<String, String> headers) {
      return new Action(0, status, headers, false, false);
    }

    static Action hanging() {
      return new Action(0, 0, Map.of(), true, false);
    }

    static Action dropped() {
      return new Action(0, 0, Map.of(), false, true);
    }
  }

  private final HttpServer server;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4);
  private final ThreadPoolExecutor handlers =
      (ThreadPoolExecutor) Executors.newFixedThreadPool(8);
  private final ConcurrentLinkedQueue<HttpExchange> hung = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();
  private final AtomicLong methodsPost = new AtomicLong();
  private volatile IntFunction<Action> behaviour = n -> Action.ok(0);

  Origin() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    server.createContext("/", this::handle);
    server.setExecutor(handlers);
    server.start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  void behave(IntFunction<Action> value) {
    this.behaviour = value;
  }

  int requests() {
    return requests.get();
  }

  long posts() {
    return methodsPost.get();
  }

  /** System.nanoTime() of every arrival, in order. */
  List<Long> arrivals() {
    return List.copyOf(arrivals);
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  int inFlight() {
    return inFlight.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    arrivals.add(System.nanoTime());
    int n = requests.incrementAndGet();
    if ("POST".equals(exchange.getRequestMethod())) {
      methodsPost.incrementAndGet();
    }
    exchange.getRequestBody().readAllBytes();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    Action a = behaviour.apply(n);
    if (a.hang()) {
      hung.add(exchange);
      return;
    }
    if (a.drop()) {
      inFlight.decrementAndGet();
      exchange.close();
      return;
    }
    if (a.delayMillis() > 0) {
      scheduler.schedule(() -> respond(exchange, a), a.delayMillis(), TimeUnit.MILLISECONDS);
    } else {
      respond(exchange, a);
    }
  }

  private void respond(HttpExchange exchange, Action a) {
    try {
      a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] body = ("status " + a.status()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(a.status(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException e) {
      // The client gave up (timeout): its connection is gone.
    } finally {
      inFlight.decrementAndGet();
      exchange.close();
    }
  }

  /** Closes every hung exchange. */
  void releaseHangs() {
    HttpExchange e;
    while ((e = hung.poll()) != null) {
      inFlight.decrementAndGet();
      e.close();
    }
  }

  @Override
  public void close() {
    releaseHangs();
    server.stop(0);
    scheduler.shutdownNow();
    handlers.shutdownNow();
  }
}
