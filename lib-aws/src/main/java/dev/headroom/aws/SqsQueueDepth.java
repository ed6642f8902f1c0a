package dev.headroom.aws;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.signal.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * An SQS queue's depth as a scaling signal, counted exactly as KEDA's {@code aws-sqs-queue}
 * scaler counts it: {@code ApproximateNumberOfMessages}, plus
 * {@code ApproximateNumberOfMessagesNotVisible} (in flight: received, not yet deleted) unless
 * {@code includeInFlight(false)} (KEDA's {@code scaleOnInFlight}, default true), plus
 * {@code ApproximateNumberOfMessagesDelayed} when {@code includeDelayed(true)} (KEDA's
 * {@code scaleOnDelayed}, default false). An attribute missing from the answer is an error, as
 * it is for KEDA.
 *
 * <pre>{@code
 * SqsQueueDepth depth = SqsQueueDepth.builder(sqs, queueUrl).build();   // polls every 10 s
 * depth.start();
 * Signal remittance = depth.signal("remittance-queue", 100);           // 100 messages per pod
 * }</pre>
 *
 * <p>The queue is polled with the async client on a single daemon thread (or your scheduler),
 * never on the thread that reads the signal: {@link #depth()} returns the last successful count.
 * A poll that fails or times out keeps the last value, increments
 * {@link #errorCount()} and lets {@link #age()} grow; nothing is thrown to the caller. One poll
 * at a time: a tick that finds the previous poll still running is skipped.
 *
 * <p>Meters (tags {@code name}, {@code queue}): {@code headroom.aws.sqs.depth},
 * {@code headroom.aws.sqs.age} (seconds since the last successful poll), and
 * {@code headroom.aws.sqs.polls} (tag {@code outcome}: success, failure).
 *
 * <p>Credentials and region are the client's: build it with
 * {@code SqsAsyncClient.create()} in production (the SDK's default chain, so IRSA and ECS task
 * roles work unchanged); tests give an explicit region, endpoint and static credentials.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqsQueueDepth implements Instrumented, AutoCloseable {

  private final SqsAsyncClient client;
  private final String queueUrl;
  private final String name;
  private final boolean includeInFlight;
  private final boolean includeDelayed;
  private final Duration pollInterval;
  private final Duration requestTimeout;
  private final NanoClock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownScheduler;
  private final List<QueueAttributeName> attributes;

  private volatile long depth = -1;
  private volatile long lastSuccessNanos;
  private volatile Throwable lastFailure;
  private final LongAdder successes = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final AtomicBoolean polling = new AtomicBoolean();
  private final Object lifecycle = new Object();
  private ScheduledFuture<?> task;
  private boolean closed;

  private SqsQueueDepth(Builder b) {
    this.client = b.client;
    this.queueUrl = b.queueUrl;
    this.name = b.name == null ? queueName(b.queueUrl) : b.name;
    this.includeInFlight = b.includeInFlight == null || b.includeInFlight;
    this.includeDelayed = b.includeDelayed != null && b.includeDelayed;
    this.pollInterval = b.pollInterval == null ? Duration.ofSeconds(10) : b.pollInterval;
    this.requestTimeout = b.requestTimeout == null ? Duration.ofSeconds(5) : b.requestTimeout;
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
    this.ownScheduler = b.scheduler == null;
    this.scheduler = b.scheduler != null ? b.scheduler
        : Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "headroom-sqs-depth-" + this.name);
          t.setDaemon(true);
          return t;
        });
    List<QueueAttributeName> a = new ArrayList<>(3);
    a.add(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
    if (includeInFlight) {
      a.add(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
    }
    if (includeDelayed) {
      a.add(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED);
    }
    this.attributes = List.copyOf(a);
    this.lastSuccessNanos = clock.nanoTime();
  }

  /**
   * Starts a depth source for one queue.
   *
   * @param client the async SQS client
   * @param queueUrl the queue's URL
   * @return a new builder
   * @throws IllegalArgumentException if an argument is null or the URL is blank
   */
  public static Builder builder(SqsAsyncClient client, String queueUrl) {
    Checks.requireNonNull("client", client);
    Checks.requireNonBlank("queueUrl", queueUrl);
    return new Builder(client, queueUrl);
  }

  /** The last path segment of a queue URL: its name, as KEDA derives it. */
  static String queueName(String queueUrl) {
    String trimmed = queueUrl.endsWith("/") ? queueUrl.substring(0, queueUrl.length() - 1)
        : queueUrl;
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }

  /**
   * Starts polling every {@code pollInterval}, the first poll at once. Idempotent.
   *
   * @return this source
   * @throws IllegalStateException if closed
   */
  public SqsQueueDepth start() {
    synchronized (lifecycle) {
      Checks.requireState(!closed, "the SQS depth source " + name + " is closed");
      if (task == null) {
        task = scheduler.scheduleWithFixedDelay(this::refresh, 0, pollInterval.toNanos(),
            TimeUnit.NANOSECONDS);
      }
      return this;
    }
  }

  /**
   * Polls the queue once now. Never throws: a failure completes the returned future with the
   * last known depth after counting the error. When a poll is already running, returns at once
   * with the last known depth.
   *
   * @return the depth after this poll (-1 if no poll has succeeded yet)
   */
  public CompletableFuture<Long> refresh() {
    if (!polling.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(depth);
    }
    CompletableFuture<Long> result = new CompletableFuture<>();
    try {
      GetQueueAttributesRequest request = GetQueueAttributesRequest.builder()
          .queueUrl(queueUrl).attributeNames(attributes)
          .overrideConfiguration(o -> o.apiCallTimeout(requestTimeout))
          .build();
      client.getQueueAttributes(request).whenComplete((response, error) -> {
        try {
          if (error != null) {
            fail(error);
          } else {
            succeed(count(response.attributes()));
          }
        } catch (RuntimeException e) {
          fail(e);
        } finally {
          polling.set(false);
          result.complete(depth);
        }
      });
    } catch (RuntimeException e) {
      fail(e);
      polling.set(false);
      result.complete(depth);
    }
    return result;
  }

  private long count(Map<QueueAttributeName, String> values) {
    long sum = 0;
    for (QueueAttributeName a : attributes) {
      String v = values.get(a);
      if (v == null) {
        throw new IllegalStateException("metric " + a + " not found in SQS queue attributes");
      }
      sum += Long.parseLong(v);
    }
    return sum;
  }

  private void succeed(long value) {
    depth = value;
    lastSuccessNanos = clock.nanoTime();
    successes.increment();
  }

  private void fail(Throwable error) {
    lastFailure = error;
    errors.increment();
  }

  /**
   * Returns the last successfully polled depth.
   *
   * @return messages, or -1 before the first successful poll
   */
  public long depth() {
    return depth;
  }

  /**
   * Returns the time since the last successful poll (since the source was built, if none).
   *
   * @return the age
   */
  public Duration age() {
    return Duration.ofNanos(Math.max(0L, clock.nanoTime() - lastSuccessNanos));
  }

  /**
   * Returns how many polls failed.
   *
   * @return the count
   */
  public long errorCount() {
    return errors.sum();
  }

  /**
   * Returns how many polls succeeded.
   *
   * @return the count
   */
  public long successCount() {
    return successes.sum();
  }

  /**
   * Returns the last failure.
   *
   * @return the error, or null if no poll failed
   */
  public Throwable lastFailure() {
    return lastFailure;
  }

  /**
   * Returns the name used in tags and as the signal's default name.
   *
   * @return the name (the queue's name by default)
   */
  public String name() {
    return name;
  }

  /**
   * Returns the attributes summed, in order.
   *
   * @return the attribute names
   */
  public List<QueueAttributeName> attributes() {
    return attributes;
  }

  /**
   * Returns the depth as a fleet-total {@link Signal}: every pod sees the same queue. Before the
   * first successful poll the reading is NaN (skipped and counted by the signal).
   *
   * @param signalName the signal's name
   * @param targetPerPod messages one pod should carry (KEDA's {@code queueLength}), {@code > 0}
   * @return the signal
   * @throws IllegalArgumentException if the name or target is invalid
   */
  public Signal signal(String signalName, double targetPerPod) {
    return Signal.builder(signalName).unit("messages").targetPerPod(targetPerPod)
        .description("Depth of SQS queue " + queueName(queueUrl))
        .fleetTotal(() -> {
          long d = depth;
          return d < 0 ? Double.NaN : d;
        }).clock(clock).build();
  }

  @Override
  public void describeMeters(MeterSink sink) {
    String queue = queueName(queueUrl);
    sink.gauge(MeterId.of("headroom.aws.sqs.depth").tag("name", name).tag("queue", queue)
        .description("Messages in the queue, as KEDA counts them"), () -> {
          long d = depth;
          return d < 0 ? Double.NaN : d;
        });
    sink.gauge(MeterId.of("headroom.aws.sqs.age").tag("name", name).tag("queue", queue)
        .baseUnit("seconds").description("Seconds since the last successful poll"),
        () -> age().toNanos() / 1e9);
    sink.counter(MeterId.of("headroom.aws.sqs.polls").tag("name", name).tag("queue", queue)
        .tag("outcome", "success").description("Polls of the queue's attributes"),
        successes::sum);
    sink.counter(MeterId.of("headroom.aws.sqs.polls").tag("name", name).tag("queue", queue)
        .tag("outcome", "failure").description("Polls of the queue's attributes"), errors::sum);
  }

  /** Stops polling; shuts down the scheduler if the source made it. Idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      if (task != null) {
        task.cancel(false);
      }
      if (ownScheduler) {
        scheduler.shutdownNow();
      }
    }
  }

  @Override
  public String toString() {
    return "SqsQueueDepth[" + name + ", depth " + depth + ", " + attributes + "]";
  }

  /**
   * Builds an {@link SqsQueueDepth}. Each setter validates its argument and may be called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final SqsAsyncClient client;
    private final String queueUrl;
    private String name;
    private Boolean includeInFlight;
    private Boolean includeDelayed;
    private Duration pollInterval;
    private Duration requestTimeout;
    private NanoClock clock;
    private ScheduledExecutorService scheduler;

    private Builder(SqsAsyncClient client, String queueUrl) {
      this.client = client;
      this.queueUrl = queueUrl;
    }

    /**
     * Sets the name used in tags. Default: the queue's name.
     *
     * @param value the name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder name(String value) {
      Checks.requireNonBlank("name", value);
      Checks.requireNotSet(name == null, "name", name);
      name = value;
      return this;
    }

    /**
     * Counts in-flight messages (received, not yet deleted). Default true, as KEDA's
     * {@code scaleOnInFlight}.
     *
     * @param value whether to count them
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder includeInFlight(boolean value) {
      Checks.requireNotSet(includeInFlight == null, "includeInFlight", includeInFlight);
      includeInFlight = value;
      return this;
    }

    /**
     * Counts delayed messages. Default false, as KEDA's {@code scaleOnDelayed}.
     *
     * @param value whether to count them
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder includeDelayed(boolean value) {
      Checks.requireNotSet(includeDelayed == null, "includeDelayed", includeDelayed);
      includeDelayed = value;
      return this;
    }

    /**
     * Sets the poll interval. Default 10 s (SQS updates these approximate counts about once a
     * minute at most for large queues; polling faster costs requests, not accuracy).
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder pollInterval(Duration value) {
      Checks.requirePositive("pollInterval", value);
      Checks.requireNotSet(pollInterval == null, "pollInterval", pollInterval);
      pollInterval = value;
      return this;
    }

    /**
     * Sets the timeout of one poll, including the SDK's retries. Default 5 s.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder requestTimeout(Duration value) {
      Checks.requirePositive("requestTimeout", value);
      Checks.requireNotSet(requestTimeout == null, "requestTimeout", requestTimeout);
      requestTimeout = value;
      return this;
    }

    /**
     * Sets the clock that times the age. Default {@link NanoClock#system()}.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock value) {
      Checks.requireNonNull("clock", value);
      Checks.requireNotSet(clock == null, "clock", clock);
      clock = value;
      return this;
    }

    /**
     * Polls on your scheduler instead of an own daemon thread (which is then not shut down by
     * {@link SqsQueueDepth#close()}).
     *
     * @param value the scheduler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder scheduler(ScheduledExecutorService value) {
      Checks.requireNonNull("scheduler", value);
      Checks.requireNotSet(scheduler == null, "scheduler", scheduler);
      scheduler = value;
      return this;
    }

    /**
     * Builds the source, not yet polling.
     *
     * @return the source
     */
    public SqsQueueDepth build() {
      return new SqsQueueDepth(this);
    }
  }
}
