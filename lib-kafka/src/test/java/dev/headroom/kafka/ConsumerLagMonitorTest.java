package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.core.metrics.RecordingMeterSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The lag signal against a real broker: offsets written and committed by hand, then read. */
class ConsumerLagMonitorTest {

  static KafkaBroker broker;
  static Admin admin;
  static KafkaProducer<String, String> producer;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start();
    admin = Admin.create(broker.clientConfig());
    producer = new KafkaProducer<>(TestTopics.producerConfig(broker), new StringSerializer(),
        new StringSerializer());
  }

  @AfterAll
  static void stop() throws Exception {
    producer.close();
    admin.close();
    broker.close();
  }

  static void createTopic(String topic, int partitions) throws Exception {
    TestTopics.create(admin, partitions, topic);
  }

  static void produce(String topic, int partition, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      producer.send(new ProducerRecord<>(topic, partition, "k" + i, "v" + i));
    }
    producer.flush();
  }

  static KafkaConsumer<String, String> consumer(String group) {
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", group);
    c.put("enable.auto.commit", "false");
    return new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
  }

  static void commit(String group, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    offsets.forEach((tp, o) -> commit.put(tp, new OffsetAndMetadata(o)));
    try (KafkaConsumer<String, String> c = consumer(group)) {
      c.assign(offsets.keySet());
      c.commitSync(commit);
    }
  }

  /**
   * The lag as anyone would compute it by hand from the broker's offsets, read through the
   * consumer API (not the Admin API the monitor uses): end offset minus committed offset, and
   * end minus beginning where nothing is committed.
   */
  static Map<TopicPartition, Long> lagByHand(String group, String topic, int partitions) {
    Map<TopicPartition, Long> lag = new HashMap<>();
    try (KafkaConsumer<String, String> c = consumer(group)) {
      Set<TopicPartition> all = new java.util.HashSet<>();
      for (int p = 0; p < partitions; p++) {
        all.add(new TopicPartition(topic, p));
      }
      Map<TopicPartition, Long> end = c.endOffsets(all);
      Map<TopicPartition, Long> begin = c.beginningOffsets(all);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(all);
      for (TopicPartition tp : all) {
        OffsetAndMetadata om = committed.get(tp);
        lag.put(tp, end.get(tp) - (om == null ? begin.get(tp) : om.offset()));
      }
    }
    return lag;
  }

  static TopicPartition tp(String topic, int p) {
    return new TopicPartition(topic, p);
  }

  @Test
  void lagEqualsTheLagComputedByHandFromTheBrokersOffsets() throws Exception {
    createTopic("lag-hand", 4);
    produce("lag-hand", 0, 120);
    produce("lag-hand", 1, 10);
    produce("lag-hand", 2, 5);
    commit("lag-hand-g", Map.of(tp("lag-hand", 0), 20L, tp("lag-hand", 1), 10L));

    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-hand-g")
        .topics(List.of("lag-hand")).hotMinLag(50).build()) {
      ConsumerLag lag = monitor.refresh();

      Map<TopicPartition, Long> expected = lagByHand("lag-hand-g", "lag-hand", 4);
      assertEquals(expected, monitor.partitionLags());
      // And the same figures spelled out: p2 was never committed, so all 5 retained records
      // count (uncommitted as EARLIEST); p3 is empty.
      assertEquals(Map.of(tp("lag-hand", 0), 100L, tp("lag-hand", 1), 0L,
          tp("lag-hand", 2), 5L, tp("lag-hand", 3), 0L), expected);
      assertEquals(105, monitor.totalLag());
      assertEquals(100, monitor.partitionLag(tp("lag-hand", 0)));
      assertSame(lag, monitor.lag());
      assertTrue(monitor.hasMeasured());
      assertTrue(monitor.hasHotPartition());
      assertEquals(Optional.of(tp("lag-hand", 0)), lag.hotPartition());
      LagInvariants.check(lag, expected, 0.5, 50);
    }
  }

  @Test
  void uncommittedPartitionsCountZeroWhenMeasuredAsLatest() throws Exception {
    createTopic("lag-latest", 2);
    produce("lag-latest", 0, 30);
    produce("lag-latest", 1, 8);
    commit("lag-latest-g", Map.of(tp("lag-latest", 0), 10L));
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-latest-g")
        .topics(List.of("lag-latest"))
        .uncommittedAs(ConsumerLagMonitor.OffsetReset.LATEST).build()) {
      monitor.refresh();
      assertEquals(Map.of(tp("lag-latest", 0), 20L, tp("lag-latest", 1), 0L),
          monitor.partitionLags());
    }
  }

  @Test
  void withoutTopicsOnlyCommittedAndAssignedPartitionsAreMeasured() throws Exception {
    createTopic("lag-committed", 3);
    produce("lag-committed", 0, 12);
    produce("lag-committed", 2, 9);
    commit("lag-committed-g", Map.of(tp("lag-committed", 0), 2L));
    try (ConsumerLagMonitor monitor =
        ConsumerLagMonitor.builder(admin, "lag-committed-g").build()) {
      monitor.refresh();
      assertEquals(Map.of(tp("lag-committed", 0), 10L), monitor.partitionLags());
    }
  }

  @Test
  void anUnknownGroupReportsTheWholeBacklogOfItsTopics() throws Exception {
    createTopic("lag-new-group", 2);
    produce("lag-new-group", 0, 4);
    produce("lag-new-group", 1, 6);
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "never-joined")
        .topics(List.of("lag-new-group")).build()) {
      assertEquals(10, monitor.refresh().totalLag());
    }
  }

  @Test
  void hotPartitionIndicatorFollowsTheShareThreshold() throws Exception {
    createTopic("lag-hot", 3);
    produce("lag-hot", 0, 300);
    produce("lag-hot", 1, 100);
    produce("lag-hot", 2, 100);
    String group = "lag-hot-g";
    try (ConsumerLagMonitor half = ConsumerLagMonitor.builder(admin, group)
            .topics(List.of("lag-hot")).hotMinLag(100).build();
        ConsumerLagMonitor strict = ConsumerLagMonitor.builder(admin, group)
            .topics(List.of("lag-hot")).hotShare(0.7).hotMinLag(100).build();
        ConsumerLagMonitor large = ConsumerLagMonitor.builder(admin, group)
            .topics(List.of("lag-hot")).hotMinLag(501).build()) {
      // 300 of 500: a share of 0.6.
      assertTrue(half.refresh().hot());
      assertEquals(Optional.of(tp("lag-hot", 0)), half.lag().hotPartition());
      assertEquals(0.6, half.lag().maxShare(), 1e-12);
      assertFalse(strict.refresh().hot(), "0.6 is not above 0.7");
      assertFalse(large.refresh().hot(), "500 records is below the minimum of 501");

      // The consumer catches up on the hot partition: 50 / 100 / 100 is not hot any more.
      commit(group, Map.of(tp("lag-hot", 0), 250L));
      ConsumerLag after = half.refresh();
      assertFalse(after.hot());
      assertEquals(Optional.of(tp("lag-hot", 1)), after.maxPartition());
      assertEquals(250, after.totalLag());
    }
  }

  @Test
  void publishesGaugesThatReadTheLatestMeasurement() throws Exception {
    createTopic("lag-meters", 2);
    produce("lag-meters", 0, 40);
    produce("lag-meters", 1, 2);
    ManualClock clock = new ManualClock();
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-meters-g")
        .name("enrollment").topics(List.of("lag-meters")).hotMinLag(10).clock(clock).build()) {
      monitor.refresh();
      RecordingMeterSink sink = new RecordingMeterSink();
      monitor.describeMeters(sink);
      assertEquals(42, sink.value("headroom.kafka.lag", "name", "enrollment",
          "group", "lag-meters-g"));
      assertEquals(40, sink.value("headroom.kafka.lag.partition", "topic", "lag-meters",
          "partition", "0"));
      assertEquals(2, sink.value("headroom.kafka.lag.partition", "partition", "1"));
      assertEquals(40, sink.value("headroom.kafka.lag.max"));
      assertEquals(40.0 / 42, sink.value("headroom.kafka.lag.max.share"), 1e-12);
      assertEquals(1, sink.value("headroom.kafka.lag.hot"));
      assertEquals(1, sink.value("headroom.kafka.lag.refreshes", "outcome", "success"));
      assertEquals(0, sink.value("headroom.kafka.lag.refreshes", "outcome", "failure"));
      assertEquals(0, sink.value("headroom.kafka.lag.age"));
      clock.advance(Duration.ofSeconds(3));
      assertEquals(3, sink.value("headroom.kafka.lag.age"));
      assertEquals(Duration.ofSeconds(3), monitor.age());

      // Gauges read live state: the next measurement shows without binding again.
      commit("lag-meters-g", Map.of(tp("lag-meters", 0), 40L));
      monitor.refresh();
      assertEquals(2, sink.value("headroom.kafka.lag"));
      assertEquals(0, sink.value("headroom.kafka.lag.partition", "partition", "0"));
      assertEquals(0, sink.value("headroom.kafka.lag.hot"));
      assertEquals(0, sink.value("headroom.kafka.lag.age"));
    }
  }

  /**
   * Partitions added to a topic after the monitor was bound: the next refresh measures them
   * and gives each its own gauge, here in a real Micrometer registry, without binding again.
   */
  @Test
  void aPartitionAddedLaterGetsItsGaugeFromTheNextRefresh() throws Exception {
    createTopic("lag-grow", 1);
    produce("lag-grow", 0, 5);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-grow-g")
        .topics(List.of("lag-grow")).build()) {
      monitor.refresh();
      new HeadroomMeterBinder(monitor).bindTo(registry);
      assertEquals(1, registry.find("headroom.kafka.lag.partition").gauges().size());

      admin.createPartitions(Map.of("lag-grow", NewPartitions.increaseTo(3))).all().get();
      produce("lag-grow", 2, 7);
      monitor.refresh();

      assertEquals(3, registry.find("headroom.kafka.lag.partition").gauges().size());
      assertEquals(7.0, registry.get("headroom.kafka.lag.partition")
          .tag("topic", "lag-grow").tag("partition", "2").gauge().value());
      assertEquals(0.0, registry.get("headroom.kafka.lag.partition")
          .tag("partition", "1").gauge().value());
      assertEquals(12.0, registry.get("headroom.kafka.lag").gauge().value());
      // Binding a second registry later declares every partition measured so far, once.
      SimpleMeterRegistry second = new SimpleMeterRegistry();
      new HeadroomMeterBinder(monitor).bindTo(second);
      monitor.refresh();
      assertEquals(3, second.find("headroom.kafka.lag.partition").gauges().size());
    }
  }

  /**
   * A sink that refuses a partition's gauge (a registry rejecting the meter) fails neither the
   * refresh nor the measurement: the refusal is counted and the gauge offered again at the next
   * refresh.
   */
  @Test
  void aSinkRefusingAGaugeDoesNotFailTheRefreshAndIsAskedAgain() throws Exception {
    createTopic("lag-refuse", 1);
    produce("lag-refuse", 0, 3);
    RecordingMeterSink recorded = new RecordingMeterSink();
    java.util.concurrent.atomic.AtomicInteger refusals =
        new java.util.concurrent.atomic.AtomicInteger(1);
    MeterSink refusingOnce = new MeterSink() {
      @Override
      public void counter(MeterId id, java.util.function.LongSupplier count) {
        recorded.counter(id, count);
      }

      @Override
      public void gauge(MeterId id, java.util.function.DoubleSupplier value) {
        if (id.name().equals("headroom.kafka.lag.partition") && refusals.getAndDecrement() > 0) {
          throw new IllegalStateException("registry closed for new meters");
        }
        recorded.gauge(id, value);
      }

      @Override
      public void timer(MeterId id, java.util.function.LongSupplier count,
          java.util.function.LongSupplier totalNanos) {
        recorded.timer(id, count, totalNanos);
      }
    };
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-refuse-g")
        .topics(List.of("lag-refuse")).build()) {
      monitor.describeMeters(refusingOnce); // nothing measured yet: no partition gauge
      ConsumerLag lag = monitor.refresh();   // the refused declaration must not fail this
      assertEquals(3, lag.totalLag());
      assertEquals(1, monitor.gaugeDeclarationFailures());
      assertEquals(1, recorded.value("headroom.kafka.lag.refreshes", "outcome", "success"));
      assertEquals(0, recorded.value("headroom.kafka.lag.refreshes", "outcome", "failure"));
      monitor.refresh();
      assertEquals(3, recorded.value("headroom.kafka.lag.partition", "partition", "0"));
      assertEquals(1, monitor.gaugeDeclarationFailures());
    }
  }

  @Test
  void pollsOnItsOwnThreadAndPicksUpNewRecords() throws Exception {
    createTopic("lag-poll", 1);
    produce("lag-poll", 0, 3);
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-poll-g")
        .topics(List.of("lag-poll")).interval(Duration.ofMillis(100)).build()) {
      monitor.start();
      awaitTrue(() -> monitor.totalLag() == 3, "first measurement");
      produce("lag-poll", 0, 7);
      awaitTrue(() -> monitor.totalLag() == 10, "new records seen by the polling thread");
      IllegalStateException e = assertThrows(IllegalStateException.class, monitor::start);
      assertEquals("ConsumerLagMonitor lag-poll-g was already started or closed",
          e.getMessage());
    }
  }

  @Test
  void aFailedRefreshKeepsThePreviousMeasurementAndCountsTheFailure() throws Exception {
    createTopic("lag-fail", 1);
    produce("lag-fail", 0, 5);
    Admin doomed = Admin.create(broker.clientConfig());
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(doomed, "lag-fail-g")
        .topics(List.of("lag-fail")).timeout(Duration.ofSeconds(2)).build()) {
      ConsumerLag before = monitor.refresh();
      doomed.close();
      KafkaException e = assertThrows(KafkaException.class, monitor::refresh);
      assertTrue(e.getMessage().startsWith("cannot read the offsets of group lag-fail-g: "),
          e.getMessage());
      assertSame(before, monitor.lag());
      assertEquals(5, monitor.totalLag());
      assertSame(e.getCause(), monitor.lastFailure());
      RecordingMeterSink sink = new RecordingMeterSink();
      monitor.describeMeters(sink);
      assertEquals(1, sink.value("headroom.kafka.lag.refreshes", "outcome", "failure"));
    }
  }

  @Test
  void concurrentRefreshesAreAllCountedAndTheNewestMeasurementWins() throws Exception {
    createTopic("lag-race", 2);
    produce("lag-race", 0, 6);
    produce("lag-race", 1, 1);
    int threads = 4;
    int perThread = 5;
    try (ConsumerLagMonitor monitor = ConsumerLagMonitor.builder(admin, "lag-race-g")
        .topics(List.of("lag-race")).interval(Duration.ofMillis(20)).build()) {
      monitor.start(); // the polling thread races with the callers below
      java.util.concurrent.ConcurrentLinkedQueue<ConsumerLag> seen =
          new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<Thread> workers = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          try {
            go.await();
            for (int i = 0; i < perThread; i++) {
              seen.add(monitor.refresh());
              assertEquals(7, monitor.totalLag());
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        w.start();
        workers.add(w);
      }
      go.countDown();
      for (Thread w : workers) {
        w.join(30_000);
      }
      assertEquals(threads * perThread, seen.size());
      monitor.close();
      long newest = seen.stream().mapToLong(ConsumerLag::measuredAtNanos).max().orElseThrow();
      assertTrue(monitor.lag().measuredAtNanos() - newest >= 0, "the newest one is published");
      RecordingMeterSink sink = new RecordingMeterSink();
      monitor.describeMeters(sink);
      // Every caller's refresh is counted exactly, plus the polling thread's.
      assertTrue(sink.value("headroom.kafka.lag.refreshes", "outcome", "success")
          >= threads * perThread);
      assertEquals(0, sink.value("headroom.kafka.lag.refreshes", "outcome", "failure"));
    }
  }

  @Test
  void builderRejectsBadSettingsWithTheSharedMessage() {
    assertEquals("group must be non-blank (was \" \")", assertThrows(
        IllegalArgumentException.class, () -> ConsumerLagMonitor.builder(admin, " "))
        .getMessage());
    assertEquals("admin must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> ConsumerLagMonitor.builder(null, "g"))
        .getMessage());
    ConsumerLagMonitor.Builder b = ConsumerLagMonitor.builder(admin, "g");
    assertEquals("hotShare must be in (0, 1] (was 1.5)", assertThrows(
        IllegalArgumentException.class, () -> b.hotShare(1.5)).getMessage());
    assertEquals("hotMinLag must be >= 0 (was -1)", assertThrows(
        IllegalArgumentException.class, () -> b.hotMinLag(-1)).getMessage());
    assertEquals("interval must be > 0 (was PT0S)", assertThrows(
        IllegalArgumentException.class, () -> b.interval(Duration.ZERO)).getMessage());
    assertEquals("timeout must be > 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class, () -> b.timeout(Duration.ofSeconds(-1))).getMessage());
    assertEquals("topics must be non-empty (was [])", assertThrows(
        IllegalArgumentException.class, () -> b.topics(List.of())).getMessage());
    b.topics(List.of("a"));
    assertEquals("topics was already set to [a]", assertThrows(
        IllegalStateException.class, () -> b.topics(List.of("b"))).getMessage());
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
