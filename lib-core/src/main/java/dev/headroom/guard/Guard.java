package dev.headroom.guard;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One dependency's call path: a circuit breaker, a concurrency limit and a deadline around each
 * call, with all permit accounting inside. Each component is optional.
 *
 * <pre>{@code
 * Guard guard = Guard.builder("orders-db")
 *     .breaker(BreakerConfig.defaults())
 *     .limit(LimitPolicy.gradient().build())
 *     .deadline(DeadlinePolicy.adaptive().build())
 *     .build();
 * Order o = guard.call(timeout -> dao.find(id, timeout));
 * Order p = guard.call(timeout -> dao.find(id, timeout), error -> Order.unknown(id));
 * CompletionStage<Order> s = guard.stage(timeout -> client.findAsync(id));
 * }</pre>
 *
 * <p><b>Order: breaker, then limit, then deadline, then the call.</b> The breaker comes first
 * because it is the cheapest refusal and because an open breaker should not consume (or even
 * ask for) a concurrency slot: a dependency that is down must not look busy to the limit. The
 * limit comes second, so that a call refused for concurrency gives its breaker permit back with
 * {@code onIgnore} (a refusal says nothing about the dependency's health, and a half-open
 * breaker's probe must not be judged on it). The deadline is fixed last, at admission, so that
 * the latency the guard measures (from its own clock, once, for breaker, limit and estimator
 * alike) is the call's, not the time spent being admitted. A fallback
 * ({@link #call(GuardedCall, Function)}) sees every refusal and every failure.
 *
 * <p><b>Outcomes.</b>
 * <table>
 * <caption>What each completion reports</caption>
 * <tr><th>outcome</th><th>breaker</th><th>limit</th><th>adaptive deadline</th></tr>
 * <tr><td>success</td><td>success</td><td>success, latency</td><td>latency sample</td></tr>
 * <tr><td>timeout</td><td>failure (the breaker's own classification applies to a timeout
 *     exception)</td><td>drop</td><td>-</td></tr>
 * <tr><td>timeout cut by the adaptive deadline below its ceiling</td><td>ignore</td>
 *     <td>ignore</td><td>counted as cut short</td></tr>
 * <tr><td>timeout at the ceiling while the adaptive deadline in force is below it (the
 *     explorer)</td><td>failure</td><td>ignore</td><td>-</td></tr>
 * <tr><td>overload</td><td>ignore</td><td>drop</td><td>-</td></tr>
 * <tr><td>other failure</td><td>failure (the breaker's own classification applies)</td>
 *     <td>ignore</td><td>-</td></tr>
 * <tr><td>ignore</td><td>ignore</td><td>ignore</td><td>-</td></tr>
 * </table>
 * A timeout the adaptive deadline caused below its ceiling is the guard's own decision, not
 * evidence about the dependency: counting it as a breaker failure or a limit drop would let a
 * too-short deadline open the breaker or shrink the limit. The explorer's timeout at the
 * ceiling is a real timeout for the breaker, but the limit does not see it: every other call
 * hung the same way was cut, unseen by the limit, and one hung explorer averaged into a
 * window of 10 ms answers would read as overload (in the project's slow-dependency family
 * this took a limited guard from 58% to 20% of calls served where 40% of calls hang).
 *
 * <p>Thread-safety: safe for concurrent use. No path takes a lock. {@link #call(GuardedCall)}
 * keeps the permit in locals and hands the call a cached {@link Duration}, so it allocates
 * nothing of its own (the limit's permit is the shedder's, which escape analysis removes when
 * the call is inlined); {@link #tryAcquire()} allocates one {@link GuardPermit}, whose
 * completion is a CAS so that a timer and an answer may race to complete it.
 */
public final class Guard implements Instrumented {

  /** The timeout a call gets when the guard has no deadline: about 292 years. */
  public static final Duration NO_DEADLINE = Duration.ofNanos(Long.MAX_VALUE);

  /** What became of a call, as counted by {@link #count(Outcome)}. */
  public enum Outcome {
    /** The call succeeded. */
    SUCCESS,
    /** The call timed out (including cuts by the adaptive deadline). */
    TIMEOUT,
    /** The dependency refused for overload. */
    OVERLOAD,
    /** The call failed otherwise. */
    FAILURE,
    /** The breaker refused the call. */
    REJECTED_BREAKER,
    /** The concurrency limit refused the call. */
    REJECTED_LIMIT,
    /** The call counted for nothing. */
    IGNORED;

    private final String tag = name().toLowerCase(Locale.ROOT);

    /**
     * Returns the metric tag value.
     *
     * @return e.g. {@code "rejected_breaker"}
     */
    public String tag() {
      return tag;
    }
  }

  private static final Outcome[] OUTCOMES = Outcome.values();
  private static final int SUCCESS = Outcome.SUCCESS.ordinal();

  private final String name;
  private final CircuitBreaker breaker;
  private final LoadShedder limit;
  private final DeadlinePolicy deadlinePolicy;
  private final DeadlineEstimator estimator;
  private final long fixedDeadlineNanos;
  private final Duration fixedDeadline;
  private final long ceilingNanos;
  private final Duration ceiling;
  /** The last adaptive deadline handed out as a Duration; see {@link #duration(long)}. */
  private Duration lastDeadline = NO_DEADLINE;
  private final NanoClock clock;
  private final Priority priority;
  private final Predicate<Throwable> timeoutWhen;
  private final Predicate<Throwable> overloadWhen;
  private final LongAdder[] counts = new LongAdder[OUTCOMES.length];
  /**
   * The success counter, or null where a part the guard built itself already counts every
   * success (its limit, else its breaker): the success path then pays no atomic add of its
   * own. A part passed in as an instance may be shared, so it is not counted on.
   */
  private final LongAdder successes;
  private final boolean ownLimit;

  private Guard(Builder b) {
    this.name = b.name;
    this.clock = b.clock;
    if (b.breakerInstance != null) {
      this.breaker = b.breakerInstance;
    } else if (b.breakerConfig != null) {
      this.breaker = CircuitBreaker.builder(name).config(b.breakerConfig).clock(clock).build();
    } else {
      this.breaker = null;
    }
    if (b.limitInstance != null) {
      this.limit = b.limitInstance;
    } else if (b.limitPolicy != null) {
      this.limit = LoadShedder.builder(name).limit(b.limitPolicy).clock(clock).build();
    } else {
      this.limit = null;
    }
    this.deadlinePolicy = b.deadline;
    if (b.deadline == null) {
      this.estimator = null;
      this.fixedDeadlineNanos = Long.MAX_VALUE;
    } else if (b.deadline.isAdaptive()) {
      this.estimator = new DeadlineEstimator(b.deadline, clock);
      this.fixedDeadlineNanos = Long.MAX_VALUE;
    } else {
      this.estimator = null;
      this.fixedDeadlineNanos = b.deadline.fixedDeadline().toNanos();
    }
    this.fixedDeadline = fixedDeadlineNanos == Long.MAX_VALUE ? NO_DEADLINE
        : Duration.ofNanos(fixedDeadlineNanos);
    this.ceilingNanos = estimator != null ? estimator.ceilingNanos() : Long.MAX_VALUE;
    this.ceiling = estimator != null ? Duration.ofNanos(ceilingNanos) : NO_DEADLINE;
    this.priority = b.priority;
    this.timeoutWhen = b.timeoutWhen;
    this.overloadWhen = b.overloadWhen;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
    this.ownLimit = b.limitInstance == null && limit != null;
    boolean ownBreaker = b.breakerInstance == null && breaker != null;
    this.successes = ownLimit || ownBreaker ? null : counts[SUCCESS];
  }

  /**
   * Starts a builder.
   *
   * @param name the dependency's name, used in metrics tags and rejection messages
   * @return a builder
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  public static Builder builder(String name) {
    return new Builder(Checks.requireNonBlank("name", name));
  }

  /**
   * The default {@code timeoutWhen}: an {@link InterruptedIOException} (which includes
   * {@code SocketTimeoutException}), a {@link TimeoutException}, or any exception whose class's
   * simple name ends in {@code "TimeoutException"} (e.g. {@code SQLTimeoutException}), anywhere
   * in the cause chain.
   *
   * @param error the error
   * @return true if it is a timeout
   */
  public static boolean isTimeout(Throwable error) {
    int depth = 0;
    for (Throwable t = error; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t instanceof InterruptedIOException || t instanceof TimeoutException
          || t.getClass().getSimpleName().endsWith("TimeoutException")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static boolean isOverload(Throwable error) {
    return error instanceof RejectedException;
  }

  // ------------------------------------------------------------------------------- permits

  /**
   * Asks to make a call at the default priority.
   *
   * @return an admitted permit to complete, or a refused one
   */
  public GuardPermit tryAcquire() {
    return tryAcquire(priority);
  }

  /**
   * Asks to make a call: breaker, then limit, then the deadline is fixed. Never throws for a
   * refusal.
   *
   * @param priority the call's priority (used by the limit)
   * @return an admitted permit to complete, or a refused one
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public GuardPermit tryAcquire(Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException(Checks.message("priority", "non-null", null));
    }
    long b = 0L;
    if (breaker != null) {
      b = breaker.tryAcquire();
      if (b == CircuitBreaker.REJECTED) {
        counts[Outcome.REJECTED_BREAKER.ordinal()].increment();
        return new GuardPermit(this, b, null, 0L, 0L, Outcome.REJECTED_BREAKER);
      }
    }
    Permit p = null;
    if (limit != null) {
      p = limit.tryAcquire(priority);
      if (!p.isAdmitted()) {
        if (breaker != null) {
          breaker.onIgnore(b);
        }
        counts[Outcome.REJECTED_LIMIT.ordinal()].increment();
        return new GuardPermit(this, b, p, 0L, 0L, Outcome.REJECTED_LIMIT);
      }
    }
    long now = clock.nanoTime();
    long timeout = estimator != null ? estimator.deadlineForCall(now) : fixedDeadlineNanos;
    return new GuardPermit(this, b, p, now, timeout, null);
  }

  void completeSuccess(long b, Permit p, long latency) {
    if (breaker != null) {
      breaker.onSuccess(b, latency);
    }
    if (p != null) {
      p.onSuccess(latency);
    }
    if (estimator != null) {
      estimator.recordSuccess(latency, clock.nanoTime());
    }
    if (successes != null) {
      successes.increment();
    }
  }

  void completeTimeout(long b, Permit p, long latency, long timeoutNanos, Throwable error) {
    if (estimator != null && timeoutNanos < estimator.ceilingNanos()) {
      // The adaptive deadline's own cut: not evidence about the dependency.
      if (breaker != null) {
        breaker.onIgnore(b);
      }
      if (p != null) {
        p.onIgnore();
      }
      estimator.recordCut(timeoutNanos, clock.nanoTime());
    } else {
      if (breaker != null) {
        breaker.onFailure(b, latency, error);
      }
      if (p != null) {
        if (explorer()) {
          p.onIgnore();
        } else {
          p.onDropped(latency);
        }
      }
    }
    counts[Outcome.TIMEOUT.ordinal()].increment();
  }

  /**
   * Whether a call that timed out at the ceiling did so while the adaptive deadline in force is
   * below it: the estimator's explorer (one call per interval given the ceiling to see a slower
   * new normal), or a call admitted before the deadline came down. Every other call would have
   * been cut, and cuts do not count for the limit; neither does this timeout, or one hung
   * explorer in a window of fast answers would read as overload. The breaker still counts it.
   */
  private boolean explorer() {
    return estimator != null && estimator.lastDeadlineNanos() < estimator.ceilingNanos();
  }

  void completeOverload(long b, Permit p, long latency) {
    if (breaker != null) {
      breaker.onIgnore(b);
    }
    if (p != null) {
      p.onDropped(latency);
    }
    counts[Outcome.OVERLOAD.ordinal()].increment();
  }

  void completeFailure(long b, Permit p, long latency, long timeoutNanos, Throwable error) {
    if (error != null && timeoutWhen.test(error)) {
      completeTimeout(b, p, latency, timeoutNanos, error);
    } else if (error != null && overloadWhen.test(error)) {
      completeOverload(b, p, latency);
    } else {
      if (breaker != null) {
        breaker.onFailure(b, latency, error);
      }
      if (p != null) {
        p.onIgnore();
      }
      counts[Outcome.FAILURE.ordinal()].increment();
    }
  }

  void completeIgnore(long b, Permit p) {
    if (breaker != null) {
      breaker.onIgnore(b);
    }
    if (p != null) {
      p.onIgnore();
    }
    counts[Outcome.IGNORED.ordinal()].increment();
  }

  // ------------------------------------------------------------------------------- wrappers

  /**
   * Makes a call at the default priority. The call gets the deadline and must apply it itself.
   *
   * @param <T> the result type
   * @param call the call
   * @return its result
   * @throws RejectedException if the breaker or the limit refused the call
   * @throws Exception whatever the call threw
   */
  public <T> T call(GuardedCall<T> call) throws Exception {
    Checks.requireNonNull("call", call);
    // The parts are kept in locals rather than a GuardPermit, and the limit's admission is its
    // slot API (a long, no permit object): one thread completes them exactly once, so no CAS
    // and no allocation is needed. A limit that would make the call wait, or refuse it, is
    // asked again through its permit API, which says why.
    long b = 0L;
    if (breaker != null) {
      b = breaker.tryAcquire();
      if (b == CircuitBreaker.REJECTED) {
        counts[Outcome.REJECTED_BREAKER.ordinal()].increment();
        throw breaker.rejection();
      }
    }
    long slot = LoadShedder.NO_SLOT;
    Permit p = null;
    if (limit != null) {
      slot = limit.tryAcquireSlot(priority);
      if (slot == LoadShedder.NO_SLOT) {
        p = limit.tryAcquire(priority);
        if (!p.isAdmitted()) {
          if (breaker != null) {
            breaker.onIgnore(b);
          }
          counts[Outcome.REJECTED_LIMIT.ordinal()].increment();
          throw p.toException();
        }
      }
    }
    long start = clock.nanoTime();
    long timeout = estimator != null ? estimator.deadlineForCall(start) : fixedDeadlineNanos;
    T result;
    try {
      result = call.call(duration(timeout));
    } catch (Throwable t) {
      long latency = Math.max(0L, clock.nanoTime() - start);
      if (slot != LoadShedder.NO_SLOT) {
        completeFailure(b, slot, latency, timeout, t);
      } else {
        completeFailure(b, p, latency, timeout, t);
      }
      throw t;
    }
    long latency = Math.max(0L, clock.nanoTime() - start);
    if (breaker != null) {
      breaker.onSuccess(b, latency);
    }
    if (slot != LoadShedder.NO_SLOT) {
      limit.onSlotSuccess(slot, latency);
    } else if (p != null) {
      p.onSuccess(latency);
    }
    if (estimator != null) {
      estimator.recordSuccess(latency, clock.nanoTime());
    }
    if (successes != null) {
      successes.increment();
    }
    return result;
  }

  /** {@link #completeFailure(long, Permit, long, long, Throwable)} for a limit slot. */
  private void completeFailure(long b, long slot, long latency, long timeoutNanos,
      Throwable error) {
    if (error != null && timeoutWhen.test(error)) {
      if (estimator != null && timeoutNanos < estimator.ceilingNanos()) {
        if (breaker != null) {
          breaker.onIgnore(b);
        }
        limit.onSlotIgnore(slot);
        estimator.recordCut(timeoutNanos, clock.nanoTime());
      } else {
        if (breaker != null) {
          breaker.onFailure(b, latency, error);
        }
        if (explorer()) {
          limit.onSlotIgnore(slot);
        } else {
          limit.onSlotDropped(slot, latency);
        }
      }
      counts[Outcome.TIMEOUT.ordinal()].increment();
    } else if (error != null && overloadWhen.test(error)) {
      if (breaker != null) {
        breaker.onIgnore(b);
      }
      limit.onSlotDropped(slot, latency);
      counts[Outcome.OVERLOAD.ordinal()].increment();
    } else {
      if (breaker != null) {
        breaker.onFailure(b, latency, error);
      }
      limit.onSlotIgnore(slot);
      counts[Outcome.FAILURE.ordinal()].increment();
    }
  }

  /**
   * The deadline as a {@link Duration}, without allocating in the common case: the fixed
   * deadline and the ceiling are built once, and the adaptive deadline, which changes at most
   * every 100 ms, is cached. Benign race: two threads may both build and store an equal
   * Duration; a Duration is immutable (final fields), so a racy read sees a complete one.
   */
  Duration duration(long nanos) {
    if (nanos == Long.MAX_VALUE) {
      return NO_DEADLINE;
    }
    if (nanos == fixedDeadlineNanos) {
      return fixedDeadline;
    }
    if (nanos == ceilingNanos) {
      return ceiling;
    }
    Duration cached = lastDeadline;
    if (cached.toNanos() == nanos) {
      return cached;
    }
    Duration d = Duration.ofNanos(nanos);
    lastDeadline = d;
    return d;
  }

  /**
   * Makes a call at the default priority, answering with {@code fallback} on a refusal or a
   * failure. Errors ({@link Error}) are recorded and rethrown, not given to the fallback.
   *
   * @param <T> the result type
   * @param call the call
   * @param fallback gets the {@link RejectedException} or the call's exception
   * @return the call's result or the fallback's
   */
  public <T> T call(GuardedCall<T> call, Function<Throwable, T> fallback) {
    Checks.requireNonNull("call", call);
    Checks.requireNonNull("fallback", fallback);
    try {
      return call(call);
    } catch (Exception e) {
      // A refusal by the guard, or the call's exception, already recorded by call(call).
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return fallback.apply(e);
    }
  }

  /**
   * Starts an asynchronous call at the default priority and enforces the deadline: when it
   * passes first, the returned stage completes exceptionally with a {@link TimeoutException},
   * the permit is completed as a timeout and the inner future is cancelled. A refusal is a
   * stage failed with the {@link RejectedException}.
   *
   * @param <T> the result type
   * @param call starts the call; gets the deadline in force
   * @return a stage with the call's result
   */
  public <T> CompletionStage<T> stage(Function<Duration, ? extends CompletionStage<T>> call) {
    Checks.requireNonNull("call", call);
    GuardPermit permit = tryAcquire(priority);
    if (!permit.isAdmitted()) {
      return CompletableFuture.failedFuture(permit.rejection());
    }
    CompletionStage<T> inner;
    try {
      inner = call.apply(permit.timeout());
    } catch (Throwable t) {
      permit.onFailure(t);
      return CompletableFuture.failedFuture(t);
    }
    if (inner == null) {
      NullPointerException e = new NullPointerException("call returned a null stage");
      permit.onFailure(e);
      return CompletableFuture.failedFuture(e);
    }
    // Whoever wins the permit (the timer or the answer) records the outcome first and then
    // completes the returned stage, so a caller that sees the stage done sees the accounting.
    CompletableFuture<T> result = new CompletableFuture<>();
    long timeout = permit.timeoutNanos();
    if (timeout != Long.MAX_VALUE) {
      CompletableFuture.delayedExecutor(timeout, TimeUnit.NANOSECONDS).execute(() -> {
        if (permit.timeOut()) {
          // Cancel first: a caller that sees the stage fail sees the inner future cancelled.
          // The cancellation's own completion loses the permit and leaves the stage alone.
          cancel(inner);
          result.completeExceptionally(new TimeoutException(
              "guard '" + name + "': no answer within " + Duration.ofNanos(timeout)));
        }
      });
    }
    inner.whenComplete((value, error) -> {
      if (error == null) {
        if (permit.succeed()) {
          result.complete(value);
        }
      } else {
        Throwable cause = unwrap(error);
        if (permit.fail(cause)) {
          result.completeExceptionally(cause);
        }
      }
    });
    return result;
  }

  private static void cancel(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().cancel(true);
    } catch (UnsupportedOperationException e) {
      // A stage that cannot be viewed as a future cannot be cancelled either: let it run.
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ------------------------------------------------------------------------------- state

  /**
   * Returns the guard's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the breaker, or null if the guard has none.
   *
   * @return the breaker or null
   */
  public CircuitBreaker breaker() {
    return breaker;
  }

  /**
   * Returns the concurrency limit, or null if the guard has none.
   *
   * @return the shedder or null
   */
  public LoadShedder limit() {
    return limit;
  }

  /**
   * Returns the deadline policy, or null if the guard has none.
   *
   * @return the policy or null
   */
  public DeadlinePolicy deadlinePolicy() {
    return deadlinePolicy;
  }

  /**
   * Returns the deadline in force (an explorer call may get the ceiling instead). An adaptive
   * deadline is returned as last recomputed (calls recompute it at most once per 100 ms):
   * reading it, from a gauge or a log line, never changes when the guard recomputes, so a
   * metrics scrape cannot change what the guard does.
   *
   * @return the deadline, or {@link #NO_DEADLINE}
   */
  public Duration deadline() {
    if (estimator != null) {
      return Duration.ofNanos(estimator.lastDeadlineNanos());
    }
    return fixedDeadline;
  }

  /**
   * Returns how many calls ended with an outcome. Successes are read from the limit the guard
   * built, else from the breaker it built, which count each success already (the success path
   * then pays no add of the guard's own); a limit or breaker passed to the builder may be
   * shared with other callers, so with those the guard counts its successes itself. A success
   * reported directly on the {@link #limit()} or {@link #breaker()} the guard built is
   * therefore counted as this guard's.
   *
   * @param outcome the outcome
   * @return the count since the guard was built
   * @throws IllegalArgumentException if {@code outcome} is null
   */
  public long count(Outcome outcome) {
    Checks.requireNonNull("outcome", outcome);
    if (outcome == Outcome.SUCCESS && successes == null) {
      return ownLimit ? limit.successCount() : breaker.successCount() + breaker.slowCount();
    }
    return counts[outcome.ordinal()].sum();
  }

  NanoClock clock() {
    return clock;
  }

  /**
   * Describes {@code headroom.guard.calls{outcome}}, {@code headroom.guard.deadline} (ms, when a
   * deadline is set), {@code headroom.guard.limit} (when a limit is set), and the breaker's and
   * the limit's own meters.
   *
   * @param sink receives the meters
   */
  @Override
  public void describeMeters(MeterSink sink) {
    MeterId calls = MeterId.of("headroom.guard.calls").tag("name", name)
        .description("Calls through the guard by outcome");
    for (Outcome o : OUTCOMES) {
      sink.counter(calls.tag("outcome", o.tag()), () -> count(o));
    }
    if (deadlinePolicy != null) {
      sink.gauge(MeterId.of("headroom.guard.deadline").tag("name", name)
          .baseUnit("milliseconds").description("Deadline in force"),
          () -> deadline().toNanos() / 1e6);
    }
    if (limit != null) {
      sink.gauge(MeterId.of("headroom.guard.limit").tag("name", name)
          .description("Concurrency limit in force"), () -> limit.limit());
    }
    if (breaker != null) {
      breaker.describeMeters(sink);
    }
    if (limit != null) {
      limit.describeMeters(sink);
    }
  }

  @Override
  public String toString() {
    return "Guard[" + name + (breaker != null ? ", " + breaker.state() : "")
        + (limit != null ? ", limit " + limit.limit() : "")
        + (deadlinePolicy != null ? ", deadline " + deadline() : "") + "]";
  }

  /** Builds a {@link Guard}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private BreakerConfig breakerConfig;
    private CircuitBreaker breakerInstance;
    private LimitPolicy limitPolicy;
    private LoadShedder limitInstance;
    private DeadlinePolicy deadline;
    private NanoClock clock = NanoClock.coarse();
    private boolean clockSet;
    private Priority priority = Priority.HIGH;
    private Predicate<Throwable> timeoutWhen = Guard::isTimeout;
    private Predicate<Throwable> overloadWhen = Guard::isOverload;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Adds a breaker built from a config with the guard's name and clock.
     *
     * @param config the config
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a breaker was already set
     */
    public Builder breaker(BreakerConfig config) {
      Checks.requireNonNull("breaker", config);
      requireNoBreaker();
      this.breakerConfig = config;
      return this;
    }

    /**
     * Uses an existing breaker (with its own clock).
     *
     * @param instance the breaker
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a breaker was already set
     */
    public Builder breaker(CircuitBreaker instance) {
      Checks.requireNonNull("breaker", instance);
      requireNoBreaker();
      this.breakerInstance = instance;
      return this;
    }

    private void requireNoBreaker() {
      Checks.requireNotSet(breakerConfig == null && breakerInstance == null, "breaker",
          breakerConfig != null ? breakerConfig : breakerInstance);
    }

    /**
     * Adds a concurrency limit (a {@link LoadShedder}) with the guard's name and clock.
     *
     * @param policy the limit policy
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a limit was already set
     */
    public Builder limit(LimitPolicy policy) {
      Checks.requireNonNull("limit", policy);
      requireNoLimit();
      this.limitPolicy = policy;
      return this;
    }

    /**
     * Uses an existing shedder as the concurrency limit (with its own clock).
     *
     * @param instance the shedder
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a limit was already set
     */
    public Builder limit(LoadShedder instance) {
      Checks.requireNonNull("limit", instance);
      requireNoLimit();
      this.limitInstance = instance;
      return this;
    }

    private void requireNoLimit() {
      Checks.requireNotSet(limitPolicy == null && limitInstance == null, "limit",
          limitPolicy != null ? limitPolicy : limitInstance);
    }

    /**
     * Adds a deadline.
     *
     * @param policy fixed or adaptive
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a deadline was already set
     */
    public Builder deadline(DeadlinePolicy policy) {
      Checks.requireNonNull("deadline", policy);
      Checks.requireNotSet(deadline == null, "deadline", deadline);
      this.deadline = policy;
      return this;
    }

    /**
     * Sets the clock used for latency, the deadline estimator and components built here
     * (default {@link NanoClock#coarse()}: a volatile load per read, about 1 ms resolution,
     * the same clock the breaker and the limit use by default; {@link NanoClock#system()}
     * costs about 25 ns a read, and the guard reads the clock twice per call).
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a clock was already set
     */
    public Builder clock(NanoClock value) {
      Checks.requireNonNull("clock", value);
      Checks.requireNotSet(!clockSet, "clock", clock);
      this.clock = value;
      this.clockSet = true;
      return this;
    }

    /**
     * Sets the priority of {@link Guard#call}, {@link Guard#stage} and
     * {@link Guard#tryAcquire()}; {@code HIGH} by default.
     *
     * @param value the priority
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder priority(Priority value) {
      this.priority = Checks.requireNonNull("priority", value);
      return this;
    }

    /**
     * Sets which errors are timeouts; {@link Guard#isTimeout} by default.
     *
     * @param predicate the classifier
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder timeoutWhen(Predicate<Throwable> predicate) {
      this.timeoutWhen = Checks.requireNonNull("timeoutWhen", predicate);
      return this;
    }

    /**
     * Sets which errors are the dependency refusing for overload; by default any
     * {@link RejectedException} (a downstream Headroom refusal).
     *
     * @param predicate the classifier
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder overloadWhen(Predicate<Throwable> predicate) {
      this.overloadWhen = Checks.requireNonNull("overloadWhen", predicate);
      return this;
    }

    /**
     * Builds the guard.
     *
     * @return the guard
     */
    public Guard build() {
      return new Guard(this);
    }
  }
}
