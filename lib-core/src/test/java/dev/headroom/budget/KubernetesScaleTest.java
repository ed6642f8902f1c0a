package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes source against a local JDK {@link HttpServer} on 127.0.0.1 that plays the API
 * server's scale subresource, then fails in every way: 401, 500, garbage, a hang.
 */
class KubernetesScaleTest {

  private static final String SCALE_PATH =
      "/apis/apps/v1/namespaces/shop/deployments/enrollment/scale";

  @TempDir
  Path dir;

  private HttpServer server;
  private ExecutorService serverThreads;
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final CountDownLatch releaseHangs = new CountDownLatch(1);
  private final AtomicReference<String> mode = new AtomicReference<>("scale 20 20");
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private Path token;

  @BeforeEach
  void startServer() throws IOException {
    token = dir.resolve("token");
    Files.writeString(token, "token-1\n");
    serverThreads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(serverThreads);
    server.createContext("/", this::answer);
    server.start();
  }

  @AfterEach
  void stopServer() {
    releaseHangs.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
    scheduler.shutdownNow();
  }

  private void answer(HttpExchange exchange) throws IOException {
    requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
        + exchange.getRequestHeaders().getFirst("Authorization"));
    String[] m = mode.get().split(" ");
    switch (m[0]) {
      case "scale":
        send(exchange, 200, "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":"
            + "{\"name\":\"enrollment\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":" + m[1]
            + "},\"status\":{\"replicas\":" + m[2] + ",\"selector\":\"app=enrollment\"}}");
        break;
      case "401":
        send(exchange, 401, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
            + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
        break;
      case "500":
        send(exchange, 500, "etcdserver: request timed out");
        break;
      case "garbage":
        send(exchange, 200, "<html><body>captive portal</body></html>");
        break;
      case "hang":
        try {
          releaseHangs.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        exchange.close();
        break;
      default:
        throw new IllegalStateException(mode.get());
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private URI apiServer() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Builds a polled source and waits for its first, scheduled poll. */
  private PolledPodCountSource polled() throws InterruptedException {
    PolledPodCountSource source = PodCountSource.polling(reader()).name("enrollment")
        .pollInterval(Duration.ofHours(1)).scheduler(scheduler).build();
    CountDownLatch first = new CountDownLatch(1);
    scheduler.execute(first::countDown); // runs after the first poll on the one thread
    assertTrue(first.await(10, TimeUnit.SECONDS));
    return source;
  }

  private KubernetesScale reader() {
    return KubernetesScale.builder().apiServer(apiServer()).namespace("shop")
        .deployment("enrollment").tokenPath(token).requestTimeout(Duration.ofSeconds(2)).build();
  }

  @Test
  void readsTheScaleSubresourceWithTheServiceAccountToken() throws IOException {
    KubernetesScale scale = reader();
    assertEquals(URI.create(apiServer() + SCALE_PATH), scale.uri());
    mode.set("scale 20 18");
    assertEquals(20, scale.get(), "spec.replicas while the new pods start");
    mode.set("scale 10 14");
    assertEquals(14, scale.get(), "status.replicas while the scale-in removes pods");
    Files.writeString(token, "token-2");
    scale.get();
    assertEquals(List.of("GET " + SCALE_PATH + " Bearer token-1",
        "GET " + SCALE_PATH + " Bearer token-1",
        "GET " + SCALE_PATH + " Bearer token-2"), requests);
  }

  @Test
  void aStatefulSetHasItsOwnPath() {
    KubernetesScale scale = KubernetesScale.builder().apiServer(URI.create(apiServer() + "/k8s/"))
        .namespace("db").statefulSet("replicas").tokenPath(token).build();
    assertEquals(URI.create(apiServer() + "/k8s/apis/apps/v1/namespaces/db/statefulsets/replicas"
        + "/scale"), scale.uri());
  }

  @Test
  void everyFailureIsAnExceptionNamingIt() {
    KubernetesScale scale = reader();
    mode.set("401");
    assertEquals("GET " + scale.uri() + " returned HTTP 401: \"{\"kind\":\"Status\","
        + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Unauthorized\","
        + "\"reason\":\"Unauthorized\",\"code\":401}\"",
        assertThrows(IllegalStateException.class, scale::get).getMessage());
    mode.set("500");
    assertEquals("GET " + scale.uri() + " returned HTTP 500: \"etcdserver: request timed out\"",
        assertThrows(IllegalStateException.class, scale::get).getMessage());
    mode.set("garbage");
    assertEquals("the scale subresource is not JSON (JSON must have a value at offset 0 (was"
        + " '<')): \"<html><body>captive portal</body></html>\"",
        assertThrows(IllegalStateException.class, scale::get).getMessage());
    mode.set("hang");
    assertEquals("GET " + scale.uri() + " timed out after PT2S",
        assertThrows(IllegalStateException.class, scale::get).getMessage());
  }

  @Test
  void theLastGoodValueSurvives401And500GarbageAndAHang() throws InterruptedException {
    PolledPodCountSource source = polled();
    assertEquals(OptionalInt.of(20), source.currentPods());
    String[] failures = {"401", "500", "garbage", "hang"};
    String[] expected = {"HTTP 401", "HTTP 500", "not JSON", "timed out after PT2S"};
    for (int i = 0; i < failures.length; i++) {
      mode.set(failures[i]);
      source.pollNow(); // never throws
      assertEquals(OptionalInt.of(20), source.currentPods(), failures[i]);
      assertTrue(source.lastError().contains(expected[i]), source.lastError());
    }
    long errors = source.errors();
    assertEquals(4, errors);
    assertEquals(1, source.successes());
    mode.set("scale 30 30");
    source.pollNow();
    assertEquals(OptionalInt.of(30), source.currentPods());
    RecordingMeterSink sink = new RecordingMeterSink();
    source.describeMeters(sink);
    assertEquals(errors, sink.value("headroom.budget.pod_source.polls", "name", "enrollment",
        "outcome", "error"));
    source.close();
  }

  @Test
  void aSizerWithNothingKnownSizesForTheDeclaredMaximum() throws InterruptedException {
    mode.set("401");
    PolledPodCountSource source = polled();
    assertEquals(1, source.errors());
    assertEquals(OptionalInt.empty(), source.currentPods());
    PoolSizer sizer = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).holdWindow(Duration.ZERO).scheduler(scheduler).build();
    assertEquals(new PoolSizer.PoolSize(4, 4, 119), sizer.current());
    mode.set("scale 20 20");
    source.pollNow();
    assertEquals(new PoolSizer.PoolSize(11, 4, 44), sizer.current());
    sizer.close();
    source.close();
  }

  @Test
  void scaleObjectsAreReadStrictly() {
    assertEquals(0, KubernetesScale.replicas("{\"kind\":\"Scale\",\"spec\":{},\"status\":{}}"),
        "the API server omits zero replicas");
    assertEquals(3, KubernetesScale.replicas("{\"kind\":\"Scale\",\"spec\":{\"replicas\":3}}"));
    assertEquals("the answer must be a Scale object (was \"{\"kind\":\"Status\"}\")",
        assertThrows(IllegalStateException.class,
            () -> KubernetesScale.replicas("{\"kind\":\"Status\"}")).getMessage());
    assertEquals("the Scale object must have spec", assertThrows(IllegalStateException.class,
        () -> KubernetesScale.replicas("{\"kind\":\"Scale\"}")).getMessage());
    assertEquals("spec.replicas must be an integer >= 0 (was -1)",
        assertThrows(IllegalStateException.class, () -> KubernetesScale.replicas(
            "{\"kind\":\"Scale\",\"spec\":{\"replicas\":-1}}")).getMessage());
    assertEquals("spec.replicas must be a number (was \"3\")",
        assertThrows(IllegalStateException.class, () -> KubernetesScale.replicas(
            "{\"kind\":\"Scale\",\"spec\":{\"replicas\":\"3\"}}")).getMessage());
    assertEquals("status.replicas must be an integer >= 0 (was 2.5)",
        assertThrows(IllegalStateException.class, () -> KubernetesScale.replicas(
            "{\"kind\":\"Scale\",\"spec\":{\"replicas\":2},\"status\":{\"replicas\":2.5}}"))
            .getMessage());
  }

  /** Runs the JDK's keytool, bounded in time. */
  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
  }

  /** A self-signed certificate for 127.0.0.1 in a PKCS12 store, and its PEM. */
  private Path certificate(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    try (java.io.InputStream in = Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    Files.writeString(dir.resolve(name + ".crt"), "-----BEGIN CERTIFICATE-----\n"
        + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(keys.getCertificate(name).getEncoded())
        + "\n-----END CERTIFICATE-----\n");
    return store;
  }

  @Test
  void httpsIsVerifiedWithTheMountedCa() throws Exception {
    Path store = certificate("apiserver");
    certificate("stranger");
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    try (java.io.InputStream in = Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "changeit".toCharArray());
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
    https.setExecutor(serverThreads);
    https.createContext("/", this::answer);
    https.start();
    try {
      URI base = URI.create("https://127.0.0.1:" + https.getAddress().getPort());
      mode.set("scale 7 7");
      KubernetesScale trusted = KubernetesScale.builder().apiServer(base).namespace("shop")
          .deployment("enrollment").tokenPath(token).caPath(dir.resolve("apiserver.crt"))
          .requestTimeout(Duration.ofSeconds(5)).build();
      assertEquals(7, trusted.get());
      KubernetesScale wrongCa = KubernetesScale.builder().apiServer(base).namespace("shop")
          .deployment("enrollment").tokenPath(token).caPath(dir.resolve("stranger.crt"))
          .requestTimeout(Duration.ofSeconds(5)).build();
      String message = assertThrows(IllegalStateException.class, wrongCa::get).getMessage();
      assertTrue(message.startsWith("GET " + wrongCa.uri() + " failed: javax.net.ssl."),
          message);
      assertEquals(1, requests.size(), "the untrusted server never saw the token: " + requests);
    } finally {
      https.stop(0);
    }
  }

  @Test
  void builderErrorsNameTheSetting() throws IOException {
    assertEquals("a deployment or statefulSet must be set", assertThrows(
        IllegalStateException.class, () -> KubernetesScale.builder().build()).getMessage());
    assertEquals("workload was already set to \"deployments/a\"", assertThrows(
        IllegalStateException.class,
        () -> KubernetesScale.builder().deployment("a").statefulSet("b")).getMessage());
    assertEquals("apiServer must be an http or https URI (was ftp://x)", assertThrows(
        IllegalArgumentException.class,
        () -> KubernetesScale.builder().apiServer(URI.create("ftp://x"))).getMessage());
    assertEquals("requestTimeout must be > 0 (was PT0S)", assertThrows(
        IllegalArgumentException.class,
        () -> KubernetesScale.builder().requestTimeout(Duration.ZERO)).getMessage());
    Path notPem = dir.resolve("ca.crt");
    Files.writeString(notPem, "not a certificate");
    String message = assertThrows(IllegalStateException.class, () -> KubernetesScale.builder()
        .apiServer(URI.create("https://127.0.0.1:6443")).namespace("shop").deployment("a")
        .caPath(notPem).build()).getMessage();
    assertTrue(message.startsWith("caPath " + notPem + " "), message);
  }
}
