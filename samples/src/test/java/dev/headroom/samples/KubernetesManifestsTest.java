package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.headroom.aws.SqsQueueDepth;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.signal.Gjson;
import dev.headroom.signal.KedaMetricsEndpoint;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The manifests in {@code samples/k8s} are valid and name only what Headroom really publishes.
 *
 * <ul>
 *   <li>Each document validates against its schema in {@code ../shared/schemas}: the Kubernetes
 *       1.32 standalone-strict JSON schemas (unknown fields fail) and the KEDA 2.20 CRDs'
 *       {@code openAPIV3Schema}.
 *   <li>Each trigger's metadata keys are ones KEDA's scaler parses (the {@code keda:"name=..."}
 *       tags of the scaler sources kept beside the schemas), since the CRD does not forbid
 *       unknown keys.
 *   <li>Each metrics-api URL path and {@code valueLocation} is requested from a real
 *       {@link KedaMetricsEndpoint} and read with KEDA's GJSON rules; each Prometheus query's
 *       and HPA metric's series exists in a real scrape; the SQS trigger counts what
 *       {@link SqsQueueDepth} counts.
 * </ul>
 */
class KubernetesManifestsTest {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path SCHEMAS = findSchemas();
  static final Path MANIFESTS = Paths.get(System.getProperty("headroom.k8s", "k8s"));
  /** Trigger metadata keys of the authentication config every HTTP scaler embeds. */
  static final Set<String> AUTH_KEYS = Set.of("authModes", "authMode", "apiKey", "method",
      "keyParamName");
  /**
   * KEDA 2.20's prometheus scaler keys (pkg/scalers/prometheus_scaler.go, prometheusMetadata;
   * its source is not among the shared files, so the keys used here are listed by hand).
   */
  static final Set<String> PROMETHEUS_KEYS = Set.of("serverAddress", "query",
      "queryParameters", "threshold", "activationThreshold", "namespace", "customHeaders",
      "ignoreNullValues", "unsafeSsl", "awsRegion");

  /**
   * Finds {@code shared/schemas} beside the repository or one of its parents (a worktree may sit
   * deeper than a plain clone). Fails loudly when it is nowhere.
   */
  static Path findSchemas() {
    Path dir = Paths.get(System.getProperty("headroom.basedir", ".")).toAbsolutePath()
        .normalize();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path candidate = d.resolve("shared").resolve("schemas");
      if (Files.isDirectory(candidate.resolve("keda-crds"))) {
        return candidate;
      }
    }
    throw new AssertionError("shared/schemas not found beside " + dir + " or any parent");
  }

  static KedaMetricsEndpoint endpoint;
  static String scrape;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The application the manifests describe, with the names they use. */
  @BeforeAll
  static void startTheApplication() {
    Signal queue = Signal.fleetTotal("remittance-queue", "messages", 24, () -> 1_100);
    Signal waiting = Signal.perPod("api-waiting", "requests", 10, () -> 3);
    Signal lag = Signal.fleetTotal("enrollment-lag", "records", 1_000, () -> 5_000);
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance").signal(queue)
        .currentReplicas(() -> 5).build();
    endpoint = KedaMetricsEndpoint.builder().advisor(advisor).signal(waiting).signal(lag)
        .port(0).build().start();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new HeadroomMeterBinder(advisor, queue, waiting, lag)
        .withCommonTags(HeadroomMeterBinder.environmentTags(Map.of("HEADROOM_SERVICE",
            "remittance", "HOSTNAME", "remittance-0")::get))
        .bindTo(registry);
    scrape = registry.scrape();
  }

  @AfterAll
  static void stop() {
    endpoint.close();
  }

  static List<JsonNode> documents() throws IOException {
    assertTrue(Files.isDirectory(MANIFESTS), "no manifests at " + MANIFESTS.toAbsolutePath());
    List<JsonNode> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted()
          .collect(Collectors.toList())) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class)
            .readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode doc = it.next();
            if (doc != null && !doc.isNull() && doc.size() > 0) {
              ((ObjectNode) doc).put("__file", f.getFileName().toString());
              docs.add(doc);
            }
          }
        }
      }
    }
    return docs;
  }

  static final Map<String, JsonSchema> SCHEMA_CACHE = new HashMap<>();

  static JsonSchema schemaFor(String kind) throws IOException {
    JsonSchema cached = SCHEMA_CACHE.get(kind);
    if (cached != null) {
      return cached;
    }
    assertTrue(Files.isDirectory(SCHEMAS), "the shared schemas are missing at "
        + SCHEMAS.toAbsolutePath());
    JsonNode schema;
    switch (kind) {
      case "ScaledObject":
        schema = crdSchema("keda.sh_scaledobjects.yaml");
        break;
      case "TriggerAuthentication":
        schema = crdSchema("keda.sh_triggerauthentications.yaml");
        break;
      case "HorizontalPodAutoscaler":
        schema = kubernetes("horizontalpodautoscaler-autoscaling-v2.json");
        break;
      case "Service":
        schema = kubernetes("service-v1.json");
        break;
      case "Deployment":
        schema = kubernetes("deployment-apps-v1.json");
        break;
      case "PodDisruptionBudget":
        schema = kubernetes("poddisruptionbudget-policy-v1.json");
        break;
      case "ServiceAccount":
        schema = kubernetes("serviceaccount-v1.json");
        break;
      case "Role":
        schema = kubernetes("role-rbac-v1.json");
        break;
      case "RoleBinding":
        schema = kubernetes("rolebinding-rbac-v1.json");
        break;
      default:
        throw new AssertionError("no schema for kind " + kind);
    }
    JsonSchema s = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
        .getSchema(strip(schema));
    SCHEMA_CACHE.put(kind, s);
    return s;
  }

  static JsonNode crdSchema(String file) throws IOException {
    JsonNode crd = YAML.readTree(SCHEMAS.resolve("keda-crds").resolve(file).toFile());
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asText().equals("v1alpha1")) {
        return v.path("schema").path("openAPIV3Schema").deepCopy();
      }
    }
    throw new AssertionError("no v1alpha1 schema in " + file);
  }

  static JsonNode kubernetes(String file) throws IOException {
    ObjectNode s = (ObjectNode) JSON.readTree(SCHEMAS.resolve("kubernetes")
        .resolve("v1.32.2-standalone-strict").resolve(file).toFile());
    s.remove("$schema"); // "http://json-schema.org/schema#", no draft: read as draft-07
    return s;
  }

  /** Removes the Kubernetes extensions (x-kubernetes-*), which are not JSON Schema. */
  static JsonNode strip(JsonNode node) {
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        if (name.startsWith("x-kubernetes-")) {
          object.remove(name);
        } else {
          strip(object.get(name));
        }
      }
    } else if (node.isArray()) {
      node.forEach(KubernetesManifestsTest::strip);
    }
    return node;
  }

  static Set<ValidationMessage> validate(JsonNode doc) throws IOException {
    ObjectNode copy = doc.deepCopy();
    copy.remove("__file");
    return schemaFor(doc.path("kind").asText()).validate(copy);
  }

  @Test
  void everyManifestValidatesAgainstItsSchema() throws IOException {
    List<JsonNode> docs = documents();
    Set<String> kinds = new LinkedHashSet<>();
    for (JsonNode doc : docs) {
      kinds.add(doc.path("kind").asText());
      Set<ValidationMessage> errors = validate(doc);
      assertTrue(errors.isEmpty(), doc.path("__file").asText() + " "
          + doc.path("metadata").path("name").asText() + ": " + errors);
    }
    assertEquals(Set.of("ScaledObject", "TriggerAuthentication", "HorizontalPodAutoscaler",
        "Service", "Deployment", "PodDisruptionBudget", "ServiceAccount", "Role", "RoleBinding"),
        kinds);
    assertTrue(docs.size() >= 14, docs.size() + " documents");
  }

  @Test
  void theValidatorCatchesMistakes() throws IOException {
    for (JsonNode doc : documents()) {
      String kind = doc.path("kind").asText();
      if (kind.equals("Deployment")) {
        ObjectNode typo = doc.deepCopy();
        ((ObjectNode) typo.path("spec").path("template").path("spec").path("containers").get(0))
            .putObject("readinessProbes");
        assertFalse(validate(typo).isEmpty(), "strict schemas refuse unknown fields");
      }
      if (kind.equals("HorizontalPodAutoscaler")) {
        ObjectNode typo = doc.deepCopy();
        ((ObjectNode) typo.path("spec")).put("maxReplica", 60);
        assertFalse(validate(typo).isEmpty(), "strict schemas refuse unknown fields");
      }
      if (kind.equals("ScaledObject")) {
        ObjectNode noMetadata = doc.deepCopy();
        ((ObjectNode) noMetadata.path("spec").path("triggers").get(0)).remove("metadata");
        assertFalse(validate(noMetadata).isEmpty(), "a trigger needs metadata");
        ObjectNode badCount = doc.deepCopy();
        ((ObjectNode) badCount.path("spec")).put("minReplicaCount", "five");
        assertFalse(validate(badCount).isEmpty());
      }
    }
  }

  /** Trigger metadata keys KEDA's scaler source declares for {@code order=triggerMetadata}. */
  static Set<String> scalerKeys(String file) throws IOException {
    String source = Files.readString(SCHEMAS.resolve("keda-scalers").resolve(file));
    Set<String> keys = new LinkedHashSet<>();
    Matcher m = Pattern.compile("keda:\"name=([A-Za-z0-9;]+)\\s*,\\s*order=([A-Za-z;]+)")
        .matcher(source);
    while (m.find()) {
      if (m.group(2).contains("triggerMetadata")) {
        keys.addAll(List.of(m.group(1).split(";")));
      }
    }
    assertFalse(keys.isEmpty(), "no keys parsed from " + file);
    return keys;
  }

  static List<JsonNode> triggers(String type) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode doc : documents()) {
      for (JsonNode t : doc.path("spec").path("triggers")) {
        if (t.path("type").asText().equals(type)) {
          out.add(t);
        }
      }
    }
    assertFalse(out.isEmpty(), "no " + type + " trigger in the samples");
    return out;
  }

  @Test
  void triggerMetadataKeysAreOnesKedaParses() throws IOException {
    Map<String, Set<String>> allowed = new TreeMap<>();
    Set<String> metricsApi = new LinkedHashSet<>(scalerKeys("metrics_api_scaler.go"));
    metricsApi.addAll(AUTH_KEYS);
    allowed.put("metrics-api", metricsApi);
    allowed.put("kafka", scalerKeys("kafka_scaler.go"));
    allowed.put("aws-sqs-queue", scalerKeys("aws_sqs_queue_scaler.go"));
    Set<String> prometheus = new LinkedHashSet<>(PROMETHEUS_KEYS);
    prometheus.addAll(AUTH_KEYS);
    allowed.put("prometheus", prometheus);
    assertTrue(allowed.get("metrics-api").containsAll(List.of("url", "valueLocation",
        "targetValue", "aggregateFromKubeServiceEndpoints", "aggregationType")));
    for (JsonNode doc : documents()) {
      for (JsonNode t : doc.path("spec").path("triggers")) {
        String type = t.path("type").asText();
        Set<String> keys = allowed.get(type);
        assertTrue(keys != null, "unexpected trigger type " + type);
        t.path("metadata").fieldNames().forEachRemaining(k -> assertTrue(keys.contains(k),
            doc.path("__file").asText() + ": " + type + " has no metadata key '" + k + "'"));
      }
    }
  }

  @Test
  void everyMetricsApiPathAndValueLocationIsPublished() throws Exception {
    int checked = 0;
    for (JsonNode t : triggers("metrics-api")) {
      JsonNode m = t.path("metadata");
      URI url = URI.create(m.path("url").asText());
      assertEquals(KedaMetricsEndpoint.DEFAULT_PORT, url.getPort(), url.toString());
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + endpoint.port() + url.getRawPath())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), url + ": " + r.body());
      double value = Gjson.kedaValue(r.body(), m.path("valueLocation").asText());
      assertTrue(value >= 0, url + " " + m.path("valueLocation").asText());
      Double.parseDouble(m.path("targetValue").asText());
      if (m.path("aggregateFromKubeServiceEndpoints").asText().equals("true")) {
        assertEquals("per_pod", Gjson.valueAt(r.body(), "scope"),
            "summing pods' values suits per-pod signals only");
        assertEquals("sum", m.path("aggregationType").asText());
      }
      checked++;
    }
    assertEquals(4, checked);
  }

  static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)\\}");
  static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"");

  /** Whether the scrape has a series of this metric carrying all these labels. */
  static boolean published(String metric, Map<String, String> labels) {
    Matcher line = Pattern.compile("^" + Pattern.quote(metric) + "\\{([^}]*)\\} \\S+$",
        Pattern.MULTILINE).matcher(scrape);
    while (line.find()) {
      Map<String, String> have = new HashMap<>();
      Matcher l = MATCHER.matcher(line.group(1));
      while (l.find()) {
        have.put(l.group(1), l.group(2));
      }
      if (have.entrySet().containsAll(labels.entrySet())) {
        return true;
      }
    }
    return false;
  }

  @Test
  void everyPrometheusSeriesTheManifestsQueryIsPublished() throws IOException {
    int checked = 0;
    for (JsonNode t : triggers("prometheus")) {
      Matcher s = SELECTOR.matcher(t.path("metadata").path("query").asText());
      assertTrue(s.find(), t.toString());
      Map<String, String> labels = new HashMap<>();
      Matcher l = MATCHER.matcher(s.group(2));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      assertTrue(published(s.group(1), labels), s.group() + " is not in the scrape:\n" + scrape);
      checked++;
    }
    for (JsonNode doc : documents()) {
      for (JsonNode metric : doc.path("spec").path("metrics")) {
        JsonNode spec = metric.path(metric.path("type").asText().toLowerCase());
        String name = spec.path("metric").path("name").asText();
        Map<String, String> labels = new HashMap<>();
        JsonNode matchLabels = spec.path("metric").path("selector").path("matchLabels");
        matchLabels.fieldNames().forEachRemaining(k -> labels.put(k,
            matchLabels.path(k).asText()));
        assertTrue(published(name, labels), name + labels + " is not in the scrape");
        checked++;
      }
    }
    assertEquals(4, checked);
  }

  static JsonNode only(String kind) throws IOException {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode doc : documents()) {
      if (doc.path("kind").asText().equals(kind)) {
        found.add(doc);
      }
    }
    assertEquals(1, found.size(), "one " + kind + " in the samples");
    return found.get(0);
  }

  /**
   * The Deployment's probes: a startup probe gates warm-up (liveness and readiness wait for it)
   * with a budget of at least a minute; liveness asks the process only (a TCP connect, or a
   * path the endpoint answers from memory), never a dependency; every probe's port is the
   * endpoint's and every path one the endpoint really serves (200 from a running one).
   */
  @Test
  void theDeploymentsProbesUseOnlyWhatTheEndpointServesAndLivenessNeverADependency()
      throws Exception {
    JsonNode deployment = only("Deployment");
    JsonNode container = deployment.path("spec").path("template").path("spec")
        .path("containers").get(0);
    Map<String, Integer> ports = new HashMap<>();
    for (JsonNode p : container.path("ports")) {
      ports.put(p.path("name").asText(), p.path("containerPort").asInt());
    }
    JsonNode startup = container.path("startupProbe");
    assertFalse(startup.isMissingNode(), "a startup probe gates warm-up");
    assertTrue(startup.path("periodSeconds").asInt(10) * startup.path("failureThreshold")
        .asInt(3) >= 60, "at least a minute of warm-up before the kubelet gives up");
    JsonNode liveness = container.path("livenessProbe");
    assertFalse(liveness.has("exec"), "liveness runs no command that could call a dependency");
    int checked = 0;
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      JsonNode p = container.path(probe);
      assertFalse(p.isMissingNode(), probe);
      JsonNode action = p.has("httpGet") ? p.path("httpGet") : p.path("tcpSocket");
      assertFalse(action.isMissingNode(), probe + " is httpGet or tcpSocket");
      JsonNode port = action.path("port");
      int number = port.isInt() ? port.asInt() : ports.getOrDefault(port.asText(), -1);
      assertEquals(KedaMetricsEndpoint.DEFAULT_PORT, number, probe + " on the endpoint's port");
      if (p.has("httpGet")) {
        String path = action.path("path").asText();
        assertTrue(path.startsWith(KedaMetricsEndpoint.DEFAULT_PREFIX + "/"), probe + " " + path);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + endpoint.port() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), probe + " " + path + ": " + r.body());
        checked++;
      }
    }
    assertEquals(2, checked, "startup and readiness ask the endpoint over HTTP");
  }

  /** Fast up, slow down: the HPA scales out at once and in over 300 s of recommendations. */
  @Test
  void theHpaScalesUpAtOnceAndDownOverFiveMinutes() throws IOException {
    JsonNode behavior = only("HorizontalPodAutoscaler").path("spec").path("behavior");
    assertEquals(0, behavior.path("scaleUp").path("stabilizationWindowSeconds").asInt(-1));
    boolean doubles = false;
    for (JsonNode policy : behavior.path("scaleUp").path("policies")) {
      doubles |= policy.path("type").asText().equals("Percent")
          && policy.path("value").asInt() >= 100 && policy.path("periodSeconds").asInt() <= 15;
    }
    assertTrue(doubles, "scale-up may at least double every 15 s");
    assertEquals(300, behavior.path("scaleDown").path("stabilizationWindowSeconds").asInt());
    assertEquals(only("Deployment").path("metadata").path("name").asText(),
        only("HorizontalPodAutoscaler").path("spec").path("scaleTargetRef").path("name")
            .asText());
  }

  /**
   * The Role grants exactly what KubernetesPodCount reads (get, list, watch on Deployments and
   * pods) and is bound to the Deployment's ServiceAccount; the PodDisruptionBudget and the
   * Service select the Deployment's pods.
   */
  @Test
  void theRoleTheBindingThePdbAndTheServiceFitTheDeployment() throws IOException {
    JsonNode deployment = only("Deployment");
    JsonNode podLabels = deployment.path("spec").path("template").path("metadata")
        .path("labels");
    Map<String, Set<String>> granted = new TreeMap<>();
    for (JsonNode rule : only("Role").path("rules")) {
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          Set<String> verbs = granted.computeIfAbsent(group.asText() + "/" + resource.asText(),
              k -> new java.util.TreeSet<>());
          rule.path("verbs").forEach(v -> verbs.add(v.asText()));
        }
      }
    }
    Set<String> read = Set.of("get", "list", "watch");
    assertEquals(Map.of("apps/deployments", read, "/pods", read), granted);
    JsonNode binding = only("RoleBinding");
    assertEquals(only("Role").path("metadata").path("name").asText(),
        binding.path("roleRef").path("name").asText());
    String account = deployment.path("spec").path("template").path("spec")
        .path("serviceAccountName").asText();
    assertEquals(only("ServiceAccount").path("metadata").path("name").asText(), account);
    assertEquals(account, binding.path("subjects").get(0).path("name").asText());
    JsonNode pdb = only("PodDisruptionBudget").path("spec");
    assertEquals(podLabels, pdb.path("selector").path("matchLabels"));
    assertEquals(1, pdb.path("maxUnavailable").asInt(), "one voluntary eviction at a time");
    for (JsonNode doc : documents()) {
      if (doc.path("kind").asText().equals("Service")) {
        assertEquals(podLabels, doc.path("spec").path("selector"));
      }
    }
  }

  @Test
  void theSqsTriggerCountsWhatSqsQueueDepthCounts() throws IOException {
    JsonNode m = triggers("aws-sqs-queue").get(0).path("metadata");
    try (SqsAsyncClient client = SqsAsyncClient.builder().region(Region.EU_WEST_1)
            .credentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create("unused", "unused")))
            .endpointOverride(URI.create("http://127.0.0.1:9")).build();
        SqsQueueDepth depth = SqsQueueDepth.builder(client, m.path("queueURL").asText())
            .build()) {
      assertEquals(m.path("scaleOnInFlight").asText("true").equals("true"),
          depth.attributes().contains(
              QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
      assertEquals(m.path("scaleOnDelayed").asText("false").equals("true"),
          depth.attributes().contains(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED));
      assertEquals("remittance", depth.name(), "KEDA's queue name, the URL's last segment");
    }
  }
}
