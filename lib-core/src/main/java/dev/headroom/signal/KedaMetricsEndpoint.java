package dev.headroom.signal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * An HTTP endpoint for KEDA's {@code metrics-api} scaler, on the JDK's built-in HTTP server
 * ({@code com.sun.net.httpserver}): every signal's value and the replica advice as JSON, at
 * stable paths for the scaler's {@code valueLocation} (a GJSON path).
 *
 * <table>
 *   <caption>Paths (prefix {@code /headroom} by default)</caption>
 *   <tr><th>GET</th><th>answers</th><th>{@code valueLocation}</th></tr>
 *   <tr><td>{@code /headroom/signals}</td><td>every signal and the advice</td>
 *       <td>{@code signals.<name>.value}, {@code signals.<name>.fleetValue},
 *       {@code advice.desiredReplicas}</td></tr>
 *   <tr><td>{@code /headroom/signals/<name>}</td><td>one signal; 404 for an unknown name,
 *       503 while it has had no valid reading</td><td>{@code value}, {@code fleetValue}</td></tr>
 *   <tr><td>{@code /headroom/advice}</td><td>the advice; 404 without an advisor</td>
 *       <td>{@code desiredReplicas}</td></tr>
 * </table>
 *
 * <p>A signal's document:
 *
 * <pre>{@code
 * {"name":"remittance-queue","value":4200,"fleetValue":4200,"targetPerPod":100,
 *  "unit":"messages","scope":"fleet_total","valid":true,"ageSeconds":0,"pods":5}
 * }</pre>
 *
 * <p>{@code value} is the signal read at the request (the last valid reading if this one was
 * skipped, then {@code valid} is false); {@code fleetValue} is the fleet's total: the value of a
 * fleet-total signal, or the value times the current pod count of a per-pod one (null when the
 * count is unknown, which it is without an advisor). KEDA's metrics-api scaler asks the HPA for
 * an {@code AverageValue} target, so {@code targetValue} is per pod: with one pod answering for
 * the fleet, point {@code valueLocation} at {@code fleetValue} and set {@code targetValue} to the
 * signal's target; with {@code aggregateFromKubeServiceEndpoints} (KEDA 2.18+) every pod answers
 * for itself, and {@code value} with {@code aggregationType: sum} (per-pod signals) or
 * {@code max} (fleet totals) gives the same total. {@code advice.desiredReplicas} with
 * {@code targetValue: "1"} makes the HPA follow the advice.
 *
 * <h2>Safety</h2>
 *
 * <ul>
 *   <li>Bound to loopback unless {@link Builder#bindAddress} says otherwise (KEDA reaches a pod
 *       on its pod IP: bind the wildcard address and use authentication or a network policy).
 *   <li>Authentication by {@link EndpointAuth} (API key, bearer token, basic), checked before
 *       anything else, in constant time; a failure is 401 with a challenge.
 *   <li>A malformed path is 400, a method other than GET or HEAD 405; every error is a short
 *       JSON document, never an exception trace. An unexpected failure is 500, counted.
 *   <li>Requests run on a bounded executor ({@code threads}, default 2, and a queue of
 *       {@code queueCapacity}, default 32), separate from the application's threads: a flood
 *       gets its connections closed once the queue is full and can take nothing from the
 *       application but those threads' CPU. The JDK server reads request headers on these
 *       threads, so a client that sends them slowly holds one; expose the endpoint only to
 *       the cluster.
 * </ul>
 *
 * <p>Meters: {@code headroom.signal.endpoint.requests} (tag {@code status}).
 *
 * <p>Thread-safety: safe for concurrent use; {@link #start()} and {@link #close()} may be called
 * from any thread, once each.
 */
public final class KedaMetricsEndpoint implements Instrumented, AutoCloseable {

  /** Default port. */
  public static final int DEFAULT_PORT = 9095;
  /** Default path prefix. */
  public static final String DEFAULT_PREFIX = "/headroom";

  private static final int[] STATUSES = {200, 400, 401, 404, 405, 500, 503};

  private final Map<String, Signal> signals;
  private final ReplicaAdvisor advisor;
  private final EndpointAuth auth;
  private final InetAddress bindAddress;
  private final int requestedPort;
  private final String prefix;
  private final int threads;
  private final int queueCapacity;
  private final LongAdder[] byStatus = new LongAdder[STATUSES.length];
  private final Object lifecycle = new Object();
  private HttpServer server;
  private ThreadPoolExecutor executor;
  private boolean closed;

  private KedaMetricsEndpoint(Builder b) {
    Map<String, Signal> all = new LinkedHashMap<>();
    if (b.advisor != null) {
      for (Signal s : b.advisor.signals()) {
        all.put(s.name(), s);
      }
    }
    for (Signal s : b.signals) {
      Signal before = all.putIfAbsent(s.name(), s);
      Checks.requireArgument(before == null || before == s, "signal " + s.name(),
          "one signal per name", s);
    }
    this.signals = all;
    this.advisor = b.advisor;
    this.auth = b.auth == null ? EndpointAuth.none() : b.auth;
    this.bindAddress = b.bindAddress == null ? InetAddress.getLoopbackAddress() : b.bindAddress;
    this.requestedPort = b.port < 0 ? DEFAULT_PORT : b.port;
    this.prefix = b.prefix == null ? DEFAULT_PREFIX : b.prefix;
    this.threads = b.threads <= 0 ? 2 : b.threads;
    this.queueCapacity = b.queueCapacity <= 0 ? 32 : b.queueCapacity;
    for (int i = 0; i < byStatus.length; i++) {
      byStatus[i] = new LongAdder();
    }
  }

  /**
   * Starts an endpoint.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the port and starts answering.
   *
   * @return this endpoint
   * @throws UncheckedIOException if the port cannot be bound
   * @throws IllegalStateException if already started or closed
   */
  public KedaMetricsEndpoint start() {
    synchronized (lifecycle) {
      Checks.requireState(server == null && !closed, "the endpoint can be started once");
      HttpServer s;
      try {
        s = HttpServer.create(new InetSocketAddress(bindAddress, requestedPort), 64);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot bind the KEDA metrics endpoint to "
            + bindAddress.getHostAddress() + ":" + requestedPort, e);
      }
      AtomicInteger n = new AtomicInteger();
      String prefix = "headroom-keda-endpoint-" + s.getAddress().getPort() + "-";
      ThreadFactory factory = r -> {
        Thread t = new Thread(r, prefix + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
      executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(queueCapacity), factory, new ThreadPoolExecutor.AbortPolicy());
      executor.allowCoreThreadTimeOut(true);
      s.setExecutor(executor);
      s.createContext("/", this::handle);
      s.start();
      server = s;
      return this;
    }
  }

  /**
   * Returns the port the endpoint listens on.
   *
   * @return the bound port (the actual one when port 0 was asked for)
   * @throws IllegalStateException if not started
   */
  public int port() {
    synchronized (lifecycle) {
      Checks.requireState(server != null, "the endpoint is not started");
      return server.getAddress().getPort();
    }
  }

  /**
   * Returns the address the endpoint listens on.
   *
   * @return the bound address
   * @throws IllegalStateException if not started
   */
  public InetSocketAddress address() {
    synchronized (lifecycle) {
      Checks.requireState(server != null, "the endpoint is not started");
      return server.getAddress();
    }
  }

  /** Stops answering and releases the port and the threads. Idempotent; never throws. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      if (server != null) {
        server.stop(0);
        executor.shutdownNow();
      }
    }
  }

  /**
   * Returns how many requests were answered with a status.
   *
   * @param status an HTTP status: 200, 400, 401, 404, 405, 500 or 503
   * @return the count
   * @throws IllegalArgumentException if the endpoint never answers with that status
   */
  public long requests(int status) {
    return byStatus[index(status)].sum();
  }

  private static int index(int status) {
    for (int i = 0; i < STATUSES.length; i++) {
      if (STATUSES[i] == status) {
        return i;
      }
    }
    throw new IllegalArgumentException(Checks.message("status",
        "one of 200, 400, 401, 404, 405, 500, 503", status));
  }

  @Override
  public void describeMeters(MeterSink sink) {
    for (int status : STATUSES) {
      sink.counter(MeterId.of("headroom.signal.endpoint.requests")
          .tag("status", Integer.toString(status))
          .description("Requests to the KEDA metrics endpoint by status"),
          () -> requests(status));
    }
  }

  private void handle(HttpExchange exchange) {
    try {
      Answer answer;
      try {
        answer = answer(exchange);
      } catch (RuntimeException unexpected) {
        answer = Answer.error(500, "internal error");
      }
      byStatus[index(answer.status)].increment();
      send(exchange, answer);
    } catch (IOException | RuntimeException gone) {
      // The client went away while we wrote; nothing to tell it.
    } finally {
      exchange.close();
    }
  }

  private Answer answer(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String rawQuery = exchange.getRequestURI().getRawQuery();
    boolean authenticated;
    try {
      authenticated = auth.accepts(exchange.getRequestHeaders(), rawQuery);
    } catch (IllegalArgumentException malformedQuery) {
      return Answer.error(400, "malformed query string");
    }
    if (!authenticated) {
      Answer a = Answer.error(401, "unauthorized");
      a.challenge = auth.challenge();
      return a;
    }
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      Answer a = Answer.error(405, "method must be GET or HEAD");
      a.allow = true;
      return a;
    }
    String rawPath = exchange.getRequestURI().getRawPath();
    if (rawPath == null || !rawPath.startsWith(prefix + "/")) {
      return Answer.error(404, "no such path; try " + prefix + "/signals");
    }
    String rest = rawPath.substring(prefix.length() + 1);
    if (rest.equals("signals") || rest.equals("signals/")) {
      return Answer.ok(all());
    }
    if (rest.equals("advice") || rest.equals("advice/")) {
      if (advisor == null) {
        return Answer.error(404, "no replica advisor is configured");
      }
      return Answer.ok(advice(new Json(), advisor.latest()).toString());
    }
    if (rest.startsWith("signals/")) {
      String name;
      try {
        name = URLDecoder.decode(rest.substring("signals/".length()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException malformed) {
        return Answer.error(400, "malformed percent-encoding in the path");
      }
      if (name.endsWith("/")) {
        name = name.substring(0, name.length() - 1);
      }
      if (!Signal.NAME.matcher(name).matches()) {
        return Answer.error(400, "a signal name is 1 to 63 of [a-z0-9_-]");
      }
      Signal s = signals.get(name);
      if (s == null) {
        return Answer.error(404, "unknown signal '" + name + "'; known: " + signals.keySet());
      }
      int pods = pods();
      Json json = new Json().begin();
      boolean known = signal(json, s, pods);
      json.end();
      if (!known) {
        return Answer.error(503, "signal '" + name + "' has had no valid reading");
      }
      return Answer.ok(json.toString());
    }
    return Answer.error(404, "no such path; try " + prefix + "/signals");
  }

  private int pods() {
    return advisor == null ? -1 : advisor.currentReplicas();
  }

  private String all() {
    int pods = pods();
    Json json = new Json().begin();
    if (advisor != null) {
      json.key("name").value(advisor.name());
    }
    json.key("pods");
    if (pods < 0) {
      json.nullValue();
    } else {
      json.value(pods);
    }
    json.key("signals").begin();
    for (Signal s : signals.values()) {
      json.key(s.name()).begin();
      signal(json, s, pods);
      json.end();
    }
    json.end();
    if (advisor != null) {
      json.key("advice");
      advice(json, advisor.latest());
    }
    return json.end().toString();
  }

  /** Writes a signal's fields; returns false when it has never had a valid reading. */
  private static boolean signal(Json json, Signal s, int pods) {
    double now = s.read();
    boolean valid = !Double.isNaN(now);
    double value = valid ? now : s.lastValue();
    boolean known = !Double.isNaN(value);
    json.key("name").value(s.name());
    json.key("value").value(value);
    json.key("fleetValue");
    if (known && (s.scope() == SignalScope.FLEET_TOTAL || pods >= 0)) {
      json.value(s.fleetValue(value, Math.max(pods, 0)));
    } else {
      json.nullValue();
    }
    json.key("targetPerPod").value(s.targetPerPod());
    json.key("unit").value(s.unit());
    json.key("scope").value(s.scope().label());
    json.key("valid").value(valid);
    json.key("ageSeconds").value(s.ageNanos() / 1e9);
    json.key("pods");
    if (pods < 0) {
      json.nullValue();
    } else {
      json.value(pods);
    }
    return known;
  }

  private static Json advice(Json json, ReplicaAdvice a) {
    json.begin();
    json.key("name").value(a.name());
    json.key("desiredReplicas").value(a.desiredReplicas());
    json.key("currentReplicas").value(a.currentReplicas());
    json.key("recommendedReplicas").value(a.recommendedReplicas());
    json.key("limitedBy").value(a.limitedBy().name().toLowerCase(java.util.Locale.ROOT));
    json.key("held").value(a.held());
    json.key("capped").value(a.capped());
    json.key("reason").value(a.reason());
    json.key("proposals").begin();
    for (ReplicaAdvice.Proposal p : a.proposals()) {
      json.key(p.signal());
      if (p.valid()) {
        json.value(p.replicas());
      } else {
        json.nullValue();
      }
    }
    json.end();
    return json.end();
  }

  private static void send(HttpExchange exchange, Answer answer) throws IOException {
    byte[] body = answer.body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if (answer.challenge != null) {
      exchange.getResponseHeaders().set("WWW-Authenticate", answer.challenge);
    }
    if (answer.allow) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
    }
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(answer.status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static final class Answer {
    final int status;
    final String body;
    String challenge;
    boolean allow;

    private Answer(int status, String body) {
      this.status = status;
      this.body = body;
    }

    static Answer ok(String body) {
      return new Answer(200, body);
    }

    static Answer error(int status, String message) {
      return new Answer(status, new Json().begin().key("status").value(status)
          .key("error").value(message).end().toString());
    }
  }

  /**
   * Builds a {@link KedaMetricsEndpoint}. Each setter validates its argument and may be called
   * once ({@link #signal} once per signal).
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final List<Signal> signals = new ArrayList<>();
    private ReplicaAdvisor advisor;
    private EndpointAuth auth;
    private InetAddress bindAddress;
    private int port = -1;
    private String prefix;
    private int threads;
    private int queueCapacity;

    private Builder() {}

    /**
     * Publishes a signal (an advisor's signals are published without this).
     *
     * @param signal the signal
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder signal(Signal signal) {
      signals.add(Checks.requireNonNull("signal", signal));
      return this;
    }

    /**
     * Publishes an advisor's advice and its signals.
     *
     * @param value the advisor
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder advisor(ReplicaAdvisor value) {
      Checks.requireNonNull("advisor", value);
      Checks.requireNotSet(advisor == null, "advisor", advisor);
      advisor = value;
      return this;
    }

    /**
     * Sets the authentication. Default {@link EndpointAuth#none()}.
     *
     * @param value the mode
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder auth(EndpointAuth value) {
      Checks.requireNonNull("auth", value);
      Checks.requireNotSet(auth == null, "auth", auth);
      auth = value;
      return this;
    }

    /**
     * Sets the address to bind. Default loopback; the wildcard address
     * ({@code InetAddress.getByName("0.0.0.0")}) lets KEDA reach the pod.
     *
     * @param value the address
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder bindAddress(InetAddress value) {
      Checks.requireNonNull("bindAddress", value);
      Checks.requireNotSet(bindAddress == null, "bindAddress", bindAddress);
      bindAddress = value;
      return this;
    }

    /**
     * Sets the port. Default {@value KedaMetricsEndpoint#DEFAULT_PORT}; 0 picks a free one.
     *
     * @param value in {@code [0, 65535]}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder port(int value) {
      Checks.requireInRange("port", value, 0, 65535);
      Checks.requireNotSet(port < 0, "port", port);
      port = value;
      return this;
    }

    /**
     * Sets the path prefix. Default {@value KedaMetricsEndpoint#DEFAULT_PREFIX}.
     *
     * @param value a path starting with {@code /}, not ending with one, of
     *     {@code [A-Za-z0-9/_.-]}
     * @return this builder
     * @throws IllegalArgumentException if malformed
     * @throws IllegalStateException if already set
     */
    public Builder pathPrefix(String value) {
      Checks.requireNonNull("pathPrefix", value);
      Checks.requireArgument(value.matches("(/[A-Za-z0-9_.-]+)+"), "pathPrefix",
          "a path like /headroom", value);
      Checks.requireNotSet(prefix == null, "pathPrefix", prefix);
      prefix = value;
      return this;
    }

    /**
     * Sets the threads that answer requests. Default 2.
     *
     * @param value in {@code [1, 64]}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder threads(int value) {
      Checks.requireInRange("threads", value, 1, 64);
      Checks.requireNotSet(threads == 0, "threads", threads);
      threads = value;
      return this;
    }

    /**
     * Sets how many accepted connections may wait for a thread; beyond it connections are
     * closed at once. Default 32.
     *
     * @param value in {@code [1, 4096]}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder queueCapacity(int value) {
      Checks.requireInRange("queueCapacity", value, 1, 4096);
      Checks.requireNotSet(queueCapacity == 0, "queueCapacity", queueCapacity);
      queueCapacity = value;
      return this;
    }

    /**
     * Builds the endpoint, not yet started.
     *
     * @return the endpoint
     * @throws IllegalStateException if there is neither a signal nor an advisor
     * @throws IllegalArgumentException if two different signals share a name
     */
    public KedaMetricsEndpoint build() {
      Checks.requireState(advisor != null || !signals.isEmpty(),
          "signals or advisor must be set");
      return new KedaMetricsEndpoint(this);
    }
  }
}
