package dev.headroom.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/** CloudWatchPublisher with the real SDK client against a local CloudWatch endpoint. */
class CloudWatchPublisherTest {

  static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
  static final Map<String, String> DIMS = Map.of("service", "remittance", "pod", "remittance-0");

  LocalCloudWatch cloudWatch;
  CloudWatchAsyncClient client;
  final AtomicLong depth = new AtomicLong(4_200);
  final Signal queue = Signal.fleetTotal("remittance-queue", "messages", 100, depth::get);
  final Signal utilisation = Signal.perPod("api-utilisation", "ratio", 0.7, () -> 0.55);

  @BeforeEach
  void start() throws Exception {
    cloudWatch = new LocalCloudWatch();
    client = cloudWatch.client(false);
  }

  @AfterEach
  void stop() {
    client.close();
    cloudWatch.close();
  }

  CloudWatchPublisher.Builder publisher() {
    return CloudWatchPublisher.builder(client, "Headroom/Test")
        .dimensions(new java.util.LinkedHashMap<>(Map.of("service", "remittance")) {
          {
            put("pod", "remittance-0");
          }
        })
        .wallClock(Clock.fixed(T0, ZoneOffset.UTC));
  }

  static Map<String, String> dims(MetricDatum d) {
    return d.dimensions().stream().collect(Collectors.toMap(Dimension::name, Dimension::value));
  }

  @Test
  void namesDimensionsValuesAndRollUp() throws Exception {
    ManualClock clock = new ManualClock();
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance").signal(queue)
        .currentReplicas(() -> 5).clock(clock).build();
    try (CloudWatchPublisher p = publisher().advisor(advisor).signal(utilisation)
        .highResolution(true).build()) {
      assertEquals(6, p.sample(), "3 metrics, each with and without the pod dimension");
      p.flush().get(30, TimeUnit.SECONDS);
      assertEquals(1, cloudWatch.captured.size());
      List<MetricDatum> data = cloudWatch.captured.get(0).metricData();
      assertEquals("Headroom/Test", cloudWatch.captured.get(0).namespace());
      assertEquals(6, data.size());
      MetricDatum first = data.get(0);
      assertEquals("remittance-queue", first.metricName());
      assertEquals(4200.0, first.value());
      assertEquals(StandardUnit.COUNT, first.unit());
      assertEquals(T0, first.timestamp());
      assertEquals(1, first.storageResolution());
      assertEquals(DIMS, dims(first));
      assertEquals(Map.of("service", "remittance"), dims(data.get(1)));
      assertEquals("api-utilisation", data.get(2).metricName());
      assertEquals(StandardUnit.NONE, data.get(2).unit());
      assertEquals(0.55, data.get(2).value());
      assertEquals("desired-replicas", data.get(4).metricName());
      assertEquals(42.0, data.get(4).value());
      assertEquals(6, p.sentCount());
      // The wire: the same six datums, to the PutMetricData operation.
      Map<String, String> form = cloudWatch.forms.get(0);
      assertTrue(cloudWatch.paths.get(0).endsWith("PutMetricData"), cloudWatch.paths.get(0));
      assertEquals("Headroom/Test", form.get("Namespace"));
      assertEquals(6, LocalCloudWatch.datums(form));
      assertEquals("remittance-queue", form.get("MetricData.member.1.MetricName"));
      assertEquals("1", form.get("MetricData.member.1.StorageResolution"));
    }
  }

  @Test
  void batchesStayWithinTheApiLimits() throws Exception {
    try (CloudWatchPublisher p = publisher().signal(queue).bufferCapacity(5_000).build()) {
      for (int i = 0; i < 1_250; i++) {
        depth.set(i);
        p.sample();
      }
      assertEquals(2_500, p.buffered());
      p.flush().get(60, TimeUnit.SECONDS);
      assertEquals(List.of(1_000, 1_000, 500), cloudWatch.captured.stream()
          .map(r -> r.metricData().size()).collect(Collectors.toList()));
      assertEquals(List.of(1_000, 1_000, 500), cloudWatch.forms.stream()
          .map(LocalCloudWatch::datums).collect(Collectors.toList()));
      for (int bytes : cloudWatch.bodyBytes) {
        assertTrue(bytes < 1_000_000, bytes + " bytes");
      }
      assertEquals(2_500, p.sentCount());
      assertEquals(0, p.buffered());
      // Oldest first: the first request starts with the first sample.
      assertEquals(0.0, cloudWatch.captured.get(0).metricData().get(0).value());
      assertEquals(1249.0, cloudWatch.captured.get(2).metricData().get(499).value());
    }
  }

  @Test
  void serverErrorsAreRetriedABoundedNumberOfTimesThenDroppedAndCounted() throws Exception {
    cloudWatch.mode = LocalCloudWatch.Mode.ERROR_500;
    try (CloudWatchPublisher p = publisher().signal(queue).maxAttempts(3)
        .backoff(Duration.ofMillis(20)).build()) {
      p.sample();
      p.flush().get(30, TimeUnit.SECONDS);
      assertEquals(3, cloudWatch.forms.size(), "three attempts, no more");
      assertEquals(2, p.droppedFailedCount());
      assertEquals(3, p.failedRequestCount());
      assertEquals(0, p.sentCount());
      cloudWatch.mode = LocalCloudWatch.Mode.OK;
      depth.set(17);
      p.sample();
      p.flush().get(30, TimeUnit.SECONDS);
      assertEquals(2, p.sentCount(), "newer datums go through once CloudWatch recovers");
      assertEquals(17.0, cloudWatch.captured.get(3).metricData().get(0).value());
    }
  }

  @Test
  void theSdksOwnRetriesStayBoundedToo() throws Exception {
    cloudWatch.mode = LocalCloudWatch.Mode.ERROR_500;
    try (CloudWatchAsyncClient retrying = cloudWatch.client(true);
        CloudWatchPublisher p = CloudWatchPublisher.builder(retrying, "Headroom/Test")
            .signal(queue).dimensions(DIMS).maxAttempts(2).backoff(Duration.ZERO).build()) {
      p.sample();
      p.flush().get(60, TimeUnit.SECONDS);
      assertEquals(6, cloudWatch.forms.size(), "2 attempts x the SDK's standard 3");
      assertEquals(2, p.droppedFailedCount());
    }
  }

  @Test
  void aHangingEndpointNeverBlocksTheApplication() throws Exception {
    cloudWatch.mode = LocalCloudWatch.Mode.HANG;
    try (CloudWatchPublisher p = publisher().signal(queue).maxAttempts(2)
        .backoff(Duration.ZERO).requestTimeout(Duration.ofSeconds(2)).bufferCapacity(4)
        .build()) {
      p.sample();
      CompletableFuture<Void> flush = p.flush();
      assertFalse(flush.isDone(), "flush() returned while the endpoint still hangs");
      // The application keeps sampling (it never waits for the network); the bounded buffer
      // drops the oldest datums, counted.
      for (int i = 0; i < 5; i++) {
        p.sample();
      }
      assertEquals(4, p.buffered());
      assertEquals(6, p.droppedOverflowCount());
      flush.get(30, TimeUnit.SECONDS);
      assertEquals(2, cloudWatch.forms.size(), "each attempt timed out, two in all");
      assertEquals(2, p.droppedFailedCount());
      assertTrue(p.lastFailure() != null);
    }
  }

  @Test
  void theBufferDropsTheOldest() throws Exception {
    try (CloudWatchPublisher p = publisher().signal(queue).rollUp(false).bufferCapacity(3)
        .build()) {
      for (int i = 1; i <= 5; i++) {
        depth.set(i);
        p.sample();
      }
      assertEquals(2, p.droppedOverflowCount());
      p.flush().get(30, TimeUnit.SECONDS);
      assertEquals(List.of(3.0, 4.0, 5.0), cloudWatch.captured.get(0).metricData().stream()
          .map(MetricDatum::value).collect(Collectors.toList()));
    }
  }

  @Test
  void skippedReadingsAreNotSent() throws Exception {
    Signal broken = Signal.perPod("broken", "requests", 1, () -> Double.NaN);
    try (CloudWatchPublisher p = publisher().signal(broken).signal(queue).rollUp(false)
        .build()) {
      assertEquals(1, p.sample());
      assertEquals(1, broken.invalidCount());
    }
  }

  @Test
  void configurationIsChecked() {
    assertEquals("namespace must be at most 255 characters, not starting with AWS/ (was"
        + " \"AWS/SQS\")", assertThrows(IllegalArgumentException.class,
            () -> CloudWatchPublisher.builder(client, "AWS/SQS")).getMessage());
    assertEquals("maxAttempts must be in [1, 10] (was 0)",
        assertThrows(IllegalArgumentException.class, () -> publisher().maxAttempts(0))
            .getMessage());
    assertEquals("sampleInterval must be >= PT1S (was PT0.5S)",
        assertThrows(IllegalArgumentException.class,
            () -> publisher().sampleInterval(Duration.ofMillis(500))).getMessage());
    assertEquals("signals or advisor must be set",
        assertThrows(IllegalStateException.class, () -> publisher().build()).getMessage());
    assertEquals(StandardUnit.COUNT_SECOND, CloudWatchPublisher.unit("requests/s"));
    assertEquals(StandardUnit.PERCENT, CloudWatchPublisher.unit("%"));
  }
}
