package dev.headroom.kafka;

import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Runs a poll loop around a {@link Consumer} on its own thread: deserializes and hands each
 * record to a {@link RecordHandler} through a {@link Guard}, tells an outage of the downstream
 * from a poison record, dead-letters only poison, commits only what is done, and pauses
 * consumption while the downstream is in trouble.
 *
 * <pre>{@code
 * Guard store = Guard.builder("enrollment-store").breaker(BreakerConfig.defaults()).build();
 * ConsumerRunner<String, Enrollment> runner = ConsumerRunner
 *     .builder("enrollment-workers", consumer, new StringDeserializer(), enrollmentDeserializer)
 *     .topics(List.of("enrollment-events"))
 *     .guard(store)                               // the runner takes a permit per record
 *     .handler(record -> db.save(record.value())) // no breaker.call inside
 *     .deadLetter(dlqProducer, "enrollment-events.dlq")
 *     .maxPollInterval(Duration.ofMinutes(5))     // the consumer's max.poll.interval.ms
 *     .build();
 * runner.start();
 * ...
 * runner.close(); // wakes the loop, commits what was handled, closes the consumer
 * }</pre>
 *
 * <h2>Records</h2>
 *
 * <p>The consumer reads raw bytes ({@code Consumer<byte[], byte[]>}, with
 * {@code ByteArrayDeserializer}s) and the runner deserializes each record with the given
 * deserializers, so a record that cannot be deserialized is caught alone, with its exact bytes,
 * instead of failing {@code poll()} for the whole partition. Records of one partition are
 * handled in offset order; the handler is called on the runner's thread. With a
 * {@link Builder#guard guard}, each call is made under a {@link GuardPermit}: a refused permit
 * holds the record without calling the handler, a success is reported with
 * {@code onSuccess}, and a failure is reported as its {@link FailureKind} says.
 *
 * <h2>Outage versus poison</h2>
 *
 * <p>Each handler failure is classified ({@link Builder#classifier}, by default
 * {@link FailureClassifier#defaults()}):
 * <ul>
 *   <li><b>Poison</b> (a {@link PoisonRecordException}, a declared type, a deserialization
 *       failure): dead-lettered at once (or after {@link Builder#poisonAttempts} tries), reported
 *       to the guard with {@code onIgnore}: poison never opens the breaker.
 *   <li><b>Outage</b> (the downstream refused, or failed while its breaker was not closed): the
 *       record keeps its attempts and is never dead-lettered; every partition is rewound and
 *       paused until the downstream admits work again.
 *   <li><b>Transient</b> (anything else): reported with {@code onFailure}, so the breaker sees
 *       it; the record's partition is rewound and waits {@link Builder#retryBackoff} (the
 *       polling thread never sleeps: other partitions go on). A failure that tips the breaker
 *       becomes an outage. After {@link Builder#maxAttempts} the record is dead-lettered, but
 *       with a guard only if another record succeeded since its first failure: without that
 *       evidence the downstream may simply be down, and the runner keeps retrying until the
 *       breaker opens. A record that fails alone on an otherwise idle downstream therefore
 *       holds its partition until another record is handled; from then on its failures are
 *       classified as on a healthy dependency (even while the breaker it tripped is not yet
 *       closed) and count towards its attempts. Declare such types poison to skip the wait.
 * </ul>
 *
 * <p>A dead-lettered record is sent to the dead-letter topic with its original key, value and
 * headers, plus headers {@value #HEADER_TOPIC}, {@value #HEADER_PARTITION},
 * {@value #HEADER_OFFSET}, {@value #HEADER_EXCEPTION_CLASS}, {@value #HEADER_EXCEPTION_MESSAGE},
 * {@value #HEADER_REASON} ({@code deserialization}, {@code poison} or {@code handler}) and
 * {@value #HEADER_ATTEMPTS}, all UTF-8 text. Dead letters are sent without waiting, and all
 * of a poll's are awaited before its commit: no commit passes a record whose dead letter the
 * broker has not acknowledged. A send refused at once holds the record to be tried again after
 * a backoff; a send that fails later makes the commit stop before its record and the partition
 * go back to it (the records handled after it are handled again), so a poison record is never
 * skipped without a trace.
 *
 * <h2>Offsets</h2>
 *
 * <p>Auto-commit must be off ({@code enable.auto.commit=false}). After each poll the runner
 * commits, per partition, the offset after the last record done (handled or dead-lettered), so a
 * committed offset never passes a record that was not done: a restart loses and skips nothing,
 * and redelivers at most the records done since the last commit. Before partitions are revoked
 * in a rebalance the runner commits what is done for them; {@link #close()} makes a final
 * commit; {@link #closeAbruptly(Duration)} does not (a crash, for tests).
 *
 * <h2>Pausing while the downstream is in trouble, and the poll interval</h2>
 *
 * <p>Before each poll and each record the runner reads the downstream's admitted fraction (the
 * guard's breaker's {@code admittedFraction()}: 0 while open, the ramp step while half-open, 1
 * while closed; or a {@link Builder#downstream} gate). At 0 it stops handling, holds the
 * records fetched but not done (in memory, in order: nothing is fetched twice), and pauses all
 * assigned partitions, but keeps calling {@code poll()}: the consumer keeps heartbeating and its poll interval keeps being reset, so it
 * stays in its group and no rebalance happens however long the breaker stays open. Partitions
 * assigned by a rebalance while paused are paused at once. As soon as the fraction is above 0
 * (the breaker's half-open ramp) the runner resumes; a permit the ramp refuses pauses every
 * partition for the refusal's Retry-After, at most {@link Builder#rejectionBackoff} (25 ms, half
 * the breaker's probe interval), so recovery follows the ramp's evidence, not a timer. Retries wait
 * by pausing their partition, never by sleeping, and the runner returns to {@code poll()} once
 * it has spent half of {@link Builder#maxPollInterval} on one poll's records: only a single
 * handler call longer than that can cost the member its place in the group.
 *
 * <h2>Meters</h2>
 *
 * <p>{@code headroom.kafka.consumer.records} with tag {@code outcome} = {@code handled} or
 * {@code dead_lettered}; {@code headroom.kafka.consumer.retries};
 * {@code headroom.kafka.consumer.rejections} (records rewound because the downstream refused);
 * {@code headroom.kafka.consumer.outages} (records rewound because they failed while the
 * downstream was in trouble); {@code headroom.kafka.consumer.dead_letter.failures};
 * {@code headroom.kafka.consumer.rebalances} (assignments received);
 * {@code headroom.kafka.consumer.partitions.lost};
 * {@code headroom.kafka.consumer.redeliverable} (records done but dropped uncommitted: lost
 * partitions, failed commits on revocation, an abrupt close);
 * {@code headroom.kafka.consumer.pauses}; gauges {@code headroom.kafka.consumer.paused} (1 while
 * paused), {@code headroom.kafka.consumer.caught_up} (1 while every assigned partition is
 * committed up to its end), and per partition (tags {@code topic}, {@code partition})
 * {@code headroom.kafka.consumer.committed} (the offset the runner last committed) and
 * {@code headroom.kafka.consumer.lag} (the partition's end offset, as of the last fetch, minus
 * that commit, or minus the first record not done while the group has committed nothing; NaN
 * while not assigned or before the partition's first fetch). All tagged {@code name}.
 *
 * <p>Thread-safety: safe for concurrent use. Concurrency design: the {@link Consumer} is not
 * thread-safe, so after {@link #start()} only the runner's thread touches it (poll, pause,
 * commit, seek, the rebalance callbacks, close); other threads only call
 * {@link Consumer#wakeup()}, which is thread-safe, from {@link #close()}. The state other
 * threads read (counters, the paused flag, the assignment, per-partition offsets, the failure)
 * is written by the runner thread alone, into {@link LongAdder}s and volatile fields: a reader
 * sees a recent value, which is all a metric or a getter promises. The {@code running} and
 * {@code abrupt} flags are the only writes from other threads; they are volatile, and the runner
 * checks them before each poll and each record, and is woken out of a blocking poll or commit by
 * {@code wakeup()}. {@link #start()} and {@link #close()} serialise on a lifecycle lock that the
 * loop never takes, so a close racing with a start either prevents it or sees the started
 * thread. Gauges of partitions assigned later are declared from the runner thread on every sink
 * {@link #describeMeters} was given, under that sink table's monitor (rebalances only). The
 * handler, the deserializers and the dead-letter producer are called from the runner thread only
 * (the producer may be shared: Kafka producers are thread-safe).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class ConsumerRunner<K, V> implements Instrumented, AutoCloseable {

  /** Dead-letter header: the record's original topic. */
  public static final String HEADER_TOPIC = "headroom.dlq.topic";
  /** Dead-letter header: the record's original partition, in decimal. */
  public static final String HEADER_PARTITION = "headroom.dlq.partition";
  /** Dead-letter header: the record's original offset, in decimal. */
  public static final String HEADER_OFFSET = "headroom.dlq.offset";
  /** Dead-letter header: the class name of the exception that made the record poison. */
  public static final String HEADER_EXCEPTION_CLASS = "headroom.dlq.exception.class";
  /** Dead-letter header: that exception's message, empty if it had none. */
  public static final String HEADER_EXCEPTION_MESSAGE = "headroom.dlq.exception.message";
  /** Dead-letter header: {@code deserialization}, {@code poison} or {@code handler}. */
  public static final String HEADER_REASON = "headroom.dlq.reason";
  /** Dead-letter header: how many times the handler was tried (0 for deserialization). */
  public static final String HEADER_ATTEMPTS = "headroom.dlq.attempts";

  /** DONE: next record. PARTITION: hold this partition's rest. ALL: hold everything left. */
  private enum Outcome { DONE, STOP_PARTITION, STOP_ALL }

  /** A dead letter sent and not yet acknowledged: its record counts as done if it is. */
  private static final class Letter {
    final Part part;
    final long offset;
    final Future<RecordMetadata> ack;

    Letter(Part part, long offset, Future<RecordMetadata> ack) {
      this.part = part;
      this.offset = offset;
      this.ack = ack;
    }
  }

  /**
   * One assigned partition. Offsets are volatile for the gauges; the rest is runner-thread only.
   */
  private static final class Part {
    final TopicPartition tp;
    volatile long committed = -1L;
    /** Where the runner reads from while nothing is committed (the offset reset's choice). */
    volatile long base = -1L;
    volatile long end = -1L;
    volatile boolean assigned;
    long failingOffset = -1L;
    int attempts;
    long handledAtFirstFailure;
    boolean backingOff;
    long resumeAtNanos;
    long uncommitted;
    /** Records fetched but not done yet, from {@code heldFrom} on; null when none. */
    List<ConsumerRecord<byte[], byte[]>> held;
    int heldFrom;

    Part(TopicPartition tp) {
      this.tp = tp;
    }

    double lag() {
      long c = committed >= 0 ? committed : base;
      long e = end;
      return assigned && c >= 0 && e >= 0 ? Math.max(0L, e - c) : Double.NaN;
    }
  }

  private final String name;
  private final Consumer<byte[], byte[]> consumer;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final List<String> topics;
  private final RecordHandler<K, V> handler;
  private final Producer<byte[], byte[]> deadLetterProducer;
  private final String deadLetterTopic;
  private final int maxAttempts;
  private final int poisonAttempts;
  private final Duration retryBackoff;
  private final Duration rejectionBackoff;
  private final Duration pollTimeout;
  private final long pollBudgetNanos;
  private final Duration deadLetterTimeout;
  private final Guard guard;
  private final CircuitBreaker guardBreaker;
  private final DoubleSupplier downstream;
  private final FailureClassifier classifier;
  private final NanoClock clock;

  private final LongAdder handled = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder rejections = new LongAdder();
  private final LongAdder outages = new LongAdder();
  private final LongAdder deadLetterFailures = new LongAdder();
  private final LongAdder rebalances = new LongAdder();
  private final LongAdder partitionsLost = new LongAdder();
  private final LongAdder redeliverable = new LongAdder();
  private final LongAdder pauses = new LongAdder();

  // start() and close() change the lifecycle under this lock (never held on the poll path), so
  // a close() racing with start() either prevents the start or sees the started thread.
  private final Object lifecycle = new Object();
  private boolean started;
  private volatile boolean running;
  private volatile boolean abrupt;
  private volatile boolean paused;
  private volatile boolean caughtUp;
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile Throwable failure;
  private volatile Thread thread;

  // Written by the runner thread, read by gauges: a concurrent map of per-partition state.
  private final Map<TopicPartition, Part> parts = new ConcurrentHashMap<>();
  // Sinks given to describeMeters and the partitions each has gauges for; see the class comment.
  private final Map<MeterSink, Set<TopicPartition>> bound = new IdentityHashMap<>();

  // Runner-thread state, never read by other threads.
  private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
  private boolean backingOff;
  private long resumeAtNanos;
  private int partitionsBackingOff;
  private boolean anyPaused;
  private final List<Part> holding = new ArrayList<>();
  private final List<Letter> letters = new ArrayList<>();
  private long pollStartNanos;

  private ConsumerRunner(Builder<K, V> b) {
    this.name = b.name;
    this.consumer = b.consumer;
    this.keyDeserializer = b.keyDeserializer;
    this.valueDeserializer = b.valueDeserializer;
    this.topics = List.copyOf(b.topics);
    this.handler = b.handler;
    this.deadLetterProducer = b.deadLetterProducer;
    this.deadLetterTopic = b.deadLetterTopic;
    this.maxAttempts = b.maxAttempts;
    this.poisonAttempts = b.poisonAttempts;
    this.retryBackoff = b.retryBackoff;
    this.rejectionBackoff = b.rejectionBackoff;
    this.pollTimeout = b.pollTimeout;
    this.pollBudgetNanos = b.maxPollInterval.toNanos() / 2;
    this.deadLetterTimeout = b.deadLetterTimeout;
    this.guard = b.guard;
    this.guardBreaker = b.guard == null ? null : b.guard.breaker();
    this.downstream = b.downstream;
    this.classifier = b.classifier;
    this.clock = b.clock;
  }

  /**
   * Starts building a runner.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param name the runner's name: its thread's suffix and the {@code name} tag of its meters
   * @param consumer a consumer of raw bytes with {@code enable.auto.commit=false}, not yet
   *     subscribed; the runner owns it from {@link #start()} and closes it
   * @param keyDeserializer turns key bytes into keys; not closed by the runner
   * @param valueDeserializer turns value bytes into values; not closed by the runner
   * @return a builder
   * @throws IllegalArgumentException if an argument is null or {@code name} is blank
   */
  public static <K, V> Builder<K, V> builder(String name, Consumer<byte[], byte[]> consumer,
      Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
    return new Builder<>(name, consumer, keyDeserializer, valueDeserializer);
  }

  /**
   * Subscribes to the topics and starts the poll loop on a new thread named
   * {@code headroom-consumer-<name>}.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    synchronized (lifecycle) {
      Checks.requireState(!started, "ConsumerRunner " + name + " was already started or closed");
      started = true;
      running = true;
      Thread t = new Thread(this::run, "headroom-consumer-" + name);
      thread = t;
      t.start();
    }
  }

  /**
   * Stops the loop and waits up to 30 s for it to end: see {@link #close(Duration)}.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /**
   * Stops the loop: the record being handled is finished, the rest of the poll is left for the
   * next owner, what is done is committed, and the consumer is closed. Does not close the
   * dead-letter producer or the deserializers. Idempotent.
   *
   * @param timeout how long to wait for the loop to end
   * @return true if the loop has ended (or never started)
   * @throws IllegalArgumentException if {@code timeout} is not {@code > 0}
   */
  public boolean close(Duration timeout) {
    Checks.requirePositive("timeout", timeout);
    return stop(timeout);
  }

  /**
   * Stops the loop as a crash would, for tests and drills: the record being handled is
   * finished, but nothing is committed, not even on the revocation that closing the consumer
   * causes, and the consumer is closed without waiting. The records done since the last commit
   * are redelivered to the partitions' next owner; their number is added to
   * {@link #redeliverableCount()}, which therefore bounds the duplicates this close causes.
   *
   * @param timeout how long to wait for the loop to end
   * @return true if the loop has ended (or never started)
   * @throws IllegalArgumentException if {@code timeout} is not {@code > 0}
   */
  public boolean closeAbruptly(Duration timeout) {
    Checks.requirePositive("timeout", timeout);
    abrupt = true;
    return stop(timeout);
  }

  private boolean stop(Duration timeout) {
    Thread t;
    synchronized (lifecycle) {
      if (!started) {
        started = true;
        consumer.close(); // never started: no other thread uses it
        return true;
      }
      running = false;
      t = thread;
    }
    if (t == null) {
      return true; // closed before, without ever starting
    }
    if (t != Thread.currentThread() && t.isAlive()) {
      consumer.wakeup();
      try {
        t.join(Math.max(1, timeout.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return !t.isAlive();
  }

  @SuppressWarnings("deprecation") // close(Duration): kafka-clients 3.x has no CloseOptions
  private void run() {
    try {
      consumer.subscribe(topics, new Rebalances());
      while (running) {
        try {
          Duration timeout = applyPause();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
          if (!records.isEmpty() || !holding.isEmpty()) {
            process(records);
          }
          awaitLetters();
          commitPending();
          updateEnds();
        } catch (WakeupException e) {
          // close() woke a blocking call; the loop condition decides whether to go on.
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
    } finally {
      if (abrupt) {
        dropPending(pending.keySet());
      } else {
        finalCommit();
      }
      try {
        if (abrupt) {
          consumer.close(Duration.ZERO);
        } else {
          consumer.close();
        }
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
      for (Part p : parts.values()) {
        p.assigned = false;
      }
      assignment = Set.of();
      caughtUp = false;
      running = false;
    }
  }

  /**
   * Pauses every assigned partition while the downstream admits nothing or after a refusal;
   * otherwise pauses the partitions that hold records or wait out a retry and resumes the rest.
   * Returns the poll timeout: zero when held records are ready, else shortened so the poll ends
   * when the first waiting partition may go on.
   */
  private Duration applyPause() {
    long now = clock.nanoTime();
    if (backingOff && now - resumeAtNanos >= 0) {
      backingOff = false;
    }
    if (backingOff || !admits()) {
      if (!paused) {
        paused = true;
        pauses.increment();
      }
      anyPaused = true;
      consumer.pause(consumer.assignment()); // idempotent; covers newly assigned partitions
      return backingOff ? shorter(resumeAtNanos - now) : pollTimeout;
    }
    paused = false;
    if (!anyPaused && partitionsBackingOff == 0 && holding.isEmpty()) {
      return pollTimeout; // the steady state: nothing to pause, nothing allocated
    }
    List<TopicPartition> hold = new ArrayList<>();
    List<TopicPartition> go = new ArrayList<>();
    long firstResume = Long.MAX_VALUE;
    int waiting = 0;
    boolean ready = false;
    for (TopicPartition tp : consumer.assignment()) {
      Part p = parts.get(tp);
      boolean wait = p != null && p.backingOff && now - p.resumeAtNanos < 0;
      if (p != null && p.backingOff && !wait) {
        p.backingOff = false;
      }
      if (wait) {
        waiting++;
        firstResume = Math.min(firstResume, p.resumeAtNanos - now);
      }
      if (wait || (p != null && p.held != null)) {
        hold.add(tp);
        ready |= !wait;
      } else {
        go.add(tp);
      }
    }
    partitionsBackingOff = waiting;
    consumer.pause(hold);
    consumer.resume(go);
    anyPaused = !hold.isEmpty();
    if (ready) {
      return Duration.ZERO; // held records can be handled now
    }
    return waiting == 0 ? pollTimeout : shorter(firstResume);
  }

  private Duration shorter(long nanos) {
    return nanos >= pollTimeout.toNanos() ? pollTimeout : Duration.ofNanos(Math.max(0L, nanos));
  }

  private boolean admits() {
    return guardBreaker != null ? guardBreaker.admittedFraction() > 0.0
        : downstream.getAsDouble() > 0.0;
  }

  /** Whether the downstream looks healthy: its breaker closed, or the gate admitting all. */
  private boolean healthy() {
    if (guard != null) {
      return guardBreaker == null || guardBreaker.state() == BreakerState.CLOSED
          || guardBreaker.state() == BreakerState.DISABLED;
    }
    return downstream.getAsDouble() >= 1.0;
  }

  /**
   * Handles the records held from earlier polls, then this poll's, partition by partition in
   * offset order. A partition that stops (a retry to wait for) holds the rest of its records; a
   * stop of everything (an outage, a refusal, the poll budget, close) holds the rest of every
   * partition. Held records stay in memory and their partitions stay paused, so nothing is
   * fetched twice and the position never moves back.
   */
  private void process(ConsumerRecords<byte[], byte[]> records) {
    pollStartNanos = clock.nanoTime();
    boolean stopped = false;
    if (!holding.isEmpty()) {
      List<Part> held = new ArrayList<>(holding);
      for (int i = 0; i < held.size(); i++) {
        Part part = held.get(i);
        if (stopped || part.backingOff) {
          continue;
        }
        List<ConsumerRecord<byte[], byte[]>> list = part.held;
        int from = part.heldFrom;
        release(part);
        stopped = handle(part, list, from) == Outcome.STOP_ALL;
      }
    }
    for (TopicPartition tp : records.partitions()) {
      Part part = part(tp);
      List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
      if (part.held != null) {
        // Not expected (a partition holding records is paused): fetch these again later.
        consumer.seek(tp, list.get(0).offset());
      } else if (stopped) {
        hold(part, list, 0);
      } else {
        stopped = handle(part, list, 0) == Outcome.STOP_ALL;
      }
    }
  }

  /** Handles {@code list} from {@code from} on; holds the rest if it stops. */
  private Outcome handle(Part part, List<ConsumerRecord<byte[], byte[]>> list, int from) {
    for (int j = from; j < list.size(); j++) {
      ConsumerRecord<byte[], byte[]> r = list.get(j);
      Outcome outcome = proceed() ? processOne(part, r) : Outcome.STOP_ALL;
      if (outcome == Outcome.DONE) {
        pending.put(part.tp, new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""));
        part.uncommitted++;
        continue;
      }
      hold(part, list, j);
      return outcome;
    }
    return Outcome.DONE;
  }

  private void hold(Part part, List<ConsumerRecord<byte[], byte[]>> list, int from) {
    part.held = list;
    part.heldFrom = from;
    holding.add(part);
  }

  private void release(Part part) {
    part.held = null;
    holding.remove(part);
  }

  /** Whether to handle the next record: running, not backing off, admitted, within budget. */
  private boolean proceed() {
    return running && !backingOff && admits()
        && clock.nanoTime() - pollStartNanos < pollBudgetNanos;
  }

  private Part part(TopicPartition tp) {
    Part p = parts.get(tp);
    if (p == null) {
      p = new Part(tp);
      parts.put(tp, p);
    }
    return p;
  }

  private Outcome processOne(Part part, ConsumerRecord<byte[], byte[]> raw) {
    if (part.backingOff) {
      return Outcome.STOP_PARTITION; // fetched before the partition was paused
    }
    K key;
    V value;
    try {
      key = keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
      value = valueDeserializer.deserialize(raw.topic(), raw.headers(), raw.value());
    } catch (RuntimeException e) {
      return deadLetter(part, raw, e, "deserialization", 0);
    }
    ConsumerRecord<K, V> record = new ConsumerRecord<>(raw.topic(), raw.partition(),
        raw.offset(), raw.timestamp(), raw.timestampType(), raw.serializedKeySize(),
        raw.serializedValueSize(), key, value, raw.headers(), raw.leaderEpoch());
    if (guard == null) {
      try {
        handler.handle(record);
      } catch (Exception e) {
        return failed(part, raw, null, e);
      }
      return succeeded(part);
    }
    GuardPermit permit = guard.tryAcquire();
    if (!permit.isAdmitted()) {
      rejections.increment();
      backOffAll(permit.rejection());
      return Outcome.STOP_ALL;
    }
    try {
      handler.handle(record);
      permit.onSuccess();
    } catch (Exception e) {
      return failed(part, raw, permit, e);
    } finally {
      permit.close(); // onIgnore if an Error escaped; a no-op after onSuccess / onFailure
    }
    return succeeded(part);
  }

  private Outcome succeeded(Part part) {
    handled.increment();
    part.failingOffset = -1L;
    part.attempts = 0;
    return Outcome.DONE;
  }

  private Outcome failed(Part part, ConsumerRecord<byte[], byte[]> raw, GuardPermit permit,
      Exception e) {
    // Any exception, an InterruptedException included, is a failure to classify: the runner's
    // thread is interrupted by nobody but the handler's own blocking calls.
    // Other records were handled since this one first failed: the dependency works and this
    // record does not, even if its own failures tipped the breaker (a record failing alone on
    // a quiet topic does). It is classified as the dependency looking healthy, and its failures
    // count as attempts towards its dead letter rather than as an outage that would keep it,
    // and the breaker, failing for ever.
    boolean othersWork = guardBreaker != null && part.failingOffset == raw.offset()
        && handled.sum() > part.handledAtFirstFailure;
    FailureKind kind = classifier.classify(e, healthy() || othersWork);
    if (kind == null) {
      kind = FailureKind.TRANSIENT;
    }
    switch (kind) {
      case POISON: {
        if (permit != null) {
          permit.onIgnore(); // the record's fault: not evidence about the dependency
        }
        int attempts = attempt(part, raw.offset());
        if (attempts >= poisonAttempts) {
          return deadLetter(part, raw, e, "poison", attempts);
        }
        return retryLater(part);
      }
      case OUTAGE: {
        if (permit != null) {
          permit.onFailure(e); // the guard reads a RejectedException as overload
        }
        RejectedException refused = rejection(e);
        if (refused != null) {
          rejections.increment();
        } else {
          outages.increment();
        }
        backOffAll(refused);
        return Outcome.STOP_ALL;
      }
      default: {
        if (permit != null) {
          permit.onFailure(e);
        }
        if (!othersWork && (!admits() || (guard != null && !healthy()))) {
          // This failure tipped the breaker: an outage, and the record keeps its attempts.
          outages.increment();
          backOffAll(null);
          return Outcome.STOP_ALL;
        }
        int attempts = attempt(part, raw.offset());
        if (attempts >= maxAttempts
            && (guardBreaker == null || handled.sum() > part.handledAtFirstFailure)) {
          return deadLetter(part, raw, e, "handler", attempts);
        }
        return retryLater(part);
      }
    }
  }

  /** Counts an attempt on the partition's failing record; returns the attempts so far. */
  private static int attempt(Part part, long offset) {
    if (part.failingOffset != offset) {
      part.failingOffset = offset;
      part.attempts = 0;
    }
    return ++part.attempts;
  }

  private Outcome retryLater(Part part) {
    retries.increment();
    if (part.attempts == 1) {
      part.handledAtFirstFailure = handled.sum();
    }
    if (!retryBackoff.isZero()) {
      part.backingOff = true;
      part.resumeAtNanos = clock.nanoTime() + retryBackoff.toNanos();
      partitionsBackingOff++;
    }
    return Outcome.STOP_PARTITION;
  }

  /** Returns the {@link RejectedException} in {@code e}'s cause chain, or null. */
  private static RejectedException rejection(Throwable e) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t instanceof RejectedException) {
        return (RejectedException) t;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /** Pauses every partition for the refusal's hint, at most {@code rejectionBackoff}. */
  private void backOffAll(RejectedException refused) {
    Duration d = rejectionBackoff;
    if (refused != null) {
      Duration hint = refused.retryAfter();
      if (!hint.isZero() && hint.compareTo(rejectionBackoff) < 0) {
        d = hint;
      }
    }
    backingOff = true;
    resumeAtNanos = clock.nanoTime() + d.toNanos();
  }

  private Outcome deadLetter(Part part, ConsumerRecord<byte[], byte[]> raw, Exception error,
      String reason, int attempts) {
    Headers headers = new RecordHeaders();
    for (Header h : raw.headers()) {
      headers.add(h);
    }
    headers.add(HEADER_TOPIC, utf8(raw.topic()));
    headers.add(HEADER_PARTITION, utf8(Integer.toString(raw.partition())));
    headers.add(HEADER_OFFSET, utf8(Long.toString(raw.offset())));
    headers.add(HEADER_EXCEPTION_CLASS, utf8(error.getClass().getName()));
    headers.add(HEADER_EXCEPTION_MESSAGE,
        utf8(error.getMessage() == null ? "" : error.getMessage()));
    headers.add(HEADER_REASON, utf8(reason));
    headers.add(HEADER_ATTEMPTS, utf8(Integer.toString(attempts)));
    ProducerRecord<byte[], byte[]> out =
        new ProducerRecord<>(deadLetterTopic, null, raw.key(), raw.value(), headers);
    try {
      Future<RecordMetadata> ack = deadLetterProducer.send(out);
      if (ack.isDone()) {
        ack.get(); // refused at once (unknown topic, full buffer): the catch below
        deadLettered.increment();
      } else {
        letters.add(new Letter(part, raw.offset(), ack)); // awaited before the next commit
      }
      part.failingOffset = -1L;
      part.attempts = 0;
      return Outcome.DONE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | KafkaException e) {
      // Not accepted: the record is not done. Hold it and try again after a backoff rather
      // than commit past a record that is nowhere.
    }
    deadLetterFailures.increment();
    backingOff = true;
    resumeAtNanos = clock.nanoTime() + Math.max(retryBackoff.toNanos(),
        rejectionBackoff.toNanos());
    return Outcome.STOP_ALL;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Waits for the dead letters sent since the last commit, so that no commit passes a record
   * whose dead letter the broker did not acknowledge. A letter that failed makes its record not
   * done: the partition's commit stops before it, the partition is sought back to it (the
   * records after it are handled again: at least once), and every partition backs off.
   */
  private void awaitLetters() {
    if (letters.isEmpty()) {
      return;
    }
    long deadline = clock.nanoTime() + deadLetterTimeout.toNanos();
    for (int i = 0; i < letters.size(); i++) {
      Letter l = letters.get(i);
      try {
        l.ack.get(Math.max(0L, deadline - clock.nanoTime()), TimeUnit.NANOSECONDS);
        deadLettered.increment();
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        // Not acknowledged: handled below.
      }
      letterFailed(l);
    }
    letters.clear();
  }

  private void letterFailed(Letter l) {
    deadLetterFailures.increment();
    backingOff = true;
    resumeAtNanos = clock.nanoTime() + Math.max(retryBackoff.toNanos(),
        rejectionBackoff.toNanos());
    TopicPartition tp = l.part.tp;
    OffsetAndMetadata done = pending.get(tp);
    if (done == null || done.offset() <= l.offset) {
      return; // partition gone, or already sent back to an earlier failed letter
    }
    redeliverable.add(done.offset() - l.offset - 1); // done after it, to be done again
    pending.put(tp, new OffsetAndMetadata(l.offset));
    l.part.uncommitted = Math.max(0L, l.part.uncommitted - (done.offset() - l.offset));
    if (l.part.held != null) {
      release(l.part);
    }
    try {
      consumer.seek(tp, l.offset);
    } catch (IllegalStateException e) {
      // No longer assigned: the next owner starts from the commit, before this record.
    }
  }

  private void commitPending() {
    if (pending.isEmpty() || abrupt) {
      return;
    }
    try {
      consumer.commitSync(new HashMap<>(pending));
      committedAll();
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // The group moved on. Offsets of partitions still ours are retried after the next poll;
      // those revoked or lost are dropped in the rebalance callbacks, and their records are
      // redelivered to the new owner (at least once).
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      // Retriable (timeout, coordinator moving): keep the offsets and retry after the next poll.
    }
  }

  /** The pending offsets were committed: publish them and forget them. */
  private void committedAll() {
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : pending.entrySet()) {
      Part p = part(e.getKey());
      p.committed = e.getValue().offset();
      p.uncommitted = 0;
    }
    pending.clear();
  }

  /** Forgets pending offsets that will not be committed; their records will come again. */
  private void dropPending(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : new ArrayList<>(partitions)) {
      pending.remove(tp);
      Part p = parts.get(tp);
      if (p != null) {
        redeliverable.add(p.uncommitted);
        p.uncommitted = 0;
      }
    }
  }

  private void finalCommit() {
    awaitLetters();
    for (int attempt = 0; attempt < 2 && !pending.isEmpty(); attempt++) {
      try {
        consumer.commitSync(new HashMap<>(pending));
        committedAll();
      } catch (WakeupException e) {
        // The wakeup from close() was still pending: it is consumed now, try once more.
      } catch (KafkaException e) {
        break; // nothing more to do: the records will be redelivered
      }
    }
    dropPending(pending.keySet());
  }

  /**
   * Reads each assigned partition's end offset as of the last fetch (position plus the
   * consumer's own lag estimate, no request to the broker) and updates the caught-up flag.
   */
  private void updateEnds() {
    boolean all = !assignment.isEmpty() && pending.isEmpty() && !paused
        && partitionsBackingOff == 0 && holding.isEmpty();
    for (TopicPartition tp : assignment) {
      Part p = part(tp);
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        long position = consumer.position(tp);
        p.end = position + lag.getAsLong();
        if (p.committed < 0 && p.uncommitted == 0) {
          // Nothing committed yet: the lag counts from the first record not done.
          p.base = p.held != null ? p.held.get(p.heldFrom).offset() : position;
        }
      }
      long c = p.committed >= 0 ? p.committed : p.base;
      all &= p.end >= 0 && c >= p.end;
    }
    caughtUp = all;
  }

  /** Commits before revocation, re-pauses new partitions, keeps the assignment visible. */
  private final class Rebalances implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!abrupt) {
        awaitLetters();
      }
      Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = pending.get(tp);
        if (o != null) {
          done.put(tp, o);
        }
      }
      if (!done.isEmpty() && !abrupt) {
        try {
          consumer.commitSync(done);
          for (Map.Entry<TopicPartition, OffsetAndMetadata> e : done.entrySet()) {
            pending.remove(e.getKey());
            Part p = part(e.getKey());
            p.committed = e.getValue().offset();
            p.uncommitted = 0;
          }
        } catch (KafkaException e) {
          // Too late to commit: the new owner gets these records again (at least once).
        }
      }
      dropPending(partitions);
      forget(partitions);
      assignment = without(consumer.assignment(), partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitionsLost.add(partitions.size());
      dropPending(partitions);
      forget(partitions);
      assignment = without(consumer.assignment(), partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      rebalances.increment();
      if (paused) {
        consumer.pause(partitions);
      }
      for (TopicPartition tp : partitions) {
        Part p = part(tp);
        p.assigned = true;
        p.end = -1L;
        p.base = -1L;
        p.backingOff = false;
        p.failingOffset = -1L;
        p.attempts = 0;
      }
      if (!partitions.isEmpty() && !abrupt) {
        try {
          for (Map.Entry<TopicPartition, OffsetAndMetadata> e
              : consumer.committed(new HashSet<>(partitions)).entrySet()) {
            if (e.getValue() != null) {
              part(e.getKey()).committed = e.getValue().offset();
            }
          }
        } catch (KafkaException e) {
          // Unknown for now: the gauges show NaN until the first commit.
        }
      }
      assignment = Set.copyOf(consumer.assignment());
      declarePartitionGauges();
    }

    private void forget(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        Part p = parts.get(tp);
        if (p != null) {
          p.assigned = false;
          if (p.held != null) {
            // Put the position back on the first record not done (the partition may come back
            // to this consumer with its position kept); the next owner reads from the commit.
            try {
              consumer.seek(tp, p.held.get(p.heldFrom).offset());
            } catch (IllegalStateException e) {
              // No longer assigned: its position is gone with it.
            }
            release(p);
          }
          if (p.backingOff) {
            p.backingOff = false;
            partitionsBackingOff = Math.max(0, partitionsBackingOff - 1);
          }
        }
      }
    }
  }

  private static Set<TopicPartition> without(Set<TopicPartition> all,
      Collection<TopicPartition> gone) {
    Set<TopicPartition> rest = new HashSet<>(all);
    rest.removeAll(gone);
    return Set.copyOf(rest);
  }

  /**
   * Returns how many records the handler completed.
   *
   * @return records handled successfully
   */
  public long handledCount() {
    return handled.sum();
  }

  /**
   * Returns how many records went to the dead-letter topic (acknowledged sends).
   *
   * @return records dead-lettered
   */
  public long deadLetteredCount() {
    return deadLettered.sum();
  }

  /**
   * Returns how many handler attempts were retries (attempts after the first).
   *
   * @return retries
   */
  public long retryCount() {
    return retries.sum();
  }

  /**
   * Returns how many times the downstream refused a record (a {@link RejectedException}).
   *
   * @return rejections
   */
  public long rejectionCount() {
    return rejections.sum();
  }

  /**
   * Returns how many records failed while the downstream was in trouble and were rewound to be
   * handled after it recovers (attempts not counted, never dead-lettered).
   *
   * @return records rewound for an outage
   */
  public long outageCount() {
    return outages.sum();
  }

  /**
   * Returns how many records were done but dropped before their offsets were committed (lost
   * partitions, a commit that failed on revocation, {@link #closeAbruptly(Duration)}): the
   * group redelivers them, so this bounds the duplicates this runner caused.
   *
   * @return records done but not committed, given up
   */
  public long redeliverableCount() {
    return redeliverable.sum();
  }

  /**
   * Returns whether the runner has caught up: it has partitions, and each one's committed offset
   * has reached its end offset as of the last fetch, with nothing pending, paused or waiting.
   *
   * @return true while caught up
   */
  public boolean isCaughtUp() {
    return caughtUp;
  }

  /**
   * Returns the offsets this runner last committed (or found committed when the partition was
   * assigned), for the partitions assigned now.
   *
   * @return an immutable map, in no particular order
   */
  public Map<TopicPartition, Long> committedOffsets() {
    Map<TopicPartition, Long> out = new HashMap<>();
    for (Part p : parts.values()) {
      if (p.assigned && p.committed >= 0) {
        out.put(p.tp, p.committed);
      }
    }
    return Map.copyOf(out);
  }

  /**
   * Returns the lag of the assigned partitions as the runner sees it: each one's end offset as
   * of the last fetch minus its committed offset, summed over the partitions where both are
   * known.
   *
   * @return records not yet committed
   */
  public long lag() {
    long sum = 0;
    for (Part p : parts.values()) {
      double l = p.lag();
      if (!Double.isNaN(l)) {
        sum += (long) l;
      }
    }
    return sum;
  }

  /**
   * Returns how many dead-letter sends failed and were retried later.
   *
   * @return failed dead-letter sends
   */
  public long deadLetterFailureCount() {
    return deadLetterFailures.sum();
  }

  /**
   * Returns how many assignments the consumer received: 1 after joining the group, one more per
   * rebalance.
   *
   * @return assignments received
   */
  public long rebalanceCount() {
    return rebalances.sum();
  }

  /**
   * Returns how many partitions were lost: taken away by the group without a revocation (the
   * member was expelled, for example because the handler outlived
   * {@code max.poll.interval.ms}). Their records handled but not committed are redelivered.
   *
   * @return partitions lost
   */
  public long partitionsLostCount() {
    return partitionsLost.sum();
  }

  /**
   * Returns how many times every partition was paused (downstream in trouble or refusing).
   *
   * @return pauses
   */
  public long pauseCount() {
    return pauses.sum();
  }

  /**
   * Returns whether the assigned partitions are paused now.
   *
   * @return true while paused
   */
  public boolean isPaused() {
    return paused;
  }

  /**
   * Returns whether the poll loop is running.
   *
   * @return true between {@link #start()} and the end of the loop
   */
  public boolean isRunning() {
    return running;
  }

  /**
   * Returns the partitions assigned to the consumer, as of the last rebalance callback.
   *
   * @return an immutable set
   */
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /**
   * Returns what ended the loop if it ended by an exception (for example a fatal consumer
   * error or an {@link Error} from the handler).
   *
   * @return the failure, or null
   */
  public Throwable failure() {
    return failure;
  }

  /**
   * Returns the runner's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    MeterId records = MeterId.of("headroom.kafka.consumer.records").tag("name", name)
        .description("Records done, by outcome");
    sink.counter(records.tag("outcome", "handled"), handled::sum);
    sink.counter(records.tag("outcome", "dead_lettered"), deadLettered::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.retries").tag("name", name)
        .description("Handler attempts after the first"), retries::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.rejections").tag("name", name)
        .description("Records rewound because the downstream refused them"), rejections::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.dead_letter.failures").tag("name", name)
        .description("Dead-letter sends not acknowledged"), deadLetterFailures::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.rebalances").tag("name", name)
        .description("Partition assignments received"), rebalances::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.partitions.lost").tag("name", name)
        .description("Partitions lost without a revocation"), partitionsLost::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.pauses").tag("name", name)
        .description("Times consumption was paused"), pauses::sum);
    sink.gauge(MeterId.of("headroom.kafka.consumer.paused").tag("name", name)
        .description("1 while the assigned partitions are paused"), () -> paused ? 1.0 : 0.0);
    sink.counter(MeterId.of("headroom.kafka.consumer.outages").tag("name", name)
        .description("Records rewound because they failed while the downstream was in trouble"),
        outages::sum);
    sink.counter(MeterId.of("headroom.kafka.consumer.redeliverable").tag("name", name)
        .description("Records done but dropped before their offsets were committed"),
        redeliverable::sum);
    sink.gauge(MeterId.of("headroom.kafka.consumer.caught_up").tag("name", name)
        .description("1 while every assigned partition is committed up to its end"),
        () -> caughtUp ? 1.0 : 0.0);
    synchronized (bound) {
      Set<TopicPartition> declared = bound.computeIfAbsent(sink, s -> new HashSet<>());
      declarePartitionGauges(sink, declared);
    }
  }

  /** Declares, on every bound sink, the gauges of partitions seen for the first time. */
  private void declarePartitionGauges() {
    synchronized (bound) {
      for (Map.Entry<MeterSink, Set<TopicPartition>> e : bound.entrySet()) {
        declarePartitionGauges(e.getKey(), e.getValue());
      }
    }
  }

  private void declarePartitionGauges(MeterSink sink, Set<TopicPartition> declared) {
    for (Part p : parts.values()) {
      if (declared.contains(p.tp)) {
        continue;
      }
      MeterId base = MeterId.of("headroom.kafka.consumer.committed").tag("name", name)
          .tag("topic", p.tp.topic()).tag("partition", Integer.toString(p.tp.partition()));
      try {
        sink.gauge(base.description("Offset the runner last committed"),
            () -> p.committed < 0 ? Double.NaN : (double) p.committed);
        sink.gauge(MeterId.of("headroom.kafka.consumer.lag").tag("name", name)
            .tag("topic", p.tp.topic()).tag("partition", Integer.toString(p.tp.partition()))
            .description("End offset as of the last fetch minus the committed offset")
            .baseUnit("records"), p::lag);
        declared.add(p.tp);
      } catch (RuntimeException e) {
        return; // a sink that refuses: offered again at the next assignment
      }
    }
  }

  /**
   * Builds a {@link ConsumerRunner}. Each setter validates its argument at once; {@link #build()}
   * checks that the topics, the handler and the dead-letter destination are set.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   *
   * @param <K> the key type
   * @param <V> the value type
   */
  public static final class Builder<K, V> {
    private final String name;
    private final Consumer<byte[], byte[]> consumer;
    private final Deserializer<K> keyDeserializer;
    private final Deserializer<V> valueDeserializer;
    private List<String> topics;
    private RecordHandler<K, V> handler;
    private Producer<byte[], byte[]> deadLetterProducer;
    private String deadLetterTopic;
    private int maxAttempts = 3;
    private int poisonAttempts = 1;
    private Duration retryBackoff = Duration.ofMillis(100);
    private Duration rejectionBackoff = Duration.ofMillis(25);
    private Duration pollTimeout = Duration.ofMillis(200);
    private Duration maxPollInterval = Duration.ofMinutes(5);
    private Duration deadLetterTimeout = Duration.ofSeconds(10);
    private Guard guard;
    private DoubleSupplier downstream;
    private FailureClassifier classifier = FailureClassifier.defaults();
    private NanoClock clock = NanoClock.system();

    private Builder(String name, Consumer<byte[], byte[]> consumer,
        Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
      this.name = Checks.requireNonBlank("name", name);
      this.consumer = Checks.requireNonNull("consumer", consumer);
      this.keyDeserializer = Checks.requireNonNull("keyDeserializer", keyDeserializer);
      this.valueDeserializer = Checks.requireNonNull("valueDeserializer", valueDeserializer);
    }

    /**
     * Sets the topics to subscribe to. Required.
     *
     * @param topics topic names
     * @return this builder
     * @throws IllegalArgumentException if null, empty or holding a blank name
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> topics(Collection<String> topics) {
      Checks.requireNotSet(this.topics == null, "topics", this.topics);
      Checks.requireNonNull("topics", topics);
      Checks.requireArgument(!topics.isEmpty(), "topics", "non-empty", topics);
      for (String t : topics) {
        Checks.requireNonBlank("topic", t);
      }
      this.topics = List.copyOf(topics);
      return this;
    }

    /**
     * Sets the record handler. Required.
     *
     * @param handler the handler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> handler(RecordHandler<K, V> handler) {
      Checks.requireNotSet(this.handler == null, "handler", this.handler);
      this.handler = Checks.requireNonNull("handler", handler);
      return this;
    }

    /**
     * Sets where poison records go. Required. The producer should use
     * {@code ByteArraySerializer}s and {@code acks=all}; it is not closed by the runner and may
     * be shared.
     *
     * @param producer the dead-letter producer
     * @param topic the dead-letter topic, which must exist
     * @return this builder
     * @throws IllegalArgumentException if the producer is null or the topic blank
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> deadLetter(Producer<byte[], byte[]> producer, String topic) {
      Checks.requireNotSet(this.deadLetterTopic == null, "deadLetter", this.deadLetterTopic);
      Checks.requireNonNull("deadLetter producer", producer);
      Checks.requireNonBlank("deadLetter topic", topic);
      this.deadLetterProducer = producer;
      this.deadLetterTopic = topic;
      return this;
    }

    /**
     * Sets how many times the handler is tried on a {@link FailureKind#TRANSIENT} failure
     * before the record is dead-lettered; 3 by default. Attempts that fail in an outage do not
     * count, and with a guard the record is dead-lettered only once another record succeeded
     * since its first failure.
     *
     * @param attempts the number of tries, in [1, 100]
     * @return this builder
     * @throws IllegalArgumentException if not in [1, 100]
     */
    public Builder<K, V> maxAttempts(int attempts) {
      Checks.requireInRange("maxAttempts", attempts, 1, 100);
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Sets how many times the handler is tried on a {@link FailureKind#POISON} failure before
     * the record is dead-lettered; 1 (at once) by default.
     *
     * @param attempts the number of tries, in [1, 100]
     * @return this builder
     * @throws IllegalArgumentException if not in [1, 100]
     */
    public Builder<K, V> poisonAttempts(int attempts) {
      Checks.requireInRange("poisonAttempts", attempts, 1, 100);
      this.poisonAttempts = attempts;
      return this;
    }

    /**
     * Sets how long a partition waits before its failed record is tried again (the partition is
     * paused; the polling thread does not sleep and other partitions go on), and the least wait
     * before a failed dead-letter send is tried again; 100 ms by default.
     *
     * @param backoff the pause, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder<K, V> retryBackoff(Duration backoff) {
      this.retryBackoff = Checks.requireNonNegative("retryBackoff", backoff);
      return this;
    }

    /**
     * Sets how long every partition pauses after a refused record or an outage failure: the
     * refusal's Retry-After hint if it is shorter, else this; 25 ms by default, half the
     * breaker's default probe interval. The cap keeps a half-open breaker's ramp moving: its
     * hint is the end of the current ramp step, but the step passes on the probes it has seen,
     * which a runner waiting out the whole step would not send.
     *
     * @param backoff the pause, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     */
    public Builder<K, V> rejectionBackoff(Duration backoff) {
      this.rejectionBackoff = Checks.requirePositive("rejectionBackoff", backoff);
      return this;
    }

    /**
     * Sets the timeout of each {@code poll()}; 200 ms by default. It bounds how late the runner
     * notices that the downstream admits work again.
     *
     * @param timeout the poll timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     */
    public Builder<K, V> pollTimeout(Duration timeout) {
      this.pollTimeout = Checks.requirePositive("pollTimeout", timeout);
      return this;
    }

    /**
     * Tells the runner the consumer's {@code max.poll.interval.ms}; 5 minutes (Kafka's default)
     * by default. The runner returns to {@code poll()} once it has spent half of it on one
     * poll's records, holding the rest, so only a single handler call longer than that half
     * can make the group expel the member.
     *
     * @param interval the consumer's {@code max.poll.interval.ms}, at least 100 ms
     * @return this builder
     * @throws IllegalArgumentException if shorter than 100 ms
     */
    public Builder<K, V> maxPollInterval(Duration interval) {
      Checks.requireNonNull("maxPollInterval", interval);
      Checks.requireArgument(interval.compareTo(Duration.ofMillis(100)) >= 0, "maxPollInterval",
          ">= PT0.1S", interval);
      this.maxPollInterval = interval;
      return this;
    }

    /**
     * Calls the handler through {@code guard}: the runner takes a permit for each record
     * ({@link Guard#tryAcquire()}), so the handler calls the downstream directly, without a
     * {@code breaker.call} of its own. A refused permit holds the record; a success is
     * reported with {@code onSuccess}; a poison failure with {@code onIgnore}, so poison never
     * opens the breaker; other failures with {@code onFailure}. The guard's breaker also gates
     * consumption: while it admits nothing every partition is paused. Guards with a limit work
     * too (a refusal backs off), but the handler runs on one thread, so the limit stays 1 high.
     *
     * @param guard the guard of the handler's downstream
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a guard, a breaker or a downstream was already set
     */
    public Builder<K, V> guard(Guard guard) {
      Checks.requireNotSet(this.guard == null, "guard", this.guard);
      Checks.requireState(this.downstream == null,
          "guard and downstream (or breaker) cannot both be set");
      this.guard = Checks.requireNonNull("guard", guard);
      return this;
    }

    /**
     * Sets how handler failures are classified; {@link FailureClassifier#defaults()} by default.
     *
     * @param classifier the classifier
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder<K, V> classifier(FailureClassifier classifier) {
      this.classifier = Checks.requireNonNull("classifier", classifier);
      return this;
    }

    /**
     * Sets how long to wait, before a commit, for the broker to acknowledge the dead letters
     * sent since the last one; 10 s by default.
     *
     * @param timeout the timeout, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     */
    public Builder<K, V> deadLetterTimeout(Duration timeout) {
      this.deadLetterTimeout = Checks.requirePositive("deadLetterTimeout", timeout);
      return this;
    }

    /**
     * Sets the downstream's admitted fraction, read before each poll and each record: at 0 the
     * runner pauses, above 0 it consumes. For a Headroom circuit breaker use {@link #breaker}.
     * Without either the
     * runner never pauses except after a refused record. The runner only reads the gate: the
     * handler makes its own calls (through the breaker), and a failure counts as an outage when
     * the gate admits less than every call. Prefer {@link #guard}, which also keeps poison out
     * of the breaker.
     *
     * @param admittedFraction reads the fraction of calls the downstream admits, in [0, 1];
     *     called from the runner thread, so it must be thread-safe and cheap
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a downstream, a breaker or a guard was already set
     */
    public Builder<K, V> downstream(DoubleSupplier admittedFraction) {
      Checks.requireNotSet(this.downstream == null, "downstream", this.downstream);
      Checks.requireState(this.guard == null,
          "guard and downstream (or breaker) cannot both be set");
      this.downstream = Checks.requireNonNull("downstream", admittedFraction);
      return this;
    }

    /**
     * Pauses consumption while {@code breaker} admits nothing and resumes as its half-open ramp
     * starts: the same as {@code downstream(breaker::admittedFraction)}. Reading the fraction
     * also moves an open breaker whose open duration is over to half-open, so a paused runner
     * needs no other traffic to notice the recovery. The handler should call the downstream
     * through the same breaker ({@code breaker.call(...)}), so that calls the ramp does not admit
     * come back as {@code CallNotPermittedException}s and are retried, not dead-lettered.
     *
     * @param breaker the breaker guarding the handler's downstream
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a downstream, a breaker or a guard was already set
     */
    public Builder<K, V> breaker(CircuitBreaker breaker) {
      Checks.requireNonNull("breaker", breaker);
      return downstream(breaker::admittedFraction);
    }

    /**
     * Sets the clock that times backoffs and the poll budget; the system clock by default.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder<K, V> clock(NanoClock clock) {
      this.clock = Checks.requireNonNull("clock", clock);
      return this;
    }

    /**
     * Builds the runner; it does nothing until {@link ConsumerRunner#start()}.
     *
     * @return the runner
     * @throws IllegalStateException if the topics, the handler or the dead-letter destination
     *     is not set
     */
    public ConsumerRunner<K, V> build() {
      Checks.requireState(topics != null, "topics must be set");
      Checks.requireState(handler != null, "handler must be set");
      Checks.requireState(deadLetterTopic != null, "deadLetter must be set");
      if (downstream == null && guard == null) {
        downstream = () -> 1.0;
      }
      return new ConsumerRunner<>(this);
    }
  }
}
