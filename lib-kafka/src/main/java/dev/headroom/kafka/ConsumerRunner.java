package dev.headroom.kafka;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
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
 * record to a {@link RecordHandler}, retries failures, dead-letters poison records, commits only
 * what is done, and pauses consumption while the downstream it feeds refuses work.
 *
 * <pre>{@code
 * ConsumerRunner<String, Enrollment> runner = ConsumerRunner
 *     .builder("enrollment-workers", consumer, new StringDeserializer(), enrollmentDeserializer)
 *     .topics(List.of("enrollment-events"))
 *     .handler(record -> breaker.call(() -> store.save(record.value())))
 *     .deadLetter(dlqProducer, "enrollment-events.dlq")
 *     .breaker(breaker)
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
 * handled in offset order; the handler is called on the runner's thread.
 *
 * <ul>
 *   <li><b>Success</b>: the record is done.
 *   <li><b>Failure</b>: the handler is tried up to {@link Builder#maxAttempts} times, with
 *       {@link Builder#retryBackoff} between tries; after the last failure the record is
 *       dead-lettered.
 *   <li><b>Deserialization failure</b>: dead-lettered at once, without calling the handler.
 *   <li><b>Refused downstream</b>: the handler threw a {@link RejectedException} (directly or as
 *       a cause), such as a circuit breaker's rejection. The record is not a poison record: the
 *       runner rewinds to it and pauses for the exception's Retry-After hint, at most
 *       {@link Builder#rejectionBackoff}, then handles it again.
 * </ul>
 *
 * <p>A dead-lettered record is sent to the dead-letter topic with its original key, value and
 * headers, plus headers {@value #HEADER_TOPIC}, {@value #HEADER_PARTITION},
 * {@value #HEADER_OFFSET}, {@value #HEADER_EXCEPTION_CLASS}, {@value #HEADER_EXCEPTION_MESSAGE},
 * {@value #HEADER_REASON} ({@code deserialization} or {@code handler}) and
 * {@value #HEADER_ATTEMPTS}, all UTF-8 text. The record counts as done only once the broker
 * acknowledged the dead-letter send; if the send fails, the runner rewinds and tries the record
 * again later, so a poison record is never skipped without a trace.
 *
 * <h2>Offsets</h2>
 *
 * <p>Auto-commit must be off ({@code enable.auto.commit=false}). After each poll the runner
 * commits, per partition, the offset after the last record done (handled or dead-lettered), so a
 * committed offset never passes a record that was not done: a restart loses and skips nothing,
 * and redelivers at most the records in flight. Before partitions are revoked in a rebalance the
 * runner commits what is done for them; {@link #close()} makes a final commit.
 *
 * <h2>Pausing while the downstream refuses work</h2>
 *
 * <p>Before each poll and each record the runner reads the downstream's admitted fraction
 * ({@link Builder#breaker}: the {@link CircuitBreaker}'s {@code admittedFraction()}, 0 while
 * open, the ramp step while half-open, 1 while closed; or any {@link Builder#downstream}). At 0 it stops handling, rewinds
 * every partition to its first record not done, and pauses all assigned partitions, but keeps
 * calling {@code poll()}: the consumer keeps heartbeating and its poll interval keeps being
 * reset, so it stays in its group and no rebalance happens however long the breaker stays
 * open. Partitions assigned by a rebalance while paused are paused at once. As soon as the
 * fraction is above 0 (the breaker starts its half-open ramp) the runner resumes; calls the ramp
 * does not admit come back as rejections and are retried as described above. Resumption lags the
 * breaker by at most one {@link Builder#pollTimeout}.
 *
 * <p>A record is dead-lettered after its last failed attempt only if the downstream still
 * admits work: when the failures have just opened the breaker, the record is rewound like a
 * refused one. Set {@link Builder#maxAttempts} above the breaker's consecutive-failure limit, so
 * that an outage opens the breaker before any one record runs out of attempts.
 *
 * <p>Handler retries and backoffs run on the polling thread: keep
 * {@code maxAttempts x (handler time + retryBackoff)} for one poll's records well under the
 * consumer's {@code max.poll.interval.ms}, or the group will evict the consumer.
 *
 * <h2>Meters</h2>
 *
 * <p>{@code headroom.kafka.consumer.records} with tag {@code outcome} = {@code handled} or
 * {@code dead_lettered}; {@code headroom.kafka.consumer.retries};
 * {@code headroom.kafka.consumer.rejections} (records rewound because the downstream refused);
 * {@code headroom.kafka.consumer.dead_letter.failures} (failed dead-letter sends);
 * {@code headroom.kafka.consumer.rebalances} (assignments received);
 * {@code headroom.kafka.consumer.partitions.lost} (partitions taken away without a revocation,
 * as when the handler outlives {@code max.poll.interval.ms}: their uncommitted records are
 * redelivered);
 * {@code headroom.kafka.consumer.pauses} (times consumption was paused);
 * {@code headroom.kafka.consumer.paused} (gauge, 1 while paused). All tagged {@code name}.
 *
 * <p>Thread-safety: safe for concurrent use. Concurrency design: the {@link Consumer} is not
 * thread-safe, so after {@link #start()} only the runner's thread touches it (poll, pause,
 * commit, seek, the rebalance callbacks, close); other threads only call
 * {@link Consumer#wakeup()}, which is thread-safe, from {@link #close()}. The state other
 * threads read (counters, the paused flag, the assignment, the failure) is written by the runner
 * thread alone, into {@link LongAdder}s and volatile fields: a reader sees a recent value, which
 * is all a metric or a getter promises. The {@code running} flag is the one write from other
 * threads; it is volatile, and the runner checks it before each poll and each record, and is
 * woken out of a blocking poll or commit by {@code wakeup()}. {@link #start()} and
 * {@link #close()} serialise on a lifecycle lock that the loop never takes, so a close racing
 * with a start either prevents it or sees the started thread. The handler, the deserializers and
 * the dead-letter producer are called from the runner thread only (the producer may be shared:
 * Kafka producers are thread-safe).
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
  /** Dead-letter header: {@code deserialization} or {@code handler}. */
  public static final String HEADER_REASON = "headroom.dlq.reason";
  /** Dead-letter header: how many times the handler was tried (0 for deserialization). */
  public static final String HEADER_ATTEMPTS = "headroom.dlq.attempts";

  private enum Outcome { DONE, STOP }

  private final String name;
  private final Consumer<byte[], byte[]> consumer;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final List<String> topics;
  private final RecordHandler<K, V> handler;
  private final Producer<byte[], byte[]> deadLetterProducer;
  private final String deadLetterTopic;
  private final int maxAttempts;
  private final Duration retryBackoff;
  private final Duration rejectionBackoff;
  private final Duration pollTimeout;
  private final Duration deadLetterTimeout;
  private final DoubleSupplier downstream;
  private final NanoClock clock;

  private final LongAdder handled = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder rejections = new LongAdder();
  private final LongAdder deadLetterFailures = new LongAdder();
  private final LongAdder rebalances = new LongAdder();
  private final LongAdder partitionsLost = new LongAdder();
  private final LongAdder pauses = new LongAdder();

  // start() and close() change the lifecycle under this lock (never held on the poll path), so
  // a close() racing with start() either prevents the start or sees the started thread.
  private final Object lifecycle = new Object();
  private boolean started;
  private volatile boolean running;
  private volatile boolean paused;
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile Throwable failure;
  private volatile Thread thread;

  // Runner-thread state, never read by other threads.
  private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
  private boolean backingOff;
  private long resumeAtNanos;

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
    this.retryBackoff = b.retryBackoff;
    this.rejectionBackoff = b.rejectionBackoff;
    this.pollTimeout = b.pollTimeout;
    this.deadLetterTimeout = b.deadLetterTimeout;
    this.downstream = b.downstream;
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

  private void run() {
    try {
      consumer.subscribe(topics, new Rebalances());
      while (running) {
        try {
          applyPause();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
          if (!records.isEmpty()) {
            process(records);
          }
          commitPending();
        } catch (WakeupException e) {
          // close() woke a blocking call; the loop condition decides whether to go on.
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
    } finally {
      finalCommit();
      try {
        consumer.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
      assignment = Set.of();
      running = false;
    }
  }

  /** Pauses every assigned partition while the downstream refuses, resumes when it admits. */
  private void applyPause() {
    if (backingOff && clock.nanoTime() - resumeAtNanos >= 0) {
      backingOff = false;
    }
    if (backingOff || !admits()) {
      if (!paused) {
        paused = true;
        pauses.increment();
      }
      consumer.pause(consumer.assignment()); // idempotent; covers newly assigned partitions
    } else if (paused) {
      consumer.resume(consumer.paused());
      paused = false;
    }
  }

  private boolean admits() {
    return downstream.getAsDouble() > 0.0;
  }

  private void process(ConsumerRecords<byte[], byte[]> records) {
    List<TopicPartition> partitions = new ArrayList<>(records.partitions());
    for (int i = 0; i < partitions.size(); i++) {
      TopicPartition tp = partitions.get(i);
      List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
      for (int j = 0; j < list.size(); j++) {
        ConsumerRecord<byte[], byte[]> r = list.get(j);
        Outcome outcome = running && !backingOff && admits() ? processOne(r) : Outcome.STOP;
        if (outcome == Outcome.DONE) {
          pending.put(tp, new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""));
          continue;
        }
        // Stop here: the position has moved past the whole poll, so rewind this partition to
        // the record not done and every later partition of the poll to its first record.
        consumer.seek(tp, r.offset());
        for (int k = i + 1; k < partitions.size(); k++) {
          TopicPartition later = partitions.get(k);
          consumer.seek(later, records.records(later).get(0).offset());
        }
        return;
      }
    }
  }

  private Outcome processOne(ConsumerRecord<byte[], byte[]> raw) {
    K key;
    V value;
    try {
      key = keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
      value = valueDeserializer.deserialize(raw.topic(), raw.headers(), raw.value());
    } catch (RuntimeException e) {
      return deadLetter(raw, e, "deserialization", 0);
    }
    ConsumerRecord<K, V> record = new ConsumerRecord<>(raw.topic(), raw.partition(),
        raw.offset(), raw.timestamp(), raw.timestampType(), raw.serializedKeySize(),
        raw.serializedValueSize(), key, value, raw.headers(), raw.leaderEpoch());
    Exception last = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        retries.increment();
        if (!sleep(retryBackoff) || !running || !admits()) {
          return Outcome.STOP; // not failed: tried again from the start when resumed
        }
      }
      try {
        handler.handle(record);
        handled.increment();
        return Outcome.DONE;
      } catch (Exception e) {
        RejectedException rejected = rejection(e);
        if (rejected != null) {
          rejections.increment();
          Duration hint = rejected.retryAfter();
          backOff(hint.isZero() || hint.compareTo(rejectionBackoff) > 0
              ? rejectionBackoff : hint);
          return Outcome.STOP;
        }
        // Any other exception, an InterruptedException included, is a failed attempt: the
        // runner's thread is interrupted by nobody but the handler's own blocking calls.
        last = e;
      }
    }
    if (!admits()) {
      // The failures opened the breaker: an outage downstream, not a poison record.
      return Outcome.STOP;
    }
    return deadLetter(raw, last, "handler", maxAttempts);
  }

  /** Returns the {@link RejectedException} in {@code e}'s cause chain, or null. */
  private static RejectedException rejection(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RejectedException) {
        return (RejectedException) t;
      }
    }
    return null;
  }

  private Outcome deadLetter(ConsumerRecord<byte[], byte[]> raw, Exception error, String reason,
      int attempts) {
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
      deadLetterProducer.send(out).get(deadLetterTimeout.toNanos(), TimeUnit.NANOSECONDS);
      deadLettered.increment();
      return Outcome.DONE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      // Not acknowledged: the record is not done. Rewind and try it again after a backoff
      // rather than commit past a record that is nowhere.
    }
    deadLetterFailures.increment();
    backOff(retryBackoff);
    return Outcome.STOP;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void backOff(Duration d) {
    backingOff = true;
    resumeAtNanos = clock.nanoTime() + d.toNanos();
  }

  /** Sleeps on the runner thread; false if interrupted. */
  private static boolean sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void commitPending() {
    if (pending.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(new HashMap<>(pending));
      pending.clear();
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

  private void finalCommit() {
    for (int attempt = 0; attempt < 2 && !pending.isEmpty(); attempt++) {
      try {
        consumer.commitSync(new HashMap<>(pending));
        pending.clear();
      } catch (WakeupException e) {
        // The wakeup from close() was still pending: it is consumed now, try once more.
      } catch (KafkaException e) {
        return; // nothing more to do: the records will be redelivered
      }
    }
  }

  /** Commits before revocation, re-pauses new partitions, keeps the assignment visible. */
  private final class Rebalances implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = pending.remove(tp);
        if (o != null) {
          done.put(tp, o);
        }
      }
      if (!done.isEmpty()) {
        try {
          consumer.commitSync(done);
        } catch (KafkaException e) {
          // Too late to commit: the new owner gets these records again (at least once).
        }
      }
      assignment = without(consumer.assignment(), partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitionsLost.add(partitions.size());
      for (TopicPartition tp : partitions) {
        pending.remove(tp);
      }
      assignment = without(consumer.assignment(), partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      rebalances.increment();
      if (paused) {
        consumer.pause(partitions);
      }
      assignment = Set.copyOf(consumer.assignment());
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
   * Returns how many times consumption was paused (downstream refusing, or a backoff).
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
    private Duration retryBackoff = Duration.ofMillis(100);
    private Duration rejectionBackoff = Duration.ofMillis(500);
    private Duration pollTimeout = Duration.ofMillis(200);
    private Duration deadLetterTimeout = Duration.ofSeconds(10);
    private DoubleSupplier downstream;
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
     * Sets how many times the handler is tried before a record is dead-lettered; 3 by default.
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
     * Sets the pause between handler tries, and before a failed dead-letter send is tried
     * again; 100 ms by default.
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
     * Sets how long consumption pauses after a refused record: the exception's Retry-After hint
     * if it is shorter, else this; 500 ms by default. The cap keeps a half-open breaker's ramp
     * moving: its hint is the end of the current ramp step, but the step only passes once it
     * has seen enough probes, which a runner waiting out the whole step would not send.
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
     * Sets how long to wait for the broker to acknowledge a dead-letter send; 10 s by default.
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
     * Without either the runner never pauses except after a refused record.
     *
     * @param admittedFraction reads the fraction of calls the downstream admits, in [0, 1];
     *     called from the runner thread, so it must be thread-safe and cheap
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> downstream(DoubleSupplier admittedFraction) {
      Checks.requireNotSet(this.downstream == null, "downstream", this.downstream);
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
     * @throws IllegalStateException if a downstream was already set
     */
    public Builder<K, V> breaker(CircuitBreaker breaker) {
      Checks.requireNonNull("breaker", breaker);
      return downstream(breaker::admittedFraction);
    }

    /**
     * Sets the clock that times backoffs; the system clock by default.
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
      if (downstream == null) {
        downstream = () -> 1.0;
      }
      return new ConsumerRunner<>(this);
    }
  }
}
