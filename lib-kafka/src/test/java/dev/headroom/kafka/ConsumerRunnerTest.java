package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.headroom.kafka.RunnerInvariants.header;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.RecordingMeterSink;
import dev.headroom.guard.Guard;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The consumer runner against a real broker: dead letters, offsets, restarts, pausing. */
class ConsumerRunnerTest {

  /** The idempotent test handler's memory. */
  static final class Deliveries {
    private final RunnerInvariants.Deliveries d = new RunnerInvariants.Deliveries();
    final List<String> order = d.order;

    void record(ConsumerRecord<String, Integer> r) {
      d.record(r);
    }

    Set<Integer> values() {
      return d.values();
    }

    int duplicates() {
      return d.duplicates();
    }
  }

  static KafkaBroker broker;
  static Admin admin;
  static KafkaProducer<String, String> producer;
  static KafkaProducer<byte[], byte[]> dlqProducer;

  /** Values are decimal integers; anything else is a poison record. */
  static final Deserializer<Integer> INTS = (topic, data) ->
      Integer.parseInt(new String(data, StandardCharsets.UTF_8));

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start();
    admin = Admin.create(broker.clientConfig());
    producer = new KafkaProducer<>(TestTopics.producerConfig(broker), new StringSerializer(),
        new StringSerializer());
    dlqProducer = new KafkaProducer<>(TestTopics.producerConfig(broker),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() throws Exception {
    dlqProducer.close();
    producer.close();
    admin.close();
    broker.close();
  }

  static void createTopics(int partitions, String... topics) throws Exception {
    TestTopics.create(admin, partitions, topics);
  }

  static void send(String topic, int partition, String value) throws Exception {
    producer.send(new ProducerRecord<>(topic, partition, "key-" + value, value)).get();
  }

  static KafkaConsumer<byte[], byte[]> consumer(String group, Map<String, Object> extra) {
    Map<String, Object> c = broker.clientConfig();
    c.put("group.id", group);
    c.put("enable.auto.commit", "false");
    c.put("auto.offset.reset", "earliest");
    c.putAll(extra);
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static ConsumerRunner.Builder<String, Integer> runner(String group, String topic, String dlq,
      Map<String, Object> extra) {
    return ConsumerRunner.builder(group, consumer(group, extra), new StringDeserializer(), INTS)
        .topics(List.of(topic))
        .deadLetter(dlqProducer, dlq)
        .retryBackoff(Duration.ofMillis(10))
        .pollTimeout(Duration.ofMillis(100));
  }

  static Map<TopicPartition, Long> committed(String group) throws Exception {
    Map<TopicPartition, Long> out = new TreeMap<>(ConsumerLag.ORDER);
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get().entrySet()) {
      out.put(e.getKey(), e.getValue().offset());
    }
    return out;
  }

  static Map<TopicPartition, Long> endOffsets(String topic, int partitions) {
    Set<TopicPartition> all = new HashSet<>();
    for (int p = 0; p < partitions; p++) {
      all.add(new TopicPartition(topic, p));
    }
    try (KafkaConsumer<byte[], byte[]> c = consumer("end-offsets-reader", Map.of())) {
      Map<TopicPartition, Long> out = new TreeMap<>(ConsumerLag.ORDER);
      out.putAll(c.endOffsets(all));
      return out;
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer("reader-" + topic, Map.of())) {
      c.assign(List.of(new TopicPartition(topic, 0)));
      c.seekToBeginning(c.assignment());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (out.size() < expected && System.nanoTime() - deadline < 0) {
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(100));
        records.forEach(out::add);
      }
      // Anything more would be a duplicate dead letter: look once more.
      c.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    return out;
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  static Set<Integer> range(int from, int to) {
    Set<Integer> s = new HashSet<>();
    for (int i = from; i < to; i++) {
      s.add(i);
    }
    return s;
  }

  @Test
  void poisonRecordsLandInTheDeadLetterTopicAndARestartLosesAndSkipsNothing() throws Exception {
    createTopics(2, "orders");
    createTopics(1, "orders.dlq");
    // Partition 0: 0..9 with an undeserializable value at offset 4 (carrying a header).
    // Partition 1: 10..19, where the handler always fails on 13 (offset 3).
    for (int i = 0; i < 10; i++) {
      if (i == 4) {
        ProducerRecord<String, String> poison =
            new ProducerRecord<>("orders", 0, "key-x4", "x4");
        poison.headers().add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
        producer.send(poison).get();
      } else {
        send("orders", 0, Integer.toString(i));
      }
    }
    for (int i = 10; i < 20; i++) {
      send("orders", 1, Integer.toString(i));
    }
    Deliveries first = new Deliveries();
    AtomicInteger triesOf13 = new AtomicInteger();
    ConsumerRunner<String, Integer> runner = runner("orders-g", "orders", "orders.dlq", Map.of())
        .maxAttempts(3)
        .handler(r -> {
          if (r.value() == 13) {
            triesOf13.incrementAndGet();
            throw new IllegalStateException("cannot handle 13");
          }
          first.record(r);
        })
        .build();
    runner.start();
    await(() -> runner.handledCount() == 18 && runner.deadLetteredCount() == 2,
        "18 handled and 2 dead-lettered");
    assertTrue(runner.close(Duration.ofSeconds(10)));

    Set<Integer> expected = range(0, 20);
    expected.remove(4);
    expected.remove(13);
    assertEquals(expected, first.values(), "every other record was handled");
    assertEquals(0, first.duplicates());
    assertEquals(3, triesOf13.get(), "the handler was tried maxAttempts times");
    assertEquals(2, runner.retryCount());
    assertNull(runner.failure());

    List<ConsumerRecord<byte[], byte[]>> dead = readAll("orders.dlq", 2);
    assertEquals(2, dead.size(), "each poison record dead-lettered exactly once");
    Map<String, ConsumerRecord<byte[], byte[]>> byPartition = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      assertEquals("orders", header(r, ConsumerRunner.HEADER_TOPIC));
      byPartition.put(header(r, ConsumerRunner.HEADER_PARTITION), r);
    }
    ConsumerRecord<byte[], byte[]> undeserializable = byPartition.get("0");
    RunnerInvariants.assertDeadLetter(undeserializable, "orders", 0, 4,
        NumberFormatException.class, "deserialization", 0);
    assertEquals("For input string: \"x4\"",
        header(undeserializable, ConsumerRunner.HEADER_EXCEPTION_MESSAGE));
    assertEquals("deserialization", header(undeserializable, ConsumerRunner.HEADER_REASON));
    assertEquals("0", header(undeserializable, ConsumerRunner.HEADER_ATTEMPTS));
    assertEquals("t-1", header(undeserializable, "trace"), "original headers are kept");
    assertEquals("key-x4", new String(undeserializable.key(), StandardCharsets.UTF_8));
    assertEquals("x4", new String(undeserializable.value(), StandardCharsets.UTF_8));

    ConsumerRecord<byte[], byte[]> failing = byPartition.get("1");
    RunnerInvariants.assertDeadLetter(failing, "orders", 1, 3, IllegalStateException.class,
        "handler", 3);
    assertEquals("cannot handle 13", header(failing, ConsumerRunner.HEADER_EXCEPTION_MESSAGE));
    assertEquals("handler", header(failing, ConsumerRunner.HEADER_REASON));
    assertEquals("3", header(failing, ConsumerRunner.HEADER_ATTEMPTS));
    assertEquals("13", new String(failing.value(), StandardCharsets.UTF_8));

    // Committed offsets: everything done, the dead-lettered records included.
    assertEquals(endOffsets("orders", 2), committed("orders-g"));
    assertEquals(Map.of(new TopicPartition("orders", 0), 10L,
        new TopicPartition("orders", 1), 10L), committed("orders-g"));

    // Restart: a new consumer in the same group gets exactly the records written since.
    for (int i = 20; i < 26; i++) {
      send("orders", i % 2, Integer.toString(i));
    }
    Deliveries second = new Deliveries();
    try (ConsumerRunner<String, Integer> again =
        runner("orders-g", "orders", "orders.dlq", Map.of()).handler(second::record).build()) {
      again.start();
      await(() -> again.handledCount() == 6, "the new records");
      Thread.sleep(300); // a redelivered old record would show up here
      assertEquals(range(20, 26), second.values(), "nothing lost, nothing redelivered");
      assertEquals(0, second.duplicates());
    }
    assertEquals(endOffsets("orders", 2), committed("orders-g"));
    assertEquals(2, readAll("orders.dlq", 2).size(), "no dead letter sent twice");
  }

  @Test
  void aRestartInTheMiddleOfABacklogLosesAndSkipsNothing() throws Exception {
    createTopics(2, "backlog");
    createTopics(1, "backlog.dlq");
    for (int i = 0; i < 200; i++) {
      producer.send(new ProducerRecord<>("backlog", i % 2, "k", Integer.toString(i)));
    }
    producer.flush();
    Deliveries first = new Deliveries();
    ConsumerRunner<String, Integer> runner =
        runner("backlog-g", "backlog", "backlog.dlq", Map.of("max.poll.records", 20))
            .handler(r -> {
              first.record(r);
              Thread.sleep(2);
            })
            .build();
    runner.start();
    await(() -> runner.handledCount() >= 50, "part of the backlog");
    assertTrue(runner.close(Duration.ofSeconds(10)));
    assertTrue(first.values().size() < 200, "stopped in the middle");

    Deliveries second = new Deliveries();
    try (ConsumerRunner<String, Integer> again =
        runner("backlog-g", "backlog", "backlog.dlq", Map.of()).handler(second::record).build()) {
      again.start();
      await(() -> first.values().size() + second.values().size() >= 200, "the rest");
      Thread.sleep(300);
    }
    Set<Integer> all = new HashSet<>(first.values());
    all.addAll(second.values());
    assertEquals(range(0, 200), all, "nothing lost or skipped");
    Set<Integer> both = new HashSet<>(first.values());
    both.retainAll(second.values());
    assertEquals(Set.of(), both, "the final commit covered every handled record");
    assertEquals(endOffsets("backlog", 2), committed("backlog-g"));
  }

  @Test
  void aTransientFailureIsRetriedAndNotDeadLettered() throws Exception {
    createTopics(1, "flaky", "flaky.dlq");
    for (int i = 0; i < 5; i++) {
      send("flaky", 0, Integer.toString(i));
    }
    Deliveries deliveries = new Deliveries();
    AtomicInteger failuresLeft = new AtomicInteger(2);
    try (ConsumerRunner<String, Integer> runner = runner("flaky-g", "flaky", "flaky.dlq",
        Map.of()).maxAttempts(3).handler(r -> {
          if (r.value() == 2 && failuresLeft.getAndDecrement() > 0) {
            throw new java.io.IOException("timeout talking to the store");
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> runner.handledCount() == 5, "all five");
      assertEquals(2, runner.retryCount());
      assertEquals(0, runner.deadLetteredCount());
      assertEquals(List.of("0:0", "0:1", "0:2", "0:3", "0:4"), deliveries.order,
          "in offset order");
    }
    assertEquals(List.of(), readAll("flaky.dlq", 0));
  }

  /** A downstream's refusal, as a circuit breaker or a shedder would throw it. */
  static final class Refused extends RejectedException {
    private static final long serialVersionUID = 1L;

    Refused() {
      super("breaker", "store", "breaker store is OPEN", Duration.ofMillis(50).toNanos(), false);
    }
  }

  @Test
  void aRefusedRecordIsRewoundAndHandledAgainNotDeadLettered() throws Exception {
    createTopics(2, "refused");
    createTopics(1, "refused.dlq");
    for (int i = 0; i < 20; i++) {
      producer.send(new ProducerRecord<>("refused", i % 2, "k", Integer.toString(i)));
    }
    producer.flush();
    Deliveries deliveries = new Deliveries();
    AtomicInteger refusals = new AtomicInteger(5);
    try (ConsumerRunner<String, Integer> runner = runner("refused-g", "refused", "refused.dlq",
        Map.of()).maxAttempts(1).handler(r -> {
          if (r.value() % 4 == 1 && refusals.getAndDecrement() > 0) {
            // Wrapped, as a CompletableFuture or a wrapper library would.
            throw new java.util.concurrent.CompletionException(new Refused());
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> deliveries.values().size() == 20, "all twenty");
      assertEquals(5, runner.rejectionCount());
      assertEquals(0, runner.deadLetteredCount(), "a refusal is not a poison record");
      assertEquals(0, runner.retryCount());
      assertTrue(runner.pauseCount() >= 1, "backed off after a refusal");
      RunnerInvariants.assertInOffsetOrder(deliveries.order);
      assertEquals(0, deliveries.duplicates());
    }
    assertEquals(endOffsets("refused", 2), committed("refused-g"));
  }

  @Test
  void aFailedDeadLetterSendIsNotCommittedAndTheRecordIsNotSkipped() throws Exception {
    createTopics(1, "undeliverable", "undeliverable.dlq");
    send("undeliverable", 0, "0");
    send("undeliverable", 0, "poison");
    send("undeliverable", 0, "2");
    Map<String, Object> p = broker.clientConfig();
    p.put("max.block.ms", 200);
    Deliveries first = new Deliveries();
    try (KafkaProducer<byte[], byte[]> broken =
            new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        ConsumerRunner<String, Integer> runner = ConsumerRunner.builder("undeliverable-g",
                consumer("undeliverable-g", Map.of()), new StringDeserializer(), INTS)
            .topics(List.of("undeliverable"))
            .deadLetter(broken, "no-such-topic")
            .retryBackoff(Duration.ofMillis(10))
            .pollTimeout(Duration.ofMillis(100))
            .handler(first::record)
            .build()) {
      runner.start();
      await(() -> runner.deadLetterFailureCount() >= 2, "two failed dead-letter sends");
      assertEquals(Set.of(0), first.values(), "nothing after the poison record was handled");
      assertEquals(0, runner.deadLetteredCount());
    }
    assertEquals(Map.of(new TopicPartition("undeliverable", 0), 1L), committed("undeliverable-g"),
        "committed up to the poison record, not past it");

    Deliveries second = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("undeliverable-g", "undeliverable",
        "undeliverable.dlq", Map.of()).handler(second::record).build()) {
      runner.start();
      await(() -> runner.deadLetteredCount() == 1 && runner.handledCount() == 1,
          "the poison record dead-lettered and the next one handled");
      assertEquals(Set.of(2), second.values());
    }
    assertEquals("1", header(readAll("undeliverable.dlq", 1).get(0),
        ConsumerRunner.HEADER_OFFSET));
    assertEquals(Map.of(new TopicPartition("undeliverable", 0), 3L),
        committed("undeliverable-g"));
  }

  /**
   * A dead letter the broker refuses after accepting the send (larger than the dead-letter
   * topic's max.message.bytes): the records after it may be handled, but the commit never
   * passes it and it is tried again, never skipped.
   */
  @Test
  void aDeadLetterRefusedLateIsNotCommittedPast() throws Exception {
    createTopics(1, "late");
    admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("late.dlq", 1,
        (short) 1).configs(Map.of("max.message.bytes", "1024")))).all().get();
    await(() -> {
      try {
        return admin.describeTopics(List.of("late.dlq")).allTopicNames().get()
            .get("late.dlq").partitions().get(0).leader() != null;
      } catch (Exception e) {
        return false;
      }
    }, "a leader for late.dlq");
    send("late", 0, "0");
    send("late", 0, "x".repeat(4_000)); // undeserializable, and too large for late.dlq
    send("late", 0, "2");
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("late-g", "late", "late.dlq", Map.of())
        .handler(deliveries::record).build()) {
      runner.start();
      await(() -> runner.deadLetterFailureCount() >= 3, "three refused dead letters");
      assertEquals(0, runner.deadLetteredCount());
      assertEquals(Set.of(0, 2), deliveries.values(), "the records around it were handled");
      assertTrue(runner.redeliverableCount() >= 1,
          "the record handled after it was sent back with it (the late path)");
      assertFalse(runner.isCaughtUp());
    }
    assertEquals(Map.of(new TopicPartition("late", 0), 1L), committed("late-g"),
        "committed up to the refused dead letter's record, not past it");
  }

  static String memberId(String group) throws Exception {
    ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups()
        .get(group).get();
    List<String> ids = new ArrayList<>();
    for (MemberDescription m : d.members()) {
      ids.add(m.consumerId());
    }
    assertEquals(1, ids.size(), "one member in " + d);
    return ids.get(0);
  }

  @Test
  void whileTheBreakerIsOpenNothingIsHandledAndNoRebalanceHappensPastThePollInterval()
      throws Exception {
    createTopics(3, "paused");
    createTopics(1, "paused.dlq");
    for (int i = 0; i < 30; i++) {
      producer.send(new ProducerRecord<>("paused", i % 3, "k", Integer.toString(i)));
    }
    producer.flush();
    // The store's breaker trips on one failure and stays open 6 s, longer than the consumer's
    // max.poll.interval.ms of 3 s; then it ramps 1% -> 50% -> 100% by itself.
    CircuitBreaker breaker = CircuitBreaker.builder("store")
        .consecutiveFailures(1)
        .openDuration(Duration.ofSeconds(6))
        .openJitter(0)
        .rampStep(Duration.ofMillis(200), 2)
        .build();
    breaker.onFailure(breaker.tryAcquire(), 0, new java.io.IOException("store down"));
    assertEquals(BreakerState.OPEN, breaker.state());
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("paused-g", "paused", "paused.dlq",
        Map.of("max.poll.interval.ms", 3000))
        .breaker(breaker)
        .rejectionBackoff(Duration.ofMillis(50))
        .handler(r -> breaker.call(() -> {
          deliveries.record(r);
          return null;
        }))
        .build()) {
      runner.start();
      await(() -> runner.assignment().size() == 3, "the assignment");
      String member = memberId("paused-g");
      // Records keep arriving while the breaker is open.
      for (int i = 30; i < 40; i++) {
        producer.send(new ProducerRecord<>("paused", i % 3, "k", Integer.toString(i)));
      }
      producer.flush();
      // The control: a plain consumer with the same settings that stops polling instead.
      AtomicInteger controlAssignments = new AtomicInteger();
      try (KafkaConsumer<byte[], byte[]> control =
          consumer("paused-control-g", Map.of("max.poll.interval.ms", 3000))) {
        control.subscribe(List.of("paused"), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) { }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            controlAssignments.incrementAndGet();
          }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (controlAssignments.get() == 0 && System.nanoTime() - deadline < 0) {
          control.poll(Duration.ofMillis(100));
        }
        assertEquals(1, controlAssignments.get());
        // Longer than max.poll.interval.ms (3 s): a consumer that stopped polling is evicted
        // and its partitions rebalanced.
        Thread.sleep(4_000);
        deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (controlAssignments.get() < 2 && System.nanoTime() - deadline < 0) {
          control.poll(Duration.ofMillis(100));
        }
        assertEquals(2, controlAssignments.get(), "the control consumer had to rejoin");
      }
      assertEquals(0, runner.handledCount(), "nothing handled while open");
      assertEquals(Set.of(), deliveries.values());
      assertTrue(runner.isPaused());
      assertEquals(1, runner.rebalanceCount(), "no rebalance while paused");
      assertEquals(member, memberId("paused-g"), "still the same member of the group");
      RecordingMeterSink sink = new RecordingMeterSink();
      runner.describeMeters(sink);
      assertEquals(1, sink.value("headroom.kafka.consumer.paused", "name", "paused-g"));
      assertEquals(BreakerState.OPEN, breaker.state(), "the test outlasted the poll interval");

      // The open duration ends; the runner resumes at the ramp's first step, and the calls the
      // ramp refuses come back to it as rejections, retried and never dead-lettered.
      await(() -> deliveries.values().size() == 40, "every record after the breaker closes");
      await(() -> breaker.state() == BreakerState.CLOSED, "the ramp completes");
      assertEquals(range(0, 40), deliveries.values());
      assertEquals(0, runner.deadLetteredCount());
      assertFalse(runner.isPaused());
      assertEquals(1, runner.rebalanceCount(), "still no rebalance");
      assertEquals(0, sink.value("headroom.kafka.consumer.paused", "name", "paused-g"));
      assertEquals(40, sink.value("headroom.kafka.consumer.records", "outcome", "handled"));
    }
    assertEquals(endOffsets("paused", 3), committed("paused-g"));
  }

  @Test
  void aBreakerOpeningInTheMiddleOfAPollStopsHandlingAtOnceAndLosesNothing() throws Exception {
    createTopics(2, "midpoll");
    createTopics(1, "midpoll.dlq");
    for (int i = 0; i < 40; i++) {
      producer.send(new ProducerRecord<>("midpoll", i % 2, "k", Integer.toString(i)));
    }
    producer.flush();
    CircuitBreaker breaker = CircuitBreaker.builder("midpoll-store").build();
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("midpoll-g", "midpoll", "midpoll.dlq",
        Map.of()).breaker(breaker).handler(r -> {
          deliveries.record(r);
          if (deliveries.order.size() == 5) {
            breaker.forceOpen(); // the downstream goes away after the fifth record
          }
        }).build()) {
      runner.start();
      await(runner::isPaused, "the pause");
      Thread.sleep(500);
      assertEquals(5, runner.handledCount(), "not one record handled after the breaker opened");
      breaker.reset();
      await(() -> deliveries.values().size() == 40, "all forty");
      assertEquals(0, deliveries.duplicates(), "rewound to exactly the first record not done");
    }
    assertEquals(endOffsets("midpoll", 2), committed("midpoll-g"));
  }

  @Test
  void anOutageOpensTheBreakerAndNoHealthyRecordIsDeadLettered() throws Exception {
    createTopics(1, "outage");
    createTopics(1, "outage.dlq");
    for (int i = 0; i < 10; i++) {
      send("outage", 0, Integer.toString(i));
    }
    CircuitBreaker breaker = CircuitBreaker.builder("outage-store")
        .consecutiveFailures(3)
        .openDuration(Duration.ofMillis(500))
        .openJitter(0)
        .rampStep(Duration.ofMillis(100), 1)
        .build();
    java.util.concurrent.atomic.AtomicBoolean storeDown =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("outage-g", "outage", "outage.dlq",
        Map.of()).breaker(breaker).maxAttempts(3).rejectionBackoff(Duration.ofMillis(50))
        .handler(r -> breaker.call(() -> {
          if (storeDown.get()) {
            throw new java.io.IOException("connection refused");
          }
          deliveries.record(r);
          return null;
        })).build()) {
      runner.start();
      // The third failure of the first record opens the breaker: the record is rewound, not
      // dead-lettered, although it used up its attempts.
      await(() -> breaker.transitionCount(BreakerState.OPEN) >= 1, "the breaker to open");
      Thread.sleep(1_500); // a few open / half-open cycles while the store is still down
      assertEquals(0, runner.deadLetteredCount());
      assertEquals(0, runner.handledCount());
      storeDown.set(false);
      await(() -> deliveries.values().size() == 10, "all ten once the store is back");
      assertEquals(0, runner.deadLetteredCount(), "an outage is not a poison record");
    }
    assertEquals(List.of(), readAll("outage.dlq", 0));
    assertEquals(endOffsets("outage", 1), committed("outage-g"));
  }

  @Test
  void partitionsAssignedByARebalanceWhilePausedStayPaused() throws Exception {
    createTopics(4, "repause");
    createTopics(1, "repause.dlq");
    for (int i = 0; i < 40; i++) {
      producer.send(new ProducerRecord<>("repause", i % 4, "k", Integer.toString(i)));
    }
    producer.flush();
    CircuitBreaker breaker = CircuitBreaker.builder("repause-store").build();
    breaker.forceOpen();
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> a = runner("repause-g", "repause", "repause.dlq",
            Map.of()).breaker(breaker).handler(deliveries::record).build();
        ConsumerRunner<String, Integer> b = runner("repause-g", "repause", "repause.dlq",
            Map.of()).breaker(breaker).handler(deliveries::record).build()) {
      a.start();
      await(() -> a.assignment().size() == 4, "a owns all four partitions");
      b.start();
      await(() -> a.assignment().size() == 2 && b.assignment().size() == 2,
          "the rebalance splits them");
      Thread.sleep(1_000);
      assertEquals(Set.of(), deliveries.values(), "newly assigned partitions stayed paused");
      assertTrue(a.rebalanceCount() >= 2);
      breaker.reset();
      await(() -> deliveries.values().size() == 40, "all forty after the breaker closes");
    }
    assertEquals(endOffsets("repause", 4), committed("repause-g"));
  }

  /**
   * A handler stuck past {@code max.poll.interval.ms}: the consumer leaves the group, so the
   * commit after the batch fails, and the next poll rejoins with the partition reported lost
   * ({@code onPartitionsLost}, not revoked). The runner drops what it could not commit, the
   * group redelivers from the last commit, and in the end every record was handled and the
   * commit reaches the end of the log: nothing lost or skipped, only redelivered.
   */
  @Test
  void aHandlerStuckPastThePollIntervalLosesItsPartitionAndNothingIsSkipped() throws Exception {
    createTopics(1, "stuck", "stuck.dlq");
    for (int i = 0; i < 20; i++) {
      producer.send(new ProducerRecord<>("stuck", 0, "k", Integer.toString(i)));
    }
    producer.flush();
    Deliveries deliveries = new Deliveries();
    AtomicInteger stalls = new AtomicInteger(1);
    try (ConsumerRunner<String, Integer> runner = runner("stuck-g", "stuck", "stuck.dlq",
        Map.of("max.poll.interval.ms", 1_500, "max.poll.records", 5)).handler(r -> {
          if (r.value() == 7 && stalls.getAndDecrement() > 0) {
            Thread.sleep(4_000); // well past the poll interval: the member is expelled
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> deliveries.values().size() == 20, "all twenty");
      await(() -> {
        try {
          return endOffsets("stuck", 1).equals(committed("stuck-g"));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "the commit to reach the end of the log");
      assertEquals(range(0, 20), deliveries.values(), "nothing lost or skipped");
      assertTrue(deliveries.duplicates() > 0, "the stalled batch was redelivered");
      assertEquals(1, runner.partitionsLostCount(), "lost, not revoked");
      assertTrue(runner.rebalanceCount() >= 2, "rejoined after losing the partition");
      assertEquals(0, runner.deadLetteredCount());
    }
  }

  /**
   * One poll's records take 2 s to handle (40 records at 50 ms: the store is slow), twice the
   * consumer's max.poll.interval.ms of 1 s. The runner returns to poll() after half of it and
   * leaves the rest for the next poll, so the member is never expelled.
   */
  @Test
  void aPollsWorkLongerThanThePollIntervalIsCutShortAndTheMemberStays() throws Exception {
    createTopics(1, "budget", "budget.dlq");
    for (int i = 0; i < 40; i++) {
      producer.send(new ProducerRecord<>("budget", 0, "k", Integer.toString(i)));
    }
    producer.flush();
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("budget-g", "budget", "budget.dlq",
        Map.of("max.poll.interval.ms", 1_000, "max.poll.records", 40))
        .maxPollInterval(Duration.ofMillis(1_000))
        .handler(r -> {
          Thread.sleep(50); // the store's latency
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> deliveries.values().size() == 40, "all forty");
      await(() -> runner.isCaughtUp(), "the caught-up signal");
      assertEquals(0, runner.partitionsLostCount(), "never expelled");
      assertEquals(1, runner.rebalanceCount(), "one assignment, no rebalance");
      assertEquals(0, deliveries.duplicates(), "the cut poll was rewound, not redelivered");
      RunnerInvariants.assertInOffsetOrder(deliveries.order);
      assertEquals(Map.of(new TopicPartition("budget", 0), 40L), runner.committedOffsets());
      assertEquals(0, runner.lag());
    }
    assertEquals(endOffsets("budget", 1), committed("budget-g"));
  }

  /**
   * The outage with the library's defaults (3 attempts, the default breaker, which opens
   * after 5 consecutive failures at low volume): the first records use up their attempts while
   * the breaker is still closed, but no other record has succeeded since, so none is
   * dead-lettered; the failures open the breaker, the runner pauses, and everything is handled
   * once the store is back.
   */
  @Test
  void withAGuardAnOutageNeverDeadLettersEvenWithTheDefaultAttemptsAndBreaker()
      throws Exception {
    createTopics(2, "guarded-outage");
    createTopics(1, "guarded-outage.dlq");
    for (int i = 0; i < 20; i++) {
      producer.send(new ProducerRecord<>("guarded-outage", i % 2, "k", Integer.toString(i)));
    }
    producer.flush();
    Guard guard = Guard.builder("guarded-outage-store").breaker(BreakerConfig.defaults())
        .build();
    java.util.concurrent.atomic.AtomicBoolean storeDown =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("guarded-outage-g", "guarded-outage",
        "guarded-outage.dlq", Map.of()).guard(guard).handler(r -> {
          if (storeDown.get()) {
            throw new java.io.IOException("connection refused");
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> guard.breaker().transitionCount(BreakerState.OPEN) >= 1, "the breaker open");
      await(runner::isPaused, "the pause");
      assertTrue(runner.retryCount() >= 4, "retries while the breaker was still closed");
      assertTrue(runner.outageCount() >= 1, "the failure that opened the breaker");
      assertEquals(0, runner.deadLetteredCount(), "no healthy record dead-lettered");
      // The runner's view: everything fetched, nothing done, nothing committed.
      assertEquals(20, runner.lag());
      assertFalse(runner.isCaughtUp());
      RecordingMeterSink sink = new RecordingMeterSink();
      runner.describeMeters(sink);
      for (int p = 0; p < 2; p++) {
        String partition = Integer.toString(p);
        assertEquals(10, sink.value("headroom.kafka.consumer.lag", "partition", partition));
        assertTrue(Double.isNaN(sink.value("headroom.kafka.consumer.committed", "partition",
            partition)), "nothing committed yet");
      }
      assertEquals(0, sink.value("headroom.kafka.consumer.caught_up"));
      storeDown.set(false);
      await(() -> deliveries.values().size() == 20, "all twenty once the store is back");
      assertEquals(0, runner.deadLetteredCount());
      assertEquals(0, deliveries.duplicates());
      RunnerInvariants.assertInOffsetOrder(deliveries.order);
      await(() -> guard.breaker().state() == BreakerState.CLOSED, "the breaker closed");
      await(runner::isCaughtUp, "caught up");
      assertEquals(0, runner.lag());
      for (int p = 0; p < 2; p++) {
        String partition = Integer.toString(p);
        assertEquals(0, sink.value("headroom.kafka.consumer.lag", "partition", partition));
        assertEquals(10, sink.value("headroom.kafka.consumer.committed", "partition",
            partition));
      }
      assertEquals(1, sink.value("headroom.kafka.consumer.caught_up"));
    }
    assertEquals(List.of(), readAll("guarded-outage.dlq", 0));
    assertEquals(endOffsets("guarded-outage", 2), committed("guarded-outage-g"));
  }

  /**
   * A record that fails alone with an undeclared exception is dead-lettered after its attempts
   * once another record has succeeded since its first failure: the dependency works, the record
   * does not.
   */
  @Test
  void withAGuardARecordFailingAloneIsDeadLetteredOnceAnotherSucceeds() throws Exception {
    createTopics(2, "alone");
    createTopics(1, "alone.dlq");
    send("alone", 1, "100"); // fails every time
    Guard guard = Guard.builder("alone-store").breaker(BreakerConfig.defaults()).build();
    Deliveries deliveries = new Deliveries();
    AtomicInteger triesOf100 = new AtomicInteger();
    try (ConsumerRunner<String, Integer> runner = runner("alone-g", "alone", "alone.dlq",
        Map.of()).guard(guard).handler(r -> {
          if (r.value() == 100) {
            triesOf100.incrementAndGet();
            throw new IllegalStateException("cannot handle 100");
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> triesOf100.get() >= 3, "three tries");
      assertEquals(0, runner.deadLetteredCount(), "no evidence yet that the store works");
      for (int i = 0; i < 5; i++) {
        send("alone", 0, Integer.toString(i)); // the store serves these
      }
      await(() -> runner.deadLetteredCount() == 1 && deliveries.values().size() == 5,
          "the failing record dead-lettered and the others handled");
      assertEquals(0, guard.breaker().transitionCount(BreakerState.OPEN));
    }
    List<ConsumerRecord<byte[], byte[]>> dead = readAll("alone.dlq", 1);
    assertEquals(1, dead.size());
    assertEquals("handler", header(dead.get(0), ConsumerRunner.HEADER_REASON));
    assertEquals(Integer.toString(triesOf100.get()),
        header(dead.get(0), ConsumerRunner.HEADER_ATTEMPTS));
    assertEquals(endOffsets("alone", 2), committed("alone-g"));
  }

  /**
   * The lone failing record trips the guard's breaker before any other record arrives (two
   * failures in a row open it). The other records are then handled, but every later failure
   * of the lone record came while the breaker was not closed, so it was classified as an
   * outage: the record kept its attempts, never reached its dead letter, and failed every probe
   * for ever (650 outages in 20 s). Other records handled since its first failure now mean the
   * dependency works: its failures count as attempts and it is dead-lettered.
   */
  @Test
  void aRecordFailingAloneThatTrippedTheBreakerDoesNotHoldBackTheOthers() throws Exception {
    createTopics(2, "tripped");
    createTopics(1, "tripped.dlq");
    send("tripped", 1, "100"); // fails every time
    Guard guard = Guard.builder("tripped-store").breaker(BreakerConfig.builder()
        .consecutiveFailures(2).openDuration(Duration.ofMillis(200)).openJitter(0).build())
        .build();
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("tripped-g", "tripped", "tripped.dlq",
        Map.of()).guard(guard).handler(r -> {
          if (r.value() == 100) {
            throw new IllegalStateException("cannot handle 100");
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> guard.breaker().transitionCount(BreakerState.OPEN) >= 1,
          "the lone failing record to trip the breaker");
      for (int i = 0; i < 5; i++) {
        send("tripped", 0, Integer.toString(i));
      }
      await(() -> runner.deadLetteredCount() == 1 && deliveries.values().size() == 5,
          "the others handled and the failing record dead-lettered");
    }
    assertEquals(1, readAll("tripped.dlq", 1).size());
    assertEquals(endOffsets("tripped", 2), committed("tripped-g"));
  }

  /**
   * Declared poison goes to the dead-letter topic without a retry (or after its own attempt
   * count) and is reported to the guard as ignored: a breaker that opens on a single failure
   * never opens.
   */
  @Test
  void declaredPoisonNeverCountsAgainstTheBreaker() throws Exception {
    createTopics(1, "declared", "declared.dlq");
    for (int i = 0; i < 12; i++) {
      send("declared", 0, Integer.toString(i));
    }
    Guard guard = Guard.builder("declared-store")
        .breaker(BreakerConfig.builder().consecutiveFailures(1).build()).build();
    Deliveries deliveries = new Deliveries();
    try (ConsumerRunner<String, Integer> runner = runner("declared-g", "declared",
        "declared.dlq", Map.of()).guard(guard)
        .classifier(FailureClassifier.poisonOn(IllegalArgumentException.class))
        .poisonAttempts(2)
        .handler(r -> {
          if (r.value() % 4 == 1) {
            throw new IllegalArgumentException("record " + r.value() + " has no member id");
          }
          deliveries.record(r);
        }).build()) {
      runner.start();
      await(() -> runner.deadLetteredCount() == 3 && deliveries.values().size() == 9,
          "three dead-lettered, nine handled");
      assertEquals(0, guard.breaker().transitionCount(BreakerState.OPEN), "never opened");
      assertEquals(6, guard.count(Guard.Outcome.IGNORED), "two tries of each, ignored");
      assertEquals(0, guard.count(Guard.Outcome.FAILURE));
      assertEquals(9, guard.count(Guard.Outcome.SUCCESS));
    }
    List<ConsumerRecord<byte[], byte[]>> dead = readAll("declared.dlq", 3);
    assertEquals(3, dead.size());
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      long offset = Long.parseLong(header(r, ConsumerRunner.HEADER_OFFSET));
      RunnerInvariants.assertDeadLetter(r, "declared", 0, offset,
          IllegalArgumentException.class, "poison", 2);
      assertEquals(1, offset % 4);
    }
  }

  @Test
  void publishesItsCounters() throws Exception {
    createTopics(1, "metered", "metered.dlq");
    send("metered", 0, "1");
    send("metered", 0, "bad");
    try (ConsumerRunner<String, Integer> runner = runner("metered-g", "metered", "metered.dlq",
        Map.of()).handler(r -> { }).build()) {
      RecordingMeterSink sink = new RecordingMeterSink();
      runner.describeMeters(sink);
      runner.start();
      await(() -> runner.handledCount() == 1 && runner.deadLetteredCount() == 1, "both");
      assertEquals(1, sink.value("headroom.kafka.consumer.records", "name", "metered-g",
          "outcome", "handled"));
      assertEquals(1, sink.value("headroom.kafka.consumer.records", "outcome", "dead_lettered"));
      assertEquals(0, sink.value("headroom.kafka.consumer.retries"));
      assertEquals(0, sink.value("headroom.kafka.consumer.rejections"));
      assertEquals(0, sink.value("headroom.kafka.consumer.dead_letter.failures"));
      assertEquals(1, sink.value("headroom.kafka.consumer.rebalances"));
      assertEquals(0, sink.value("headroom.kafka.consumer.partitions.lost"));
      assertEquals(0, sink.value("headroom.kafka.consumer.pauses"));
      assertEquals(0, sink.value("headroom.kafka.consumer.paused"));
      assertTrue(runner.isRunning());
    }
  }

  @Test
  void startsOnceAndClosesAConsumerItNeverStarted() {
    KafkaConsumer<byte[], byte[]> c = consumer("lifecycle-g", Map.of());
    ConsumerRunner<String, Integer> runner = ConsumerRunner.builder("lifecycle", c,
            new StringDeserializer(), INTS)
        .topics(List.of("lifecycle")).deadLetter(dlqProducer, "lifecycle.dlq")
        .handler(r -> { }).build();
    assertTrue(runner.close(Duration.ofSeconds(1)));
    assertTrue(runner.close(Duration.ofSeconds(1)), "idempotent");
    IllegalStateException e = assertThrows(IllegalStateException.class, runner::start);
    assertEquals("ConsumerRunner lifecycle was already started or closed", e.getMessage());
    assertThrows(IllegalStateException.class, () -> c.poll(Duration.ZERO),
        "the consumer was closed");
    assertFalse(runner.isRunning());
  }

  @Test
  void builderRejectsBadSettingsWithTheSharedMessage() {
    KafkaConsumer<byte[], byte[]> c = consumer("builder-g", Map.of());
    try {
      assertEquals("name must be non-blank (was \"\")", assertThrows(
          IllegalArgumentException.class, () -> ConsumerRunner.builder("", c,
              new StringDeserializer(), INTS)).getMessage());
      assertEquals("valueDeserializer must be non-null (was null)", assertThrows(
          IllegalArgumentException.class, () -> ConsumerRunner.builder("r", c,
              new StringDeserializer(), null)).getMessage());
      ConsumerRunner.Builder<String, Integer> b =
          ConsumerRunner.builder("r", c, new StringDeserializer(), INTS);
      assertEquals("maxAttempts must be in [1, 100] (was 0)", assertThrows(
          IllegalArgumentException.class, () -> b.maxAttempts(0)).getMessage());
      assertEquals("retryBackoff must be >= 0 (was PT-0.001S)", assertThrows(
          IllegalArgumentException.class, () -> b.retryBackoff(Duration.ofMillis(-1)))
          .getMessage());
      assertEquals("pollTimeout must be > 0 (was PT0S)", assertThrows(
          IllegalArgumentException.class, () -> b.pollTimeout(Duration.ZERO)).getMessage());
      assertEquals("deadLetter topic must be non-blank (was \" \")", assertThrows(
          IllegalArgumentException.class, () -> b.deadLetter(dlqProducer, " ")).getMessage());
      assertEquals("maxPollInterval must be >= PT0.1S (was PT0.099S)", assertThrows(
          IllegalArgumentException.class, () -> b.maxPollInterval(Duration.ofMillis(99)))
          .getMessage());
      assertEquals("poisonAttempts must be in [1, 100] (was 0)", assertThrows(
          IllegalArgumentException.class, () -> b.poisonAttempts(0)).getMessage());
      b.breaker(CircuitBreaker.builder("b").build());
      assertEquals("guard and downstream (or breaker) cannot both be set", assertThrows(
          IllegalStateException.class, () -> b.guard(Guard.builder("g").build())).getMessage());
      assertEquals("topics must be set", assertThrows(IllegalStateException.class, b::build)
          .getMessage());
      b.topics(List.of("t"));
      assertEquals("topics was already set to [t]", assertThrows(IllegalStateException.class,
          () -> b.topics(List.of("u"))).getMessage());
      assertEquals("handler must be set", assertThrows(IllegalStateException.class, b::build)
          .getMessage());
      b.handler(r -> { });
      assertEquals("deadLetter must be set", assertThrows(IllegalStateException.class,
          b::build).getMessage());
    } finally {
      c.close();
    }
  }
}
