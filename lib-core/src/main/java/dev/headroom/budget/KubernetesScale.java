package dev.headroom.budget;

import dev.headroom.core.Checks;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads a Deployment's or StatefulSet's replica count from the Kubernetes API server's scale
 * subresource ({@code GET /apis/apps/v1/namespaces/<ns>/deployments/<name>/scale}) with
 * {@code java.net.http} and the pod's mounted service-account token and CA, no client library.
 *
 * <p>It is a {@code Supplier<Integer>} meant to be polled by a {@link PolledPodCountSource},
 * which caches the answer, keeps the last good value on errors and counts them:
 *
 * <pre>{@code
 * PolledPodCountSource pods = PodCountSource.polling(
 *         KubernetesScale.builder().deployment("enrollment").build())
 *     .name("enrollment").pollInterval(Duration.ofSeconds(5)).build();
 * }</pre>
 *
 * <p>{@link #get()} answers {@code max(spec.replicas, status.replicas)}: the desired count rises
 * before new pods start (so pods shrink before the newcomers connect), and the current count stays
 * high while a scale-in is still removing pods. Every failure is an exception naming what went
 * wrong: an HTTP status other than 200 (with the start of the body), a request that took longer
 * than the request timeout, an unreadable token, a body that is not a scale object. The token is
 * read at every request, because the kubelet rotates projected service-account tokens.
 *
 * <p>The pod's service account needs {@code get} on {@code deployments/scale} (or
 * {@code statefulsets/scale}) in its namespace; see the README for the Role.
 *
 * <p>Thread-safety: immutable after {@code build()}; {@link #get()} may be called concurrently.
 */
public final class KubernetesScale implements Supplier<Integer> {

  /** Where Kubernetes mounts the service account's files in every pod. */
  public static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private static final int BODY_IN_MESSAGE = 200;

  private final URI uri;
  private final Path tokenPath;
  private final Duration requestTimeout;
  private final HttpClient client;

  private KubernetesScale(URI uri, Path tokenPath, Duration requestTimeout, HttpClient client) {
    this.uri = uri;
    this.tokenPath = tokenPath;
    this.requestTimeout = requestTimeout;
    this.client = client;
  }

  /**
   * Starts a reader.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the scale subresource's address.
   *
   * @return the URI requested at every {@link #get()}
   */
  public URI uri() {
    return uri;
  }

  /**
   * Reads the replica count once.
   *
   * @return {@code max(spec.replicas, status.replicas)}, {@code >= 0}
   * @throws IllegalStateException if the API server answers anything but a scale object with
   *     status 200, or the request times out or fails; the message says which
   * @throws UncheckedIOException if the token file cannot be read
   */
  @Override
  public Integer get() {
    String token;
    try {
      token = Files.readString(tokenPath, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the service-account token " + tokenPath, e);
    }
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json")
        .GET()
        .build();
    HttpResponse<String> response;
    // The request timeout of java.net.http bounds the wait for the response headers only; the
    // future's timeout bounds the whole exchange, so a body that never ends is a timeout too.
    // Cancelling the future aborts the exchange (JDK 16 and later).
    CompletableFuture<HttpResponse<String>> exchange =
        client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    try {
      response = exchange.get(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new IllegalStateException("GET " + uri + " timed out after " + requestTimeout, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpTimeoutException) {
        throw new IllegalStateException("GET " + uri + " timed out after " + requestTimeout,
            cause);
      }
      throw new IllegalStateException("GET " + uri + " failed: " + cause, cause);
    } catch (InterruptedException e) {
      exchange.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("GET " + uri + " was interrupted", e);
    }
    String body = response.body() == null ? "" : response.body();
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + uri + " returned HTTP " + response.statusCode()
          + ": " + abbreviate(body));
    }
    return replicas(body);
  }

  /** Extracts {@code max(spec.replicas, status.replicas)} from a scale object. */
  static int replicas(String body) {
    Object root;
    try {
      root = Json.parse(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the scale subresource is not JSON (" + e.getMessage()
          + "): " + abbreviate(body), e);
    }
    if (!(root instanceof Map) || !"Scale".equals(((Map<?, ?>) root).get("kind"))) {
      throw new IllegalStateException("the answer must be a Scale object (was "
          + abbreviate(body) + ")");
    }
    Map<?, ?> scale = (Map<?, ?>) root;
    int spec = count(scale.get("spec"), "spec.replicas", true);
    int status = count(scale.get("status"), "status.replicas", false);
    return Math.max(spec, status);
  }

  private static int count(Object section, String field, boolean required) {
    Object value = section instanceof Map ? ((Map<?, ?>) section).get("replicas") : null;
    if (value == null) {
      // The API server omits zero-valued fields: a scale of 0 replicas has no replicas at all.
      if (required && !(section instanceof Map)) {
        throw new IllegalStateException("the Scale object must have " + field.split("\\.")[0]);
      }
      return 0;
    }
    if (!(value instanceof Double)) {
      throw new IllegalStateException(Checks.message(field, "a number", value));
    }
    double d = (Double) value;
    if (d < 0 || d != Math.rint(d) || d > Integer.MAX_VALUE) {
      throw new IllegalStateException(Checks.message(field, "an integer >= 0", value));
    }
    return (int) d;
  }

  private static String abbreviate(String body) {
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= BODY_IN_MESSAGE ? "\"" + oneLine + "\""
        : "\"" + oneLine.substring(0, BODY_IN_MESSAGE) + "...\" (" + body.length() + " chars)";
  }

  @Override
  public String toString() {
    return "KubernetesScale[" + uri + "]";
  }

  /**
   * Builds a {@link KubernetesScale}. Inside a pod only the workload's name is needed: the API
   * server, namespace, token and CA default to what Kubernetes provides. Each setter validates
   * its argument and may be called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private String kind;
    private String workload;
    private String namespace;
    private URI apiServer;
    private Path tokenPath;
    private Path caPath;
    private Duration requestTimeout;

    private Builder() {}

    /**
     * Reads the scale of this Deployment. Exactly one of this and {@link #statefulSet} is
     * required.
     *
     * @param name the Deployment's name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if a workload was already set
     */
    public Builder deployment(String name) {
      return workload("deployments", "deployment", name);
    }

    /**
     * Reads the scale of this StatefulSet. Exactly one of this and {@link #deployment} is
     * required.
     *
     * @param name the StatefulSet's name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if a workload was already set
     */
    public Builder statefulSet(String name) {
      return workload("statefulsets", "statefulSet", name);
    }

    private Builder workload(String resource, String option, String name) {
      Checks.requireNonBlank(option, name);
      Checks.requireNotSet(workload == null, "workload", kind + "/" + workload);
      kind = resource;
      workload = name;
      return this;
    }

    /**
     * Sets the namespace. Default: the pod's own, read from the service account's
     * {@code namespace} file.
     *
     * @param value the namespace
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder namespace(String value) {
      Checks.requireNonBlank("namespace", value);
      Checks.requireNotSet(namespace == null, "namespace", namespace);
      namespace = value;
      return this;
    }

    /**
     * Sets the API server's base address, {@code https://host:port} (or {@code http://} in
     * tests). Default: from {@code KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT}.
     *
     * @param value the base URI
     * @return this builder
     * @throws IllegalArgumentException if null or not http or https
     * @throws IllegalStateException if already set
     */
    public Builder apiServer(URI value) {
      Checks.requireNonNull("apiServer", value);
      Checks.requireArgument("https".equals(value.getScheme()) || "http".equals(value.getScheme()),
          "apiServer", "an http or https URI", value);
      Checks.requireNotSet(apiServer == null, "apiServer", apiServer);
      apiServer = value;
      return this;
    }

    /**
     * Sets the token file, read at every request. Default
     * {@code /var/run/secrets/kubernetes.io/serviceaccount/token}.
     *
     * @param value the path
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder tokenPath(Path value) {
      Checks.requireNonNull("tokenPath", value);
      Checks.requireNotSet(tokenPath == null, "tokenPath", tokenPath);
      tokenPath = value;
      return this;
    }

    /**
     * Sets the PEM file of the CA that signed the API server's certificate, used for https.
     * Default {@code /var/run/secrets/kubernetes.io/serviceaccount/ca.crt}.
     *
     * @param value the path
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder caPath(Path value) {
      Checks.requireNonNull("caPath", value);
      Checks.requireNotSet(caPath == null, "caPath", caPath);
      caPath = value;
      return this;
    }

    /**
     * Sets how long one request (connect included) may take before it counts as an error.
     * Default 2 s. Keep it below the poll interval.
     *
     * @param value the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder requestTimeout(Duration value) {
      Checks.requirePositive("requestTimeout", value);
      Checks.requireNotSet(requestTimeout == null, "requestTimeout", requestTimeout);
      requestTimeout = value;
      return this;
    }

    /**
     * Builds the reader. Reads the namespace file and the CA now (not the token).
     *
     * @return the reader
     * @throws IllegalStateException if no workload was set, or the API server, namespace or CA
     *     cannot be found; the message names what is missing
     */
    public KubernetesScale build() {
      Checks.requireState(workload != null, "a deployment or statefulSet must be set");
      URI base = apiServer != null ? apiServer : fromEnvironment();
      String ns = namespace != null ? namespace : readNamespace();
      Duration timeout = requestTimeout != null ? requestTimeout : Duration.ofSeconds(2);
      HttpClient.Builder http = HttpClient.newBuilder()
          .connectTimeout(timeout)
          .followRedirects(HttpClient.Redirect.NEVER);
      if ("https".equals(base.getScheme())) {
        http.sslContext(trusting(caPath != null ? caPath : SERVICE_ACCOUNT.resolve("ca.crt")));
      }
      String path = base.getPath() == null || base.getPath().endsWith("/")
          ? base.getPath() : base.getPath() + "/";
      URI uri = base.resolve((path == null || path.isEmpty() ? "/" : path)
          + "apis/apps/v1/namespaces/" + ns + "/" + kind + "/" + workload + "/scale");
      return new KubernetesScale(uri,
          tokenPath != null ? tokenPath : SERVICE_ACCOUNT.resolve("token"), timeout,
          http.build());
    }

    private static URI fromEnvironment() {
      String host = System.getenv("KUBERNETES_SERVICE_HOST");
      String port = System.getenv("KUBERNETES_SERVICE_PORT");
      Checks.requireState(host != null && port != null,
          "apiServer must be set: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not"
              + " (not running in a pod?)");
      return URI.create("https://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
          + port);
    }

    private static String readNamespace() {
      Path file = SERVICE_ACCOUNT.resolve("namespace");
      try {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw new IllegalStateException("namespace must be set: " + file + " cannot be read ("
            + e + ")", e);
      }
    }

    private static SSLContext trusting(Path ca) {
      try (InputStream in = Files.newInputStream(ca)) {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate cert : CertificateFactory.getInstance("X.509")
            .generateCertificates(in)) {
          store.setCertificateEntry("ca-" + i++, cert);
        }
        Checks.requireState(i > 0, "caPath " + ca + " must hold at least one PEM certificate");
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("caPath " + ca + " cannot be used as a trust store ("
            + e + ")", e);
      }
    }
  }
}
