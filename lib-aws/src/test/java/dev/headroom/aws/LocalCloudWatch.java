package dev.headroom.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataRequest;

/**
 * A CloudWatch endpoint on loopback for PutMetricData, speaking whichever protocol the SDK
 * sends: Smithy RPC v2 CBOR (SDK 2.40.17 does) or the older AWS Query form. It answers 200, 500
 * or nothing at all (hangs), and records every request's body, gunzipped and flattened to the
 * Query form's keys. The SDK client it makes also captures each {@link PutMetricDataRequest}
 * with an {@link ExecutionInterceptor}, the protocol-independent view.
 */
final class LocalCloudWatch implements AutoCloseable {

  static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory());

  enum Mode { OK, ERROR_500, HANG }

  static final String OK_BODY = "<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/"
      + "doc/2010-08-01/\"><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
      + "</PutMetricDataResponse>";
  static final String ERROR_BODY = "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
      + "2010-08-01/\"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom"
      + "</Message></Error><RequestId>r-2</RequestId></ErrorResponse>";

  final HttpServer server;
  volatile Mode mode = Mode.OK;
  final List<Map<String, String>> forms = new CopyOnWriteArrayList<>();
  final List<Integer> bodyBytes = new CopyOnWriteArrayList<>();
  final List<String> paths = new CopyOnWriteArrayList<>();
  final List<PutMetricDataRequest> captured = new CopyOnWriteArrayList<>();
  final CountDownLatch release = new CountDownLatch(1);

  LocalCloudWatch() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "local-cloudwatch");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      byte[] raw = exchange.getRequestBody().readAllBytes();
      bodyBytes.add(raw.length);
      InputStream in = new ByteArrayInputStream(raw);
      if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        in = new GZIPInputStream(in);
      }
      byte[] decoded = in.readAllBytes();
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      boolean cbor = "rpc-v2-cbor".equals(exchange.getRequestHeaders().getFirst(
          "Smithy-Protocol"));
      paths.add(exchange.getRequestURI().getPath());
      forms.add(cbor ? cborForm(decoded) : form(new String(decoded, StandardCharsets.UTF_8)));
      Mode m = mode;
      if (m == Mode.HANG) {
        release.await(60, TimeUnit.SECONDS);
        return;
      }
      byte[] body;
      if (cbor) {
        body = CBOR.writeValueAsBytes(m == Mode.OK ? Map.of() : Map.of(
            "__type", "com.amazonaws.cloudwatch#InternalServiceFault", "Message", "boom"));
        exchange.getResponseHeaders().set("Content-Type", "application/cbor");
        exchange.getResponseHeaders().set("Smithy-Protocol", "rpc-v2-cbor");
      } else {
        body = (m == Mode.OK ? OK_BODY : ERROR_BODY).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType == null ? "text/xml"
            : "text/xml");
      }
      exchange.sendResponseHeaders(m == Mode.OK ? 200 : 500, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.close();
    }
  }

  /**
   * Flattens a CBOR PutMetricData body into the AWS Query form's keys, so that one assertion
   * serves either wire protocol: {@code MetricData.member.1.MetricName} and so on.
   */
  static Map<String, String> cborForm(byte[] body) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("Action", "PutMetricData");
    flatten(CBOR.readTree(body), "", out);
    return out;
  }

  private static void flatten(JsonNode node, String prefix, Map<String, String> out) {
    if (node.isObject()) {
      node.fieldNames().forEachRemaining(k -> flatten(node.get(k),
          prefix.isEmpty() ? k : prefix + "." + k, out));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        flatten(node.get(i), prefix + ".member." + (i + 1), out);
      }
    } else {
      out.put(prefix, node.isNumber() && node.asDouble() == Math.rint(node.asDouble())
          ? Long.toString(node.asLong()) : node.asText());
    }
  }

  static Map<String, String> form(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** The number of datums in one recorded form. */
  static int datums(Map<String, String> form) {
    int n = 0;
    while (form.containsKey("MetricData.member." + (n + 1) + ".MetricName")) {
      n++;
    }
    return n;
  }

  CloudWatchAsyncClient client(boolean sdkRetries) {
    ExecutionInterceptor capture = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context,
          ExecutionAttributes attributes) {
        if (context.request() instanceof PutMetricDataRequest) {
          captured.add((PutMetricDataRequest) context.request());
        }
      }
    };
    return CloudWatchAsyncClient.builder().region(LocalAws.REGION)
        .credentialsProvider(LocalAws.CREDENTIALS)
        .endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .overrideConfiguration(o -> {
          o.addExecutionInterceptor(capture);
          if (sdkRetries) {
            o.retryStrategy(RetryMode.STANDARD); // 3 attempts per call
          } else {
            o.retryStrategy(AwsRetryStrategy.doNotRetry());
          }
        })
        .build();
  }

  @Override
  public void close() {
    release.countDown();
    server.stop(0);
  }
}
