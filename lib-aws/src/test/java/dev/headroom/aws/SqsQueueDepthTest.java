package dev.headroom.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import dev.headroom.signal.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/** SQS depth against ElasticMQ in-process, counted as KEDA's aws-sqs-queue scaler counts. */
class SqsQueueDepthTest {

  static LocalAws aws;
  static SqsClient sqs;
  static SqsAsyncClient async;

  @BeforeAll
  static void startElasticMq() {
    aws = new LocalAws();
    sqs = aws.sqs();
    async = aws.asyncSqs();
  }

  @AfterAll
  static void stop() {
    async.close();
    sqs.close();
    aws.close();
  }

  static String queue(String name) {
    return sqs.createQueue(b -> b.queueName("lib-aws-" + name).attributes(Map.of(
        QueueAttributeName.VISIBILITY_TIMEOUT, "600"))).queueUrl();
  }

  static void send(String url, int n, int delaySeconds) {
    for (int i = 0; i < n; i += 10) {
      List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + 10); j++) {
        batch.add(SendMessageBatchRequestEntry.builder().id("m" + j).messageBody("payment " + j)
            .delaySeconds(delaySeconds).build());
      }
      assertTrue(sqs.sendMessageBatch(b -> b.queueUrl(url).entries(batch)).failed().isEmpty());
    }
  }

  static long poll(SqsQueueDepth depth) throws Exception {
    return depth.refresh().get(20, TimeUnit.SECONDS);
  }

  @Test
  void sendNReadsN() throws Exception {
    String url = queue("send-n");
    try (SqsQueueDepth depth = SqsQueueDepth.builder(async, url).build()) {
      Signal signal = depth.signal("remittance-queue", 100);
      assertTrue(Double.isNaN(signal.read()), "nothing polled yet: skipped, not 0");
      assertEquals(0, poll(depth));
      send(url, 137, 0);
      assertEquals(137, poll(depth));
      assertEquals(137.0, signal.read());
      assertEquals(2, depth.successCount());
      assertEquals(0, depth.errorCount());
      assertEquals("lib-aws-send-n", depth.name());
    }
  }

  @Test
  void inFlightAndDelayedAreCountedPerConfiguration() throws Exception {
    String url = queue("in-flight");
    send(url, 50, 0);
    send(url, 7, 600);
    int received = 0;
    while (received < 20) {
      int max = Math.min(10, 20 - received);
      received += sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max))
          .messages().size();
    }
    try (SqsQueueDepth keda = SqsQueueDepth.builder(async, url).build();
        SqsQueueDepth visibleOnly = SqsQueueDepth.builder(async, url).includeInFlight(false)
            .build();
        SqsQueueDepth all = SqsQueueDepth.builder(async, url).includeDelayed(true).build()) {
      assertEquals(50, poll(keda), "KEDA's default: visible 30 + in flight 20");
      assertEquals(30, poll(visibleOnly), "scaleOnInFlight false");
      assertEquals(57, poll(all), "scaleOnDelayed true adds the 7 delayed");
      assertEquals(List.of(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED), all.attributes());
    }
  }

  @Test
  void aDeletedQueueCountsErrorsKeepsTheLastValueAndNeverThrows() throws Exception {
    String url = queue("deleted");
    send(url, 12, 0);
    ManualClock clock = new ManualClock();
    try (SqsQueueDepth depth = SqsQueueDepth.builder(async, url).clock(clock).build()) {
      Signal signal = depth.signal("q", 10);
      assertEquals(12, poll(depth));
      sqs.deleteQueue(b -> b.queueUrl(url));
      clock.advance(Duration.ofSeconds(45));
      assertEquals(12, poll(depth), "the last value stays");
      assertEquals(12, poll(depth));
      assertEquals(2, depth.errorCount());
      assertNotNull(depth.lastFailure());
      assertEquals(Duration.ofSeconds(45), depth.age(), "staleness grows");
      assertEquals(12.0, signal.read());
      RecordingMeterSink sink = new RecordingMeterSink();
      depth.describeMeters(sink);
      String[] tags = {"name", "lib-aws-deleted", "queue", "lib-aws-deleted"};
      assertEquals(12.0, sink.value("headroom.aws.sqs.depth", tags));
      assertEquals(45.0, sink.value("headroom.aws.sqs.age", tags));
      assertEquals(2.0, sink.value("headroom.aws.sqs.polls", "name", "lib-aws-deleted",
          "queue", "lib-aws-deleted", "outcome", "failure"));
    }
  }

  @Test
  void pollsOnItsOwnThreadOnceStarted() throws Exception {
    String url = queue("scheduled");
    send(url, 3, 0);
    try (SqsQueueDepth depth = SqsQueueDepth.builder(async, url)
        .pollInterval(Duration.ofMillis(50)).build()) {
      depth.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (depth.successCount() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(depth.successCount() >= 3, depth.toString());
      assertEquals(3, depth.depth());
    }
  }

  @Test
  void anUnreachableEndpointIsAnErrorNotAnException() throws Exception {
    try (SqsAsyncClient nowhere = SqsAsyncClient.builder().region(LocalAws.REGION)
            .credentialsProvider(LocalAws.CREDENTIALS)
            .endpointOverride(java.net.URI.create("http://127.0.0.1:9")).build();
        SqsQueueDepth depth = SqsQueueDepth.builder(nowhere, "http://127.0.0.1:9/q/none")
            .requestTimeout(Duration.ofSeconds(2)).build()) {
      assertEquals(-1, poll(depth));
      assertEquals(1, depth.errorCount());
    }
  }
}
