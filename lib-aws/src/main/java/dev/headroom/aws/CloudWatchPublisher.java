package dev.headroom.aws;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import io.micrometer.core.instrument.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataRequest;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * Publishes scaling signals and replica advice to CloudWatch with {@code PutMetricData}, for
 * KEDA's {@code aws-cloudwatch} scaler and ECS target tracking.
 *
 * <pre>{@code
 * CloudWatchPublisher publisher = CloudWatchPublisher.builder(cloudWatch, "Headroom")
 *     .signal(queueDepth)
 *     .advisor(advisor)                        // also publishes "desired-replicas"
 *     .build()
 *     .start();                                // samples every 60 s, sends every 60 s
 * }</pre>
 *
 * <h2>What is sent</h2>
 *
 * <p>Every {@code sampleInterval} each signal is read once (a skipped reading is not sent) and
 * becomes one datum: metric name = the signal's name, its value and timestamp, dimensions
 * {@code service} and {@code pod} (from {@link HeadroomMeterBinder#environmentTags}, or
 * {@link Builder#dimensions}), and with {@link Builder#highResolution} a storage resolution of
 * 1 s. With {@code rollUp} (the default) each datum is also sent with the {@code service}
 * dimension alone, so that one metric aggregates the fleet (CloudWatch keeps a metric per
 * exact dimension set): query it with {@code Maximum} for a fleet-total signal, {@code Average}
 * or {@code Sum} for a per-pod one. An advisor adds {@code desired-replicas}.
 *
 * <h2>How it is sent</h2>
 *
 * <ul>
 *   <li>Datums wait in a bounded buffer ({@code bufferCapacity}, default 10,000). When it is
 *       full the oldest datum is dropped and counted; nothing ever waits for room.
 *   <li>Every {@code flushInterval} the buffer is sent in batches of at most 1,000 datums and
 *       about 900 KB each (the API allows 1,000 metrics and 1 MB per request), one request at a
 *       time, with the async client: no thread waits on the network.
 *   <li>A failed request is retried up to {@code maxAttempts} in all (default 3), after
 *       {@code backoff}, doubling (default 1 s, 2 s), each attempt bounded by
 *       {@code requestTimeout} (default 10 s, SDK retries included). A batch that still fails is
 *       dropped and counted; the next flush goes on with newer datums.
 *   <li>All of it runs on one daemon thread (or your scheduler). The application's threads never
 *       call into the publisher, so a slow, failing or hanging CloudWatch can cost them
 *       nothing; the price is the datums dropped, which the meters count.
 * </ul>
 *
 * <p>Credentials and region are the client's: {@code CloudWatchAsyncClient.create()} uses the
 * SDK's default chain, so IRSA and ECS task roles work unchanged.
 *
 * <p>Meters (tag {@code namespace}): {@code headroom.aws.cloudwatch.datums} (tag
 * {@code outcome}: sent, dropped_overflow, dropped_failed), {@code headroom.aws.cloudwatch.requests}
 * (tag {@code outcome}: success, failure), {@code headroom.aws.cloudwatch.buffered}.
 *
 * <p>Thread-safety: safe for concurrent use. The buffer is guarded by a lock held only to add or
 * take datums, by the publisher's own thread and by {@link #sample()} and {@link #flush()}
 * callers.
 */
public final class CloudWatchPublisher implements Instrumented, AutoCloseable {

  /** The most metrics one {@code PutMetricData} request may carry. */
  public static final int MAX_DATUMS_PER_REQUEST = 1_000;
  /** The payload budget per request, below the API's 1 MB. */
  static final int MAX_REQUEST_BYTES = 900_000;

  private final CloudWatchAsyncClient client;
  private final String namespace;
  private final List<Signal> signals;
  private final ReplicaAdvisor advisor;
  private final List<Dimension> dimensions;
  private final List<Dimension> rolledUp;
  private final boolean highResolution;
  private final Duration sampleInterval;
  private final Duration flushInterval;
  private final int capacity;
  private final int maxAttempts;
  private final Duration backoff;
  private final Duration requestTimeout;
  private final Clock wallClock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownScheduler;

  private final ArrayDeque<MetricDatum> buffer = new ArrayDeque<>();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private final LongAdder sent = new LongAdder();
  private final LongAdder droppedOverflow = new LongAdder();
  private final LongAdder droppedFailed = new LongAdder();
  private final LongAdder requestsOk = new LongAdder();
  private final LongAdder requestsFailed = new LongAdder();
  private volatile Throwable lastFailure;
  private final Object lifecycle = new Object();
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private boolean closed;

  private CloudWatchPublisher(Builder b) {
    this.client = b.client;
    this.namespace = b.namespace;
    this.signals = List.copyOf(b.signals.values());
    this.advisor = b.advisor;
    Map<String, String> dims = b.dimensions;
    if (dims == null) {
      dims = new LinkedHashMap<>();
      for (Tag t : HeadroomMeterBinder.environmentTags(System::getenv)) {
        if (!t.getKey().equals("version")) {
          dims.put(t.getKey(), t.getValue());
        }
      }
    }
    List<Dimension> d = new ArrayList<>();
    dims.forEach((k, v) -> d.add(Dimension.builder().name(k).value(v).build()));
    this.dimensions = List.copyOf(d);
    boolean rollUp = b.rollUp == null || b.rollUp;
    List<Dimension> up = new ArrayList<>();
    for (Dimension dim : d) {
      if (!dim.name().equals("pod")) {
        up.add(dim);
      }
    }
    this.rolledUp = rollUp && up.size() < d.size() ? List.copyOf(up) : null;
    this.highResolution = b.highResolution != null && b.highResolution;
    this.sampleInterval = b.sampleInterval != null ? b.sampleInterval
        : highResolution ? Duration.ofSeconds(10) : Duration.ofSeconds(60);
    this.flushInterval = b.flushInterval != null ? b.flushInterval : Duration.ofSeconds(60);
    this.capacity = b.capacity > 0 ? b.capacity : 10_000;
    this.maxAttempts = b.maxAttempts > 0 ? b.maxAttempts : 3;
    this.backoff = b.backoff != null ? b.backoff : Duration.ofSeconds(1);
    this.requestTimeout = b.requestTimeout != null ? b.requestTimeout : Duration.ofSeconds(10);
    this.wallClock = b.wallClock != null ? b.wallClock : Clock.systemUTC();
    this.ownScheduler = b.scheduler == null;
    this.scheduler = b.scheduler != null ? b.scheduler
        : Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "headroom-cloudwatch-" + namespace);
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Starts a publisher.
   *
   * @param client the async CloudWatch client
   * @param namespace the CloudWatch namespace, e.g. {@code "Headroom"}; not starting with
   *     {@code "AWS/"}
   * @return a new builder
   * @throws IllegalArgumentException if an argument is null, the namespace blank, longer than
   *     255 characters or reserved
   */
  public static Builder builder(CloudWatchAsyncClient client, String namespace) {
    Checks.requireNonNull("client", client);
    Checks.requireNonBlank("namespace", namespace);
    Checks.requireArgument(namespace.length() <= 255 && !namespace.startsWith("AWS/"),
        "namespace", "at most 255 characters, not starting with AWS/", namespace);
    return new Builder(client, namespace);
  }

  /**
   * Starts sampling every {@code sampleInterval} and flushing every {@code flushInterval}.
   * Idempotent.
   *
   * @return this publisher
   * @throws IllegalStateException if closed
   */
  public CloudWatchPublisher start() {
    synchronized (lifecycle) {
      Checks.requireState(!closed, "the CloudWatch publisher " + namespace + " is closed");
      if (tasks.isEmpty()) {
        tasks.add(scheduler.scheduleAtFixedRate(this::sample, 0, sampleInterval.toNanos(),
            TimeUnit.NANOSECONDS));
        tasks.add(scheduler.scheduleWithFixedDelay(this::flush, flushInterval.toNanos(),
            flushInterval.toNanos(), TimeUnit.NANOSECONDS));
      }
      return this;
    }
  }

  /**
   * Reads every signal (and the advice) once and buffers the datums. Never throws, never waits.
   *
   * @return the number of datums buffered
   */
  public int sample() {
    Instant now = wallClock.instant();
    List<MetricDatum> batch = new ArrayList<>();
    for (Signal s : signals) {
      double v = s.read();
      if (!Double.isNaN(v)) {
        add(batch, s.name(), v, unit(s.unit()), now);
      }
    }
    if (advisor != null) {
      try {
        ReplicaAdvice a = advisor.latest();
        add(batch, "desired-replicas", a.desiredReplicas(), StandardUnit.COUNT, now);
      } catch (RuntimeException e) {
        lastFailure = e;
      }
    }
    synchronized (buffer) {
      for (MetricDatum d : batch) {
        if (buffer.size() >= capacity) {
          buffer.pollFirst();
          droppedOverflow.increment();
        }
        buffer.addLast(d);
      }
    }
    return batch.size();
  }

  private void add(List<MetricDatum> batch, String name, double value, StandardUnit unit,
      Instant now) {
    batch.add(datum(name, value, unit, now, dimensions));
    if (rolledUp != null) {
      batch.add(datum(name, value, unit, now, rolledUp));
    }
  }

  private MetricDatum datum(String name, double value, StandardUnit unit, Instant now,
      List<Dimension> dims) {
    MetricDatum.Builder d = MetricDatum.builder().metricName(name).value(value).unit(unit)
        .timestamp(now).dimensions(dims);
    if (highResolution) {
      d.storageResolution(1);
    }
    return d.build();
  }

  /** Maps a signal's unit to CloudWatch's closed list. */
  static StandardUnit unit(String unit) {
    String u = unit.toLowerCase(Locale.ROOT);
    if (u.equals("ratio") || u.equals("none")) {
      return StandardUnit.NONE;
    }
    if (u.equals("percent") || u.equals("%")) {
      return StandardUnit.PERCENT;
    }
    if (u.equals("seconds") || u.equals("s")) {
      return StandardUnit.SECONDS;
    }
    if (u.equals("bytes")) {
      return StandardUnit.BYTES;
    }
    if (u.endsWith("/s")) {
      return StandardUnit.COUNT_SECOND;
    }
    return StandardUnit.COUNT;
  }

  /**
   * Sends what is buffered now, in batches, one request at a time. Returns at once; the future
   * completes when every batch has been sent or dropped. A call while a flush is running joins
   * nothing and returns a completed future (the running flush goes on with newer datums).
   *
   * @return completes when this flush is over; never completes exceptionally
   */
  public CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!flushing.compareAndSet(false, true)) {
      done.complete(null);
      return done;
    }
    int budget;
    synchronized (buffer) {
      budget = buffer.size();
    }
    sendNext(budget, done);
    return done;
  }

  private void sendNext(int remaining, CompletableFuture<Void> done) {
    List<MetricDatum> batch = take(Math.min(remaining, MAX_DATUMS_PER_REQUEST));
    if (batch.isEmpty() || remaining <= 0) {
      flushing.set(false);
      done.complete(null);
      return;
    }
    attempt(batch, 1).whenComplete((ok, e) -> sendNext(remaining - batch.size(), done));
  }

  private List<MetricDatum> take(int max) {
    List<MetricDatum> batch = new ArrayList<>(Math.max(0, max));
    long bytes = 200 + namespace.length();
    synchronized (buffer) {
      while (batch.size() < max && !buffer.isEmpty()) {
        long size = estimate(buffer.peekFirst());
        if (!batch.isEmpty() && bytes + size > MAX_REQUEST_BYTES) {
          break;
        }
        bytes += size;
        batch.add(buffer.pollFirst());
      }
    }
    return batch;
  }

  /** A generous estimate of one datum's share of a request in either wire protocol. */
  static long estimate(MetricDatum d) {
    long size = 160 + 3L * d.metricName().getBytes(StandardCharsets.UTF_8).length;
    for (Dimension dim : d.dimensions()) {
      size += 80 + 3L * (dim.name().getBytes(StandardCharsets.UTF_8).length
          + dim.value().getBytes(StandardCharsets.UTF_8).length);
    }
    return size;
  }

  private CompletableFuture<Void> attempt(List<MetricDatum> batch, int attempt) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    PutMetricDataRequest request = PutMetricDataRequest.builder().namespace(namespace)
        .metricData(batch).overrideConfiguration(o -> o.apiCallTimeout(requestTimeout))
        .build();
    CompletableFuture<?> call;
    try {
      call = client.putMetricData(request);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((response, error) -> {
      if (error == null) {
        requestsOk.increment();
        sent.add(batch.size());
        result.complete(null);
        return;
      }
      requestsFailed.increment();
      lastFailure = error;
      if (attempt >= maxAttempts || isClosed()) {
        droppedFailed.add(batch.size());
        result.complete(null);
        return;
      }
      long delay = backoff.toNanos() << Math.min(attempt - 1, 20);
      try {
        scheduler.schedule(() -> attempt(batch, attempt + 1).whenComplete((x, y) ->
            result.complete(null)), delay, TimeUnit.NANOSECONDS);
      } catch (RuntimeException shutDown) {
        droppedFailed.add(batch.size());
        result.complete(null);
      }
    });
    return result;
  }

  private boolean isClosed() {
    synchronized (lifecycle) {
      return closed;
    }
  }

  /**
   * Returns the datums waiting in the buffer.
   *
   * @return the count
   */
  public int buffered() {
    synchronized (buffer) {
      return buffer.size();
    }
  }

  /**
   * Returns the datums CloudWatch accepted.
   *
   * @return the count
   */
  public long sentCount() {
    return sent.sum();
  }

  /**
   * Returns the datums dropped because the buffer was full (the oldest go first).
   *
   * @return the count
   */
  public long droppedOverflowCount() {
    return droppedOverflow.sum();
  }

  /**
   * Returns the datums dropped because their request failed {@code maxAttempts} times.
   *
   * @return the count
   */
  public long droppedFailedCount() {
    return droppedFailed.sum();
  }

  /**
   * Returns the requests that failed (every attempt counts).
   *
   * @return the count
   */
  public long failedRequestCount() {
    return requestsFailed.sum();
  }

  /**
   * Returns the requests CloudWatch accepted.
   *
   * @return the count
   */
  public long successfulRequestCount() {
    return requestsOk.sum();
  }

  /**
   * Returns the last failure.
   *
   * @return the error, or null if nothing failed
   */
  public Throwable lastFailure() {
    return lastFailure;
  }

  /**
   * Returns the dimensions every datum carries.
   *
   * @return the dimensions
   */
  public List<Dimension> dimensions() {
    return dimensions;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    MeterId datums = MeterId.of("headroom.aws.cloudwatch.datums").tag("namespace", namespace)
        .description("Datums sent to CloudWatch or dropped");
    sink.counter(datums.tag("outcome", "sent"), sent::sum);
    sink.counter(datums.tag("outcome", "dropped_overflow"), droppedOverflow::sum);
    sink.counter(datums.tag("outcome", "dropped_failed"), droppedFailed::sum);
    MeterId requests = MeterId.of("headroom.aws.cloudwatch.requests")
        .tag("namespace", namespace).description("PutMetricData attempts");
    sink.counter(requests.tag("outcome", "success"), requestsOk::sum);
    sink.counter(requests.tag("outcome", "failure"), requestsFailed::sum);
    sink.gauge(MeterId.of("headroom.aws.cloudwatch.buffered").tag("namespace", namespace)
        .description("Datums waiting to be sent"), this::buffered);
  }

  /**
   * Stops sampling and flushing and shuts down the publisher's own thread. Does not wait for a
   * request in flight and does not send what is buffered (call {@link #flush()} first and wait
   * on it, with a timeout, for a last send). Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      for (ScheduledFuture<?> t : tasks) {
        t.cancel(false);
      }
      if (ownScheduler) {
        scheduler.shutdownNow();
      }
    }
  }

  @Override
  public String toString() {
    return "CloudWatchPublisher[" + namespace + ", " + signals.size() + " signals, "
        + dimensions + "]";
  }

  /**
   * Builds a {@link CloudWatchPublisher}. Each setter validates its argument and may be called
   * once ({@link #signal} once per signal name).
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final CloudWatchAsyncClient client;
    private final String namespace;
    private final Map<String, Signal> signals = new LinkedHashMap<>();
    private ReplicaAdvisor advisor;
    private Map<String, String> dimensions;
    private Boolean rollUp;
    private Boolean highResolution;
    private Duration sampleInterval;
    private Duration flushInterval;
    private int capacity;
    private int maxAttempts;
    private Duration backoff;
    private Duration requestTimeout;
    private Clock wallClock;
    private ScheduledExecutorService scheduler;

    private Builder(CloudWatchAsyncClient client, String namespace) {
      this.client = client;
      this.namespace = namespace;
    }

    /**
     * Publishes a signal.
     *
     * @param signal the signal
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a signal of this name was already added
     */
    public Builder signal(Signal signal) {
      Checks.requireNonNull("signal", signal);
      Checks.requireNotSet(!signals.containsKey(signal.name()), "signal " + signal.name(),
          signals.get(signal.name()));
      signals.put(signal.name(), signal);
      return this;
    }

    /**
     * Publishes an advisor's {@code desired-replicas} and each of its signals.
     *
     * @param value the advisor
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set, or one of its signals was already added
     */
    public Builder advisor(ReplicaAdvisor value) {
      Checks.requireNonNull("advisor", value);
      Checks.requireNotSet(advisor == null, "advisor", advisor);
      advisor = value;
      for (Signal s : value.signals()) {
        signal(s);
      }
      return this;
    }

    /**
     * Sets the dimensions of every datum. Default {@code service} and {@code pod} from the
     * environment ({@link HeadroomMeterBinder#environmentTags}); at most 29.
     *
     * @param value dimension names to values, none blank
     * @return this builder
     * @throws IllegalArgumentException if null, too many, or a name or value is blank
     * @throws IllegalStateException if already set
     */
    public Builder dimensions(Map<String, String> value) {
      Checks.requireNonNull("dimensions", value);
      Checks.requireInRange("dimensions.size()", value.size(), 0, 29);
      value.forEach((k, v) -> {
        Checks.requireNonBlank("dimension name", k);
        Checks.requireNonBlank("dimension " + k, v);
      });
      Checks.requireNotSet(dimensions == null, "dimensions", dimensions);
      dimensions = new LinkedHashMap<>(value);
      return this;
    }

    /**
     * Also sends each datum without the {@code pod} dimension, so one metric covers the fleet.
     * Default true.
     *
     * @param value whether to roll up
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder rollUp(boolean value) {
      Checks.requireNotSet(rollUp == null, "rollUp", rollUp);
      rollUp = value;
      return this;
    }

    /**
     * Stores datums at 1-second resolution (high-resolution custom metrics, billed as such).
     * Default false; when true the default sample interval is 10 s.
     *
     * @param value whether to
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder highResolution(boolean value) {
      Checks.requireNotSet(highResolution == null, "highResolution", highResolution);
      highResolution = value;
      return this;
    }

    /**
     * Sets how often signals are read. Default 60 s (10 s with high resolution).
     *
     * @param value at least 1 s
     * @return this builder
     * @throws IllegalArgumentException if null or below 1 s
     * @throws IllegalStateException if already set
     */
    public Builder sampleInterval(Duration value) {
      Checks.requireNonNull("sampleInterval", value);
      Checks.requireArgument(value.compareTo(Duration.ofSeconds(1)) >= 0, "sampleInterval",
          ">= PT1S", value);
      Checks.requireNotSet(sampleInterval == null, "sampleInterval", sampleInterval);
      sampleInterval = value;
      return this;
    }

    /**
     * Sets how often the buffer is sent. Default 60 s.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder flushInterval(Duration value) {
      Checks.requirePositive("flushInterval", value);
      Checks.requireNotSet(flushInterval == null, "flushInterval", flushInterval);
      flushInterval = value;
      return this;
    }

    /**
     * Sets the buffer's capacity in datums. Default 10,000.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder bufferCapacity(int value) {
      Checks.requirePositive("bufferCapacity", value);
      Checks.requireNotSet(capacity == 0, "bufferCapacity", capacity);
      capacity = value;
      return this;
    }

    /**
     * Sets the attempts per batch, the first included. Default 3.
     *
     * @param value in {@code [1, 10]}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder maxAttempts(int value) {
      Checks.requireInRange("maxAttempts", value, 1, 10);
      Checks.requireNotSet(maxAttempts == 0, "maxAttempts", maxAttempts);
      maxAttempts = value;
      return this;
    }

    /**
     * Sets the wait before the first retry; it doubles for each further one. Default 1 s.
     *
     * @param value {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder backoff(Duration value) {
      Checks.requireNonNegative("backoff", value);
      Checks.requireNotSet(backoff == null, "backoff", backoff);
      backoff = value;
      return this;
    }

    /**
     * Sets the timeout of one attempt, the SDK's own retries included. Default 10 s.
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
     * Sets the clock that timestamps datums. Default {@link Clock#systemUTC()}.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder wallClock(Clock value) {
      Checks.requireNonNull("wallClock", value);
      Checks.requireNotSet(wallClock == null, "wallClock", wallClock);
      wallClock = value;
      return this;
    }

    /**
     * Runs sampling, flushing and retries on your scheduler instead of an own daemon thread
     * (which {@link CloudWatchPublisher#close()} then leaves running).
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
     * Builds the publisher, not yet started.
     *
     * @return the publisher
     * @throws IllegalStateException if there is neither a signal nor an advisor
     */
    public CloudWatchPublisher build() {
      Checks.requireState(!signals.isEmpty() || advisor != null,
          "signals or advisor must be set");
      return new CloudWatchPublisher(this);
    }
  }
}
