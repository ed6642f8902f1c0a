package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.BreakerState;
import dev.headroom.core.metrics.RecordingMeterSink;
import dev.headroom.guard.Guard;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runner as a fleet, on the real broker: {@value #RECORDS} records on {@value #PARTITIONS}
 * partitions, three {@link ConsumerRunner}s in one group, each with its own {@link Guard} (the
 * default breaker) in front of a store that can go down. Every assertion is by record id: the
 * value of record {@code i} is {@code i}, in partition {@code i % 6} at offset {@code i / 6}.
 *
 * <p>Each scenario reads the same topic with a new group. The fleet starts with its breakers
 * forced open, so the three members join and split the partitions before anything is handled;
 * resetting the breakers is the start of the drain, and a drain ends when every id is handled
 * or dead-lettered. The broker has a short broker session so that it can be restarted in
 * about 2 s.
 */
class ConsumerRunnerScenarioTest {

  static final int RECORDS = 100_000;
  static final int PARTITIONS = 6;
  static final String TOPIC = "fleet";
  static final Deserializer<Integer> INTS = (topic, data) ->
      Integer.parseInt(new String(data, StandardCharsets.UTF_8));

  static KafkaBroker broker;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start(KafkaBroker.RESTARTABLE);
    admin = Admin.create(broker.clientConfig());
    TestTopics.create(admin, PARTITIONS, TOPIC);
    Map<String, Object> p = TestTopics.producerConfig(broker);
    p.put("batch.size", 262_144);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k" + i, Integer.toString(i)));
      }
      producer.flush();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    admin.close();
    broker.close();
  }

  /** The downstream: down on demand; records in {@code poison} are invalid. */
  static final class Store {
    final AtomicIntegerArray saved = new AtomicIntegerArray(RECORDS);
    final Set<Integer> poison;
    volatile boolean down;

    Store(Set<Integer> poison) {
      this.poison = poison;
    }

    void save(int id) throws java.net.ConnectException {
      if (poison.contains(id)) {
        throw new PoisonRecordException("record " + id + " has no member id");
      }
      if (down) {
        throw new java.net.ConnectException("store: connection refused");
      }
      saved.incrementAndGet(id);
    }

    int distinct() {
      int n = 0;
      for (int i = 0; i < RECORDS; i++) {
        n += saved.get(i) > 0 ? 1 : 0;
      }
      return n;
    }

    int duplicates() {
      int n = 0;
      for (int i = 0; i < RECORDS; i++) {
        n += Math.max(0, saved.get(i) - 1);
      }
      return n;
    }
  }

  /** One member, as one process would have it: its guard, its runner, its dead-letter producer. */
  record Member(Guard guard, ConsumerRunner<String, Integer> runner,
      KafkaProducer<byte[], byte[]> deadLetters) {}

  /** Three (or more) members of one group reading {@link #TOPIC}. */
  static final class Fleet implements AutoCloseable {
    final String group;
    final String dlq;
    final Store store;
    final Map<String, Object> consumerConfig;
    final List<Member> members = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The member that crashes after saving {@link #crashAfter} more records, or null. */
    volatile ConsumerRunner<String, Integer> crashing;
    final java.util.concurrent.atomic.AtomicInteger crashAfter =
        new java.util.concurrent.atomic.AtomicInteger(250);

    Fleet(String group, Store store, Map<String, Object> extra) throws Exception {
      this.group = group;
      this.dlq = group + ".dlq";
      this.store = store;
      TestTopics.create(admin, 1, dlq);
      consumerConfig = broker.clientConfig();
      // The README's consumer configuration, but for the heartbeat: a member learns of a
      // rebalance at its next heartbeat, and the three joins of each fleet would wait up to
      // 3 s each.
      consumerConfig.put("group.id", group);
      consumerConfig.put("enable.auto.commit", "false");
      consumerConfig.put("auto.offset.reset", "earliest");
      consumerConfig.put("session.timeout.ms", 45_000);
      consumerConfig.put("heartbeat.interval.ms", 500);
      consumerConfig.put("max.poll.interval.ms", 300_000);
      consumerConfig.put("max.poll.records", 500);
      consumerConfig.putAll(extra);
    }

    /** Adds a member whose breaker is forced open: it joins the group but handles nothing. */
    Member add() {
      Guard guard = Guard.builder(group + "-store-" + members.size())
          .breaker(BreakerConfig.defaults()).build();
      guard.breaker().forceOpen();
      java.util.concurrent.atomic.AtomicReference<ConsumerRunner<String, Integer>> self =
          new java.util.concurrent.atomic.AtomicReference<>();
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig,
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      Map<String, Object> dlqConfig = TestTopics.producerConfig(broker);
      dlqConfig.put("linger.ms", "0"); // each dead letter is awaited: do not hold it back
      KafkaProducer<byte[], byte[]> deadLetters = new KafkaProducer<>(dlqConfig,
          new ByteArraySerializer(), new ByteArraySerializer());
      ConsumerRunner<String, Integer> runner = ConsumerRunner
          .builder(group + "-" + members.size(), consumer, new StringDeserializer(), INTS)
          .topics(List.of(TOPIC))
          .guard(guard)
          .handler(r -> {
            store.save(r.value());
            if (crashing != null && crashing == self.get() && crashAfter.decrementAndGet() == 0) {
              crashing = null;
              // A crash in the middle of a poll: this record is saved, nothing is committed.
              self.get().closeAbruptly(Duration.ofSeconds(1));
            }
          })
          .deadLetter(deadLetters, dlq)
          .maxPollInterval(Duration.ofMillis(
              ((Number) consumerConfig.get("max.poll.interval.ms")).longValue()))
          .pollTimeout(Duration.ofMillis(100))
          .build();
      self.set(runner);
      Member m = new Member(guard, runner, deadLetters);
      members.add(m);
      runner.start();
      return m;
    }

    /** Starts three members and waits until each owns two partitions. */
    void join() throws InterruptedException {
      for (int i = 0; i < 3; i++) {
        add();
      }
      await(() -> members.stream().allMatch(m -> m.runner().assignment().size() == 2),
          "three members with two partitions each", 60);
    }

    /** Lets every member handle records: the drain starts. */
    long release() {
      long t0 = System.nanoTime();
      for (Member m : members) {
        m.guard().breaker().reset();
      }
      return t0;
    }

    long deadLettered() {
      return members.stream().mapToLong(m -> m.runner().deadLetteredCount()).sum();
    }

    long redeliverable() {
      return members.stream().mapToLong(m -> m.runner().redeliverableCount()).sum();
    }

    /** Waits until every id is handled or dead-lettered; returns the time since {@code t0}. */
    Duration drain(long t0, int poisonCount) throws InterruptedException {
      await(() -> deadLettered() >= poisonCount && store.distinct() >= RECORDS - poisonCount,
          () -> "the drain: " + store.distinct() + " saved, " + deadLettered()
              + " dead-lettered; " + describe(), 120);
      return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Waits until the live members report caught up and the group's commits reach the end. */
    void awaitCaughtUp() throws Exception {
      await(() -> members.stream().filter(m -> m.runner().isRunning())
          .allMatch(m -> m.runner().isCaughtUp()), "every live member caught up", 30);
      assertEquals(endOffsets(), committed(group), "committed up to the end of every partition");
    }

    String describe() {
      StringBuilder b = new StringBuilder();
      for (Member m : members) {
        ConsumerRunner<String, Integer> r = m.runner();
        b.append(String.format("%n  %s running=%s paused=%s assigned=%s handled=%d retries=%d "
            + "outages=%d rejections=%d lost=%d rebalances=%d failure=%s %s",
            r.name(), r.isRunning(), r.isPaused(), r.assignment(), r.handledCount(),
            r.retryCount(), r.outageCount(), r.rejectionCount(), r.partitionsLostCount(),
            r.rebalanceCount(), r.failure(), m.guard()));
      }
      return b.toString();
    }

    @Override
    public void close() {
      for (Member m : members) {
        m.runner().close(Duration.ofSeconds(10));
        m.deadLetters().close();
      }
    }
  }

  static void await(BooleanSupplier condition, String what, int seconds)
      throws InterruptedException {
    await(condition, () -> what, seconds);
  }

  static void await(BooleanSupplier condition, java.util.function.Supplier<String> what,
      int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      Thread.sleep(5);
    }
  }

  static Map<TopicPartition, Long> endOffsets() {
    Set<TopicPartition> all = new HashSet<>();
    for (int p = 0; p < PARTITIONS; p++) {
      all.add(new TopicPartition(TOPIC, p));
    }
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(broker.clientConfig(),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      return new HashMap<>(c.endOffsets(all));
    }
  }

  static Map<TopicPartition, Long> committed(String group) throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get().entrySet()) {
      out.put(e.getKey(), e.getValue().offset());
    }
    return out;
  }

  /** Every record of the dead-letter topic (it has one partition), read from the start. */
  static List<ConsumerRecord<byte[], byte[]>> deadLetters(String dlq) {
    TopicPartition tp = new TopicPartition(dlq, 0);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(broker.clientConfig(),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (c.position(tp) < end && System.nanoTime() - deadline < 0) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  static Set<Integer> poisonIds() {
    Set<Integer> ids = new HashSet<>();
    for (int i = 500; i < RECORDS; i += 1000) {
      ids.add(i); // 0.1%, spread over every partition
    }
    return Set.copyOf(ids);
  }

  static void assertNothingLost(Store store, Set<Integer> poison) {
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      if (!poison.contains(i) && store.saved.get(i) == 0) {
        missing.add(i);
      }
      if (poison.contains(i)) {
        assertEquals(0, store.saved.get(i), "poison record " + i + " was never saved");
      }
    }
    assertEquals(List.of(), missing, "every healthy record saved");
  }

  /** One drain of the whole topic with no fault, by a new group; returns its time. */
  static Duration cleanDrain(String group) throws Exception {
    try (Fleet fleet = new Fleet(group, new Store(Set.of()), Map.of())) {
      fleet.join();
      Duration d = fleet.drain(fleet.release(), 0);
      fleet.awaitCaughtUp();
      assertNothingLost(fleet.store, Set.of());
      assertEquals(0, fleet.deadLettered());
      assertEquals(0, fleet.store.duplicates());
      return d;
    }
  }

  /** One drain with 0.1% poison, by a new group, checking every dead letter by id. */
  static Duration poisonedDrain(String group) throws Exception {
    Set<Integer> poison = poisonIds();
    try (Fleet fleet = new Fleet(group, new Store(poison), Map.of())) {
      fleet.join();
      Duration d = fleet.drain(fleet.release(), poison.size());
      fleet.awaitCaughtUp();
      assertNothingLost(fleet.store, poison);
      for (Member m : fleet.members) {
        assertEquals(0, m.guard().breaker().transitionCount(BreakerState.OPEN),
            "poison never opened " + m.guard());
        assertEquals(0, m.guard().count(Guard.Outcome.FAILURE), "poison is not a failure");
        assertEquals(0, m.runner().retryCount(), "poison is not retried");
      }
      List<ConsumerRecord<byte[], byte[]>> letters = deadLetters(fleet.dlq);
      Set<Integer> lettered = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : letters) {
        int id = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8));
        assertTrue(lettered.add(id), "dead-lettered once: " + id);
        assertEquals("k" + id, new String(r.key(), StandardCharsets.UTF_8));
        RunnerInvariants.assertDeadLetter(r, TOPIC, id % PARTITIONS, id / PARTITIONS,
            PoisonRecordException.class, "poison", 1);
      }
      assertEquals(poison, lettered, "exactly the poison records, by id");
      return d;
    }
  }

  /**
   * The drain with 0.1% poison against the drain without, each run twice, interleaved, best
   * against best: a drain takes well under a second, and on a shared 2-core machine one run can
   * lose a few hundred milliseconds to a neighbour.
   */
  @Test
  void poisonIsDeadLetteredAtOnceWithoutOpeningTheBreakerAndDrainsNearlyAsFastAsNoFault()
      throws Exception {
    Duration clean1 = cleanDrain("clean-1-g");
    Duration poisoned1 = poisonedDrain("poison-1-g");
    Duration clean2 = cleanDrain("clean-2-g");
    Duration poisoned2 = poisonedDrain("poison-2-g");
    long clean = Math.min(clean1.toMillis(), clean2.toMillis());
    long poisoned = Math.min(poisoned1.toMillis(), poisoned2.toMillis());
    double ratio = poisoned / (double) clean;
    System.out.printf("scenario poison: clean drains %d, %d ms; 0.1%% poison drains %d, %d ms; "
        + "best against best %.2f%n", clean1.toMillis(), clean2.toMillis(),
        poisoned1.toMillis(), poisoned2.toMillis(), ratio);
    assertTrue(ratio <= 1.5, "poison drain " + poisoned + " ms vs clean " + clean + " ms");
  }

  @Test
  void anOutageLongerThanThePollIntervalLosesNothingDeadLettersNothingAndKeepsTheGroup()
      throws Exception {
    // A short max.poll.interval.ms: the outage (4 s) is longer than it (3 s).
    try (Fleet fleet = new Fleet("outage-g", new Store(Set.of()),
        Map.of("max.poll.interval.ms", 3_000))) {
      fleet.join();
      Map<String, Long> rebalances = new HashMap<>();
      for (Member m : fleet.members) {
        rebalances.put(m.runner().name(), m.runner().rebalanceCount());
      }
      long t0 = fleet.release();
      await(() -> fleet.store.distinct() >= RECORDS / 5, "a fifth of the records", 60);
      fleet.store.down = true;
      long down = System.nanoTime();
      await(() -> fleet.members.stream()
          .allMatch(m -> m.guard().breaker().transitionCount(BreakerState.OPEN) > 0),
          "every breaker open", 30);
      Duration opened = Duration.ofNanos(System.nanoTime() - down);
      // The outage itself lasts at least 4 s: a duration, not a synchronisation.
      Thread.sleep(Math.max(0L, 4_000L - opened.toMillis()));
      int before = fleet.store.distinct();
      fleet.store.down = false;
      long up = System.nanoTime();
      Duration total = fleet.drain(t0, 0);
      Duration recovery = Duration.ofNanos(System.nanoTime() - up);
      fleet.awaitCaughtUp();

      assertNothingLost(fleet.store, Set.of());
      assertEquals(0, fleet.deadLettered(), "no healthy record dead-lettered");
      assertEquals(List.of(), deadLetters(fleet.dlq));
      long outages = 0;
      for (Member m : fleet.members) {
        assertEquals(rebalances.get(m.runner().name()), m.runner().rebalanceCount(),
            "no rebalance for " + m.runner().name());
        assertEquals(0, m.runner().partitionsLostCount());
        assertEquals(BreakerState.CLOSED, m.guard().breaker().state());
        outages += m.runner().outageCount();
      }
      assertTrue(outages >= 3, "each member rewound for the outage");
      long outageMillis = Duration.ofNanos(up - down).toMillis();
      assertTrue(outageMillis > 3_000, "the outage outlasted max.poll.interval.ms");
      System.out.printf("scenario outage: %d records left at the outage, breakers all open "
          + "after %d ms, outage %d ms, drain %d ms in all, %d ms after the store came back, "
          + "%d outage rewinds, %d retries, duplicates %d%n", RECORDS - before,
          opened.toMillis(), outageMillis, total.toMillis(), recovery.toMillis(), outages,
          fleet.members.stream().mapToLong(m -> m.runner().retryCount()).sum(),
          fleet.store.duplicates());
    }
  }

  @Test
  void aMemberClosedAbruptlyAndANewOneJoiningLoseNothingAndDuplicateOnlyTheUncommitted()
      throws Exception {
    try (Fleet fleet = new Fleet("abrupt-g", new Store(Set.of()), Map.of())) {
      fleet.join();
      long t0 = fleet.release();
      await(() -> fleet.store.distinct() >= RECORDS / 3, "a third of the records", 60);
      // The two others pause (their breakers open), so the crash and the join are what moves
      // partitions; the victim crashes in the middle of a poll, right after its next record.
      Member victim = fleet.members.get(0);
      fleet.members.get(1).guard().breaker().forceOpen();
      fleet.members.get(2).guard().breaker().forceOpen();
      fleet.crashing = victim.runner();
      await(() -> !victim.runner().isRunning(), "the crash", 30);
      Member joiner = fleet.add();
      await(() -> joiner.runner().assignment().size() == 2
          && fleet.members.get(1).runner().assignment().size() == 2
          && fleet.members.get(2).runner().assignment().size() == 2,
          () -> "the survivors and the joiner with two partitions each" + fleet.describe(), 60);
      for (Member m : fleet.members) {
        m.guard().breaker().reset();
      }
      Duration total = fleet.drain(t0, 0);
      fleet.awaitCaughtUp();

      assertNothingLost(fleet.store, Set.of());
      assertEquals(0, fleet.deadLettered());
      int duplicates = fleet.store.duplicates();
      long bound = fleet.redeliverable();
      assertTrue(victim.runner().redeliverableCount() >= 1,
          "the crash left at least the record in hand uncommitted");
      assertTrue(duplicates >= 1, "that record was saved again by its new owner");
      assertTrue(duplicates <= bound,
          duplicates + " duplicates, but only " + bound + " records were left uncommitted");
      assertTrue(joiner.runner().handledCount() > 0, "the new member took partitions");
      RecordingMeterSink sink = new RecordingMeterSink();
      joiner.runner().describeMeters(sink);
      assertEquals(1, sink.value("headroom.kafka.consumer.caught_up", "name",
          joiner.runner().name()));
      Map<TopicPartition, Long> ends = endOffsets();
      for (TopicPartition tp : joiner.runner().assignment()) {
        String partition = Integer.toString(tp.partition());
        assertEquals(ends.get(tp), joiner.runner().committedOffsets().get(tp));
        assertEquals(ends.get(tp), sink.value("headroom.kafka.consumer.committed", "name",
            joiner.runner().name(), "partition", partition), 0.0);
        assertEquals(0, sink.value("headroom.kafka.consumer.lag", "name",
            joiner.runner().name(), "partition", partition), 0.0);
      }
      assertEquals(0, joiner.runner().lag());
      System.out.printf("scenario abrupt close: drain %d ms, duplicates %d, uncommitted at the "
          + "crash %d (bound %d)%n", total.toMillis(), duplicates,
          victim.runner().redeliverableCount(), bound);
    }
  }

  @Test
  void aBrokerRestartInTheMiddleOfTheDrainLosesNothing() throws Exception {
    try (Fleet fleet = new Fleet("restart-g", new Store(Set.of()), Map.of())) {
      fleet.join();
      long t0 = fleet.release();
      await(() -> fleet.store.distinct() >= RECORDS / 4, "a quarter of the records", 60);
      long down = System.nanoTime();
      broker.restart();
      Duration restart = Duration.ofNanos(System.nanoTime() - down);
      Duration total = fleet.drain(t0, 0);
      fleet.awaitCaughtUp();

      assertNothingLost(fleet.store, Set.of());
      assertEquals(0, fleet.deadLettered());
      assertEquals(List.of(), deadLetters(fleet.dlq));
      int duplicates = fleet.store.duplicates();
      long bound = fleet.redeliverable();
      assertTrue(duplicates <= bound,
          duplicates + " duplicates, but only " + bound + " records were left uncommitted");
      System.out.printf("scenario broker restart: restart %d ms, drain %d ms, duplicates %d "
          + "(uncommitted records given up %d), rebalances %d%n", restart.toMillis(),
          total.toMillis(), duplicates, bound,
          fleet.members.stream().mapToLong(m -> m.runner().rebalanceCount()).sum());
    }
  }
}
