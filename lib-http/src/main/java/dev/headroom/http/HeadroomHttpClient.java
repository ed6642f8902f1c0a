package dev.headroom.http;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.cache.CacheLoadException;
import dev.headroom.cache.HeadroomCache;
import dev.headroom.cache.Lookup;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import dev.headroom.shed.LimitPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link HttpClient} with one {@link Guard} per dependency (host or route): breaker,
 * concurrency limit and adaptive deadline around every attempt, retries bounded by a
 * {@link RetryBudget}, {@code Retry-After} honoured, optional hedging and an optional stale
 * fallback through a {@link HeadroomCache}.
 *
 * <pre>{@code
 * HeadroomHttpClient client = HeadroomHttpClient.builder(HttpClient.newHttpClient())
 *     .deadlineCeiling(Duration.ofSeconds(2))
 *     .retry(RetryPolicy.defaults())
 *     .build();
 * HttpResponse<String> r = client.send(request, BodyHandlers.ofString());
 * }</pre>
 *
 * <p><b>Order of one call</b>, outermost first: stale fallback (only {@link #sendCached}) ->
 * retry loop (budget, back-off or Retry-After, hedge) -> guard (breaker, limit, deadline) ->
 * the exchange. Each attempt takes its own guard permit, so a retry is judged by the breaker
 * and the limit like any call, and the deadline in force becomes the attempt's request timeout
 * (the smaller of it and a timeout the request already carries): when it passes, the JDK client
 * cancels the exchange and closes its connection, so a hung server holds no connection.
 *
 * <p><b>How an attempt is reported to its guard</b>:
 * <table>
 * <caption>Attempt outcomes</caption>
 * <tr><th>answer</th><th>guard permit</th><th>retry budget</th><th>retried?</th></tr>
 * <tr><td>2xx, 3xx, 4xx other than 429</td><td>success</td><td>success</td><td>no</td></tr>
 * <tr><td>429, or 503 with Retry-After</td><td>overload: the limit backs off, the breaker is
 *     not fed</td><td>failure</td><td>yes, if idempotent</td></tr>
 * <tr><td>other 5xx</td><td>failure ({@link HttpStatusException})</td><td>failure</td>
 *     <td>502, 503, 504 if idempotent</td></tr>
 * <tr><td>request timeout</td><td>timeout</td><td>failure</td><td>yes, if idempotent</td></tr>
 * <tr><td>other I/O error</td><td>failure</td><td>failure</td><td>yes, if idempotent</td></tr>
 * <tr><td>refused by the guard</td><td>-</td><td>-</td><td>no: the caller gets the
 *     previous attempt's answer, or the {@link RejectedException}</td></tr>
 * </table>
 * A response that is not handed to the caller has its body closed when the body is
 * {@link AutoCloseable} (an {@code InputStream}, a {@code Stream}), so it holds no connection.
 *
 * <p><b>Registry.</b> Guards are kept per key, the request URI's authority by default
 * ({@code host:port} as written), or a route from {@link Builder#key}. At most
 * {@link Builder#maxDependencies} guards are made; requests for further keys share one guard
 * named {@code "overflow"}, counted by {@code headroom.http.client.overflow}, so a client that
 * follows links to arbitrary hosts cannot grow without bound.
 *
 * <p><b>Meters</b> (tag {@code name} = the dependency): {@code headroom.http.client.calls}
 * (by {@code outcome}: success, client_error, server_error, overload, timeout, io_error,
 * rejected), {@code headroom.http.client.latency} (timer of whole calls, retries included),
 * {@code headroom.http.client.retries}, {@code headroom.http.client.hedges},
 * {@code headroom.http.client.budget_exhausted}, {@code headroom.http.client.retry_after} (by
 * {@code kind}: valid, past, negative, malformed, too_long), {@code headroom.http.client.stale},
 * plus each guard's ({@code headroom.guard.deadline} is the deadline in force) and each
 * budget's.
 *
 * <p>Thread-safety: safe for concurrent use. The call path takes no lock; it allocates the
 * request copy that carries the timeout and what the JDK client allocates.
 */
public final class HeadroomHttpClient implements Instrumented {

  /** What became of a call, as counted in {@code headroom.http.client.calls}. */
  public enum Outcome {
    /** A 1xx, 2xx or 3xx answer. */
    SUCCESS,
    /** A 4xx answer other than 429: the dependency is healthy, the request was not. */
    CLIENT_ERROR,
    /** A 5xx answer other than an overload refusal. */
    SERVER_ERROR,
    /** A 429, or a 503 with Retry-After. */
    OVERLOAD,
    /** The deadline passed. */
    TIMEOUT,
    /** Another I/O error (connection refused or reset). */
    IO_ERROR,
    /** The guard refused the call before anything was sent. */
    REJECTED;

    private final String tag = name().toLowerCase(Locale.ROOT);

    /**
     * Returns the metric tag value.
     *
     * @return e.g. {@code "server_error"}
     */
    public String tag() {
      return tag;
    }
  }

  private static final Outcome[] OUTCOMES = Outcome.values();
  static final String OVERFLOW = "overflow";

  private final HttpClient client;
  private final Function<HttpRequest, String> keyOf;
  private final Function<String, Guard> guards;
  private final Function<String, RetryBudget> budgets;
  private final RetryPolicy retry;
  private final int maxDependencies;
  private final Clock wallClock;
  private final NanoClock clock;
  private final long maxRetryAfterNanos;
  private final ConcurrentHashMap<String, Dependency> dependencies = new ConcurrentHashMap<>();
  private final AtomicInteger created = new AtomicInteger();
  private final LongAdder overflowed = new LongAdder();
  private volatile Dependency overflow;
  private final Consumer<String> newDependency;

  private HeadroomHttpClient(Builder b) {
    this.client = b.client;
    this.keyOf = b.keyOf;
    Duration ceiling = b.deadlineCeiling;
    // No limit unless configured; see Builder#limit for the measurement behind this default.
    LimitPolicy limit = b.limit;
    this.guards = b.guards != null ? b.guards : name -> {
      Guard.Builder g = Guard.builder(name).breaker(BreakerConfig.defaults())
          .deadline(DeadlinePolicy.adaptive().ceiling(ceiling).build());
      if (limit != null) {
        g.limit(limit);
      }
      return g.build();
    };
    this.budgets = b.budgets;
    this.retry = b.retry;
    this.maxDependencies = b.maxDependencies;
    this.wallClock = b.wallClock;
    this.clock = b.clock;
    this.maxRetryAfterNanos = retry.maxRetryAfter().toNanos();
    this.newDependency = b.newDependency;
  }

  /**
   * Starts a builder around a JDK client.
   *
   * @param client the client that makes the exchanges
   * @return a builder
   * @throws IllegalArgumentException if {@code client} is null
   */
  public static Builder builder(HttpClient client) {
    return new Builder(Checks.requireNonNull("client", client));
  }

  // ------------------------------------------------------------------------------ registry

  Dependency dependency(HttpRequest request) {
    String key = keyOf.apply(request);
    if (key == null) {
      key = OVERFLOW;
    }
    Dependency d = dependencies.get(key);
    if (d != null) {
      return d;
    }
    // The slow path: a key not seen yet, or one the full registry sends to the overflow guard.
    Dependency[] made = new Dependency[1];
    d = dependencies.computeIfAbsent(key, k -> {
      if (created.incrementAndGet() > maxDependencies) {
        created.decrementAndGet();
        return null;
      }
      made[0] = new Dependency(k, guard(k), budget(k));
      return made[0];
    });
    if (d != null) {
      if (made[0] != null) {
        newDependency.accept(d.name); // once per key: only the thread that created it gets here
      }
      return d;
    }
    overflowed.increment();
    Dependency o = overflow;
    if (o == null) {
      boolean first = false;
      synchronized (this) {
        // Once, when the registry first overflows; never on the steady path.
        o = overflow;
        if (o == null) {
          o = new Dependency(OVERFLOW, guard(OVERFLOW), budget(OVERFLOW));
          overflow = o;
          first = true;
        }
      }
      if (first) {
        newDependency.accept(OVERFLOW);
      }
    }
    return o;
  }

  /**
   * Returns every dependency's guard, by dependency name (the overflow guard as
   * {@code "overflow"}, once the registry has overflowed): a snapshot, in no particular order.
   *
   * @return the guards
   */
  public Map<String, Guard> guards() {
    Map<String, Guard> out = new TreeMap<>();
    dependencies.forEach((name, d) -> out.put(name, d.guard));
    Dependency o = overflow;
    if (o != null) {
      out.put(OVERFLOW, o.guard);
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Returns the retry policy.
   *
   * @return the policy
   */
  public RetryPolicy retryPolicy() {
    return retry;
  }

  /**
   * Returns the most guards the registry makes before requests share the overflow guard.
   *
   * @return the maximum
   */
  public int maxDependencies() {
    return maxDependencies;
  }

  private Guard guard(String name) {
    Guard g = guards.apply(name);
    Checks.requireState(g != null, "guard factory returned null for " + name);
    return g;
  }

  private RetryBudget budget(String name) {
    RetryBudget b = budgets.apply(name);
    Checks.requireState(b != null, "retry budget factory returned null for " + name);
    return b;
  }

  /**
   * Returns the guard of the dependency a request goes to (creating it if needed).
   *
   * @param request a request
   * @return its guard
   * @throws IllegalArgumentException if {@code request} is null
   */
  public Guard guardFor(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).guard;
  }

  /**
   * Returns the retry budget of the dependency a request goes to (creating it if needed).
   *
   * @param request a request
   * @return its budget
   * @throws IllegalArgumentException if {@code request} is null
   */
  public RetryBudget budgetFor(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).budget;
  }

  /**
   * Returns how many calls to a dependency ended with an outcome.
   *
   * @param request a request to the dependency
   * @param outcome the outcome
   * @return the count
   * @throws IllegalArgumentException if either is null
   */
  public long count(HttpRequest request, Outcome outcome) {
    Checks.requireNonNull("outcome", outcome);
    return dependency(Checks.requireNonNull("request", request)).calls[outcome.ordinal()].sum();
  }

  /**
   * Returns how many retries (hedges excluded) were sent to a dependency.
   *
   * @param request a request to the dependency
   * @return the count
   * @throws IllegalArgumentException if {@code request} is null
   */
  public long retries(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).retries.sum();
  }

  /**
   * Returns how many hedged requests were sent to a dependency.
   *
   * @param request a request to the dependency
   * @return the count
   * @throws IllegalArgumentException if {@code request} is null
   */
  public long hedges(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).hedges.sum();
  }

  /**
   * Returns how many retries or hedges a dependency's budget refused.
   *
   * @param request a request to the dependency
   * @return the count
   * @throws IllegalArgumentException if {@code request} is null
   */
  public long budgetExhausted(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).exhausted.sum();
  }

  /**
   * Returns how many {@code Retry-After} values of a kind a dependency sent.
   *
   * @param request a request to the dependency
   * @param kind the kind
   * @return the count
   * @throws IllegalArgumentException if either is null
   */
  public long retryAfter(HttpRequest request, RetryAfter.Kind kind) {
    Checks.requireNonNull("kind", kind);
    return dependency(Checks.requireNonNull("request", request))
        .retryAfter[kind.ordinal()].sum();
  }

  /**
   * Returns how many stale responses {@link #sendCached} served for a dependency.
   *
   * @param request a request to the dependency
   * @return the count
   * @throws IllegalArgumentException if {@code request} is null
   */
  public long staleServed(HttpRequest request) {
    return dependency(Checks.requireNonNull("request", request)).stale.sum();
  }

  /**
   * Returns how many requests went to the shared overflow guard because the registry was full.
   *
   * @return the count
   */
  public long overflowed() {
    return overflowed.sum();
  }

  /**
   * Returns the wrapped JDK client.
   *
   * @return the client
   */
  public HttpClient httpClient() {
    return client;
  }

  // ------------------------------------------------------------------------------ sync

  /**
   * Sends a request and waits for the answer, with guard, retries and deadline as described
   * in the class comment. With hedging on and an idempotent request, the call runs through
   * {@link #sendAsync} and this thread waits for it.
   *
   * @param <T> the body type
   * @param request the request
   * @param handler the body handler
   * @return the response handed to the caller (the last one when retries ran out)
   * @throws IOException the last attempt's I/O error ({@link HttpTimeoutException} when the
   *     deadline passed)
   * @throws InterruptedException if interrupted while waiting; the exchange is abandoned
   * @throws RejectedException if the guard refused the first attempt
   * @throws IllegalArgumentException if an argument is null
   */
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Checks.requireNonNull("request", request);
    Checks.requireNonNull("handler", handler);
    boolean idempotent = isIdempotent(request);
    if (retry.hedgeAfter() != null && idempotent) {
      return await(sendAsync(request, handler));
    }
    Dependency d = dependency(request);
    boolean mayRetry = retry.maxAttempts() > 1 && (idempotent || retry.retryNonIdempotent());
    long start = clock.nanoTime();
    d.budget.onRequest();
    HttpResponse<T> last = null;
    IOException lastError = null;
    Outcome lastOutcome = null;
    for (int attempt = 1; ; attempt++) {
      GuardPermit permit = d.guard.tryAcquire();
      if (!permit.isAdmitted()) {
        RejectedException rejection = permit.rejection();
        if (last != null) {
          d.record(lastOutcome, clock.nanoTime() - start);
          return last;
        }
        if (lastError != null) {
          lastError.addSuppressed(rejection);
          d.record(lastOutcome, clock.nanoTime() - start);
          throw lastError;
        }
        d.record(Outcome.REJECTED, clock.nanoTime() - start);
        throw rejection;
      }
      HttpResponse<T> response = null;
      IOException error = null;
      Outcome outcome;
      try {
        response = client.send(withTimeout(request, permit.timeoutNanos()), handler);
        outcome = judge(d, permit, response);
      } catch (HttpTimeoutException e) {
        permit.onTimeout();
        d.budget.onFailure();
        error = e;
        outcome = Outcome.TIMEOUT;
      } catch (IOException e) {
        permit.onFailure(e);
        d.budget.onFailure();
        error = e;
        outcome = Outcome.IO_ERROR;
      } catch (InterruptedException e) {
        permit.onIgnore();
        throw e;
      } catch (RuntimeException | Error e) {
        permit.onFailure(e);
        throw e;
      }
      closeQuietly(last);
      last = response;
      lastError = error;
      lastOutcome = outcome;
      long wait = mayRetry && attempt < retry.maxAttempts()
          ? retryWait(d, response, error != null, attempt) : -1L;
      if (wait >= 0 && !d.budget.tryRetry()) {
        d.exhausted.increment();
        wait = -1L;
      }
      if (wait < 0) {
        d.record(outcome, clock.nanoTime() - start);
        if (error != null) {
          throw error;
        }
        return response;
      }
      closeQuietly(last);
      last = null;
      d.retries.increment();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }
  }

  private static <T> T await(CompletableFuture<T> future)
      throws IOException, InterruptedException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IOException(cause);
    }
  }

  /** Reports a response to its permit and budget, and reads its Retry-After for the meters. */
  Outcome judge(Dependency d, GuardPermit permit, HttpResponse<?> response) {
    int status = response.statusCode();
    if (status == 429 || status == 503) {
      String ra = response.headers().firstValue("Retry-After").orElse(null);
      if (status == 429 || ra != null) {
        permit.onOverload();
        d.budget.onFailure();
        return Outcome.OVERLOAD;
      }
    }
    if (status >= 500) {
      permit.onFailure(new HttpStatusException(d.name, status));
      d.budget.onFailure();
      return Outcome.SERVER_ERROR;
    }
    permit.onSuccess();
    d.budget.onSuccess();
    return status >= 400 ? Outcome.CLIENT_ERROR : Outcome.SUCCESS;
  }

  /**
   * How long to wait before the next attempt: {@code >= 0} nanoseconds, or -1 for no retry
   * (a status that is not retried, or a Retry-After too long). Counts the Retry-After kind.
   */
  long retryWait(Dependency d, HttpResponse<?> response, boolean failed, int attempt) {
    if (!failed) {
      if (!retry.retriesStatus(response.statusCode())) {
        return -1L;
      }
      String ra = response.headers().firstValue("Retry-After").orElse(null);
      if (ra != null) {
        long w = RetryAfter.waitNanos(ra, maxRetryAfterNanos, wallClock);
        if (RetryAfter.isPast(w)) {
          d.retryAfter[RetryAfter.Kind.PAST.ordinal()].increment();
        } else if (w >= 0) {
          d.retryAfter[RetryAfter.Kind.VALID.ordinal()].increment();
          if (w > 0) {
            return w;
          }
        } else {
          d.retryAfter[(int) -w].increment();
          if (-w == RetryAfter.Kind.TOO_LONG.ordinal()) {
            return -1L;
          }
        }
      }
    }
    return backoff(attempt);
  }

  /** Full jitter: uniform in [0, min(max, base x 2^(attempt - 1))). */
  long backoff(int attempt) {
    long base = retry.baseBackoff().toNanos();
    long cap = retry.maxBackoff().toNanos();
    long ceiling = attempt - 1 >= 62 || base > (cap >> Math.min(62, attempt - 1))
        ? cap : Math.min(cap, base << (attempt - 1));
    return ThreadLocalRandom.current().nextLong(ceiling + 1);
  }

  static HttpRequest withTimeout(HttpRequest request, long timeoutNanos) {
    if (timeoutNanos == Long.MAX_VALUE) {
      return request;
    }
    Duration existing = request.timeout().orElse(null);
    if (existing != null && existing.toNanos() <= timeoutNanos) {
      return request;
    }
    return HttpRequest.newBuilder(request, (name, value) -> true)
        .timeout(Duration.ofNanos(Math.max(1_000_000L, timeoutNanos))).build();
  }

  /**
   * Returns whether a request may be retried without {@code retryNonIdempotent}: its method is
   * GET, HEAD, OPTIONS, TRACE, PUT or DELETE, or it carries an {@code Idempotency-Key} header.
   *
   * @param request the request
   * @return true if idempotent
   */
  public static boolean isIdempotent(HttpRequest request) {
    switch (request.method()) {
      case "GET":
      case "HEAD":
      case "OPTIONS":
      case "TRACE":
      case "PUT":
      case "DELETE":
        return true;
      default:
        return request.headers().firstValue("Idempotency-Key").isPresent();
    }
  }

  static void closeQuietly(HttpResponse<?> response) {
    if (response != null && response.body() instanceof AutoCloseable) {
      try {
        ((AutoCloseable) response.body()).close();
      } catch (Exception e) {
        // The body is being discarded; a failure to close it changes nothing for the caller.
      }
    }
  }

  // ------------------------------------------------------------------------------ async

  /**
   * Sends a request asynchronously, with guard, retries, deadline and (for idempotent
   * requests, when the policy has {@code hedgeAfter}) hedging. Back-off waits run on
   * {@link CompletableFuture#delayedExecutor}; no thread waits. Cancelling the returned future
   * cancels the attempts in flight.
   *
   * @param <T> the body type
   * @param request the request
   * @param handler the body handler
   * @return the response handed to the caller; fails with the last attempt's error, or the
   *     {@link RejectedException} when the guard refused the first attempt
   * @throws IllegalArgumentException if an argument is null
   */
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    Checks.requireNonNull("request", request);
    Checks.requireNonNull("handler", handler);
    boolean idempotent = isIdempotent(request);
    Dependency d = dependency(request);
    AsyncCall<T> call = new AsyncCall<>(this, d, request, handler,
        retry.maxAttempts() > 1 && (idempotent || retry.retryNonIdempotent()),
        idempotent ? retry.hedgeAfter() : null);
    d.budget.onRequest();
    call.round(1);
    return call.result;
  }

  /**
   * One asynchronous call: rounds of one attempt (two when hedged). Within a round,
   * {@code pending} counts attempts still running; the first usable answer completes
   * {@code result} (a CAS inside {@link CompletableFuture#complete}), and the last attempt of a
   * round to fail decides the retry. A hedge joins a round only while {@code pending > 0}
   * (CAS loop), so a round that has ended cannot be joined.
   */
  static final class AsyncCall<T> {
    final HeadroomHttpClient owner;
    final Dependency d;
    final HttpRequest request;
    final HttpResponse.BodyHandler<T> handler;
    final boolean mayRetry;
    final Duration hedgeAfter;
    final long start;
    final CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    final AtomicInteger pending = new AtomicInteger();
    /** Won once by whoever hands the caller its answer: it records, then completes. */
    final java.util.concurrent.atomic.AtomicBoolean won =
        new java.util.concurrent.atomic.AtomicBoolean();
    volatile CompletableFuture<HttpResponse<T>> primary;
    volatile CompletableFuture<HttpResponse<T>> hedge;
    /** The last failed attempt of the round, for the caller when retries end. */
    volatile HttpResponse<T> lastResponse;
    volatile Throwable lastError;
    volatile Outcome lastOutcome;

    AsyncCall(HeadroomHttpClient owner, Dependency d, HttpRequest request,
        HttpResponse.BodyHandler<T> handler, boolean mayRetry, Duration hedgeAfter) {
      this.owner = owner;
      this.d = d;
      this.request = request;
      this.handler = handler;
      this.mayRetry = mayRetry;
      this.hedgeAfter = hedgeAfter;
      this.start = owner.clock.nanoTime();
      result.whenComplete((r, e) -> {
        if (e instanceof CancellationException) {
          cancel(primary);
          cancel(hedge);
        }
      });
    }

    void round(int attempt) {
      pending.set(1);
      hedge = null;
      if (!launch(attempt, false)) {
        return;
      }
      if (hedgeAfter != null) {
        CompletableFuture.delayedExecutor(hedgeAfter.toNanos(), TimeUnit.NANOSECONDS)
            .execute(() -> hedge(attempt));
      }
    }

    private void hedge(int attempt) {
      if (result.isDone()) {
        return;
      }
      int p;
      do {
        p = pending.get();
        if (p == 0) {
          return;
        }
      } while (!pending.compareAndSet(p, p + 1));
      if (!d.budget.tryRetry()) {
        d.exhausted.increment();
        attemptEnded(attempt, null, null, null, false);
        return;
      }
      d.hedges.increment();
      launch(attempt, true);
    }

    /** Starts one attempt; false if the guard refused it (the refusal is then handled). */
    private boolean launch(int attempt, boolean isHedge) {
      GuardPermit permit = d.guard.tryAcquire();
      if (!permit.isAdmitted()) {
        if (isHedge) {
          attemptEnded(attempt, null, null, null, false);
          return false;
        }
        refused(permit.rejection());
        return false;
      }
      CompletableFuture<HttpResponse<T>> f;
      try {
        f = owner.client.sendAsync(withTimeout(request, permit.timeoutNanos()), handler);
      } catch (RuntimeException e) {
        permit.onFailure(e);
        fail(e, Outcome.IO_ERROR);
        return false;
      }
      if (isHedge) {
        hedge = f;
      } else {
        primary = f;
      }
      f.whenComplete((response, error) -> completed(attempt, permit, response, error));
      return true;
    }

    private void completed(int attempt, GuardPermit permit, HttpResponse<T> response,
        Throwable error) {
      Throwable cause = unwrap(error);
      if (cause instanceof CancellationException) {
        permit.onIgnore();
        attemptEnded(attempt, null, null, null, false);
        return;
      }
      Outcome outcome;
      if (cause == null) {
        outcome = owner.judge(d, permit, response);
      } else if (cause instanceof HttpTimeoutException) {
        permit.onTimeout();
        d.budget.onFailure();
        outcome = Outcome.TIMEOUT;
      } else {
        permit.onFailure(cause);
        d.budget.onFailure();
        outcome = cause instanceof IOException ? Outcome.IO_ERROR : Outcome.SERVER_ERROR;
        if (!(cause instanceof IOException)) {
          // Not an exchange failure (a body handler's bug): no retry.
          fail(cause, outcome);
          return;
        }
      }
      boolean usable = cause == null && !owner.retry.retriesStatus(response.statusCode());
      if (usable) {
        if (won.compareAndSet(false, true)) {
          d.record(outcome, owner.clock.nanoTime() - start);
          result.complete(response);
          cancel(primary);
          cancel(hedge);
        } else {
          closeQuietly(response);
        }
        return;
      }
      attemptEnded(attempt, response, cause, outcome, true);
    }

    /** An attempt of the round ended without a usable answer; the last one decides. */
    private void attemptEnded(int attempt, HttpResponse<T> response, Throwable error,
        Outcome outcome, boolean counts) {
      if (counts) {
        HttpResponse<T> previous = lastResponse;
        lastResponse = response;
        lastError = error;
        lastOutcome = outcome;
        if (previous != null && previous != response) {
          closeQuietly(previous);
        }
      }
      if (pending.decrementAndGet() > 0 || result.isDone()) {
        return;
      }
      HttpResponse<T> last = lastResponse;
      Throwable lastErr = lastError;
      if (last == null && lastErr == null) {
        // Only cancelled or refused hedges: nothing to hand over; the primary's answer was
        // recorded before, so this cannot happen unless the caller cancelled.
        return;
      }
      long wait = mayRetry && attempt < owner.retry.maxAttempts()
          ? owner.retryWait(d, last, lastErr != null, attempt) : -1L;
      if (wait >= 0 && !d.budget.tryRetry()) {
        d.exhausted.increment();
        wait = -1L;
      }
      if (wait < 0) {
        finish();
        return;
      }
      closeQuietly(last);
      lastResponse = null;
      lastError = null;
      d.retries.increment();
      CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS)
          .execute(() -> {
            if (!result.isDone()) {
              round(attempt + 1);
            }
          });
    }

    private void finish() {
      HttpResponse<T> last = lastResponse;
      Throwable err = lastError;
      if (!won.compareAndSet(false, true)) {
        closeQuietly(last);
        return;
      }
      d.record(lastOutcome, owner.clock.nanoTime() - start);
      if (err != null) {
        result.completeExceptionally(err);
      } else {
        result.complete(last);
      }
    }

    private void refused(RejectedException rejection) {
      if (lastResponse != null || lastError != null) {
        if (lastError != null) {
          lastError.addSuppressed(rejection);
        }
        finish();
        return;
      }
      if (won.compareAndSet(false, true)) {
        d.record(Outcome.REJECTED, owner.clock.nanoTime() - start);
        result.completeExceptionally(rejection);
      }
    }

    private void fail(Throwable error, Outcome outcome) {
      if (won.compareAndSet(false, true)) {
        d.record(outcome, owner.clock.nanoTime() - start);
        result.completeExceptionally(error);
      }
    }

    private static void cancel(CompletableFuture<?> f) {
      if (f != null && !f.isDone()) {
        f.cancel(true);
      }
    }

    private static Throwable unwrap(Throwable t) {
      while ((t instanceof CompletionException || t instanceof ExecutionException)
          && t.getCause() != null) {
        t = t.getCause();
      }
      return t;
    }
  }

  // ------------------------------------------------------------------------------ cache

  /**
   * Sends a GET through a read-through cache: a fresh cached answer is returned without a
   * call; otherwise {@link #send} loads it, and when that fails (an I/O error, a timeout, a
   * 5xx or 429 answer, a refusal by the guard) a cached answer inside the cache's
   * {@code staleIfError} window is served instead, marked stale. Concurrent misses for one URI
   * share one call (the cache's single flight).
   *
   * @param <T> the body type; the response is shared by every caller, so use an immutable one
   *     (a {@code String}, a {@code byte[]} nobody writes to)
   * @param request a GET request; its URI is the key
   * @param handler the body handler
   * @param cache the cache; its loader timeout, TTL and stale window apply
   * @return the response and whether it is stale
   * @throws IOException the load's I/O error when nothing could be served
   *     ({@link HttpStatusException} for a failing status)
   * @throws InterruptedException if interrupted while loading
   * @throws RejectedException if the guard refused and nothing could be served
   * @throws IllegalArgumentException if an argument is null or the request is not a GET
   */
  public <T> CachedResponse<T> sendCached(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HeadroomCache<String, HttpResponse<T>> cache)
      throws IOException, InterruptedException {
    Checks.requireNonNull("request", request);
    Checks.requireNonNull("handler", handler);
    Checks.requireNonNull("cache", cache);
    Checks.requireArgument("GET".equals(request.method()), "request.method", "GET",
        request.method());
    Dependency d = dependency(request);
    Lookup<HttpResponse<T>> found;
    try {
      found = cache.lookup(request.uri().toString(), key -> load(d, request, handler));
    } catch (CacheLoadException e) {
      Throwable cause = e.getCause();
      while (cause instanceof UncheckedIOException || cause instanceof CompletionException) {
        cause = cause.getCause();
      }
      if (cause instanceof InterruptedLoad) {
        Thread.currentThread().interrupt();
        throw new InterruptedException("interrupted while loading " + request.uri());
      }
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RejectedException) {
        throw (RejectedException) cause;
      }
      throw e;
    }
    if (found.stale()) {
      d.stale.increment();
    }
    return new CachedResponse<>(found.value(), found.stale());
  }

  private <T> HttpResponse<T> load(Dependency d, HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    HttpResponse<T> response;
    try {
      response = send(request, handler);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedLoad();
    }
    int status = response.statusCode();
    if (status >= 500 || status == 429) {
      closeQuietly(response);
      throw new UncheckedIOException(new HttpStatusException(d.name, status));
    }
    return response;
  }

  /** Carries an interrupt out of a cache loader. */
  private static final class InterruptedLoad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InterruptedLoad() {
      super("interrupted", null, false, false);
    }
  }

  // ------------------------------------------------------------------------------ meters

  @Override
  public void describeMeters(MeterSink sink) {
    for (Dependency d : dependencies.values()) {
      d.describe(sink);
    }
    Dependency o = overflow;
    if (o != null) {
      o.describe(sink);
    }
    sink.counter(MeterId.of("headroom.http.client.overflow")
        .description("Requests sent through the shared overflow guard"), overflowed::sum);
  }

  @Override
  public String toString() {
    return "HeadroomHttpClient[" + dependencies.size() + " dependencies, " + retry + "]";
  }

  /** One dependency's guard, budget and counters. Thread-safe: adders and final fields. */
  static final class Dependency {
    final String name;
    final Guard guard;
    final RetryBudget budget;
    final LongAdder[] calls = new LongAdder[OUTCOMES.length];
    final LongAdder latencyNanos = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder hedges = new LongAdder();
    final LongAdder exhausted = new LongAdder();
    final LongAdder stale = new LongAdder();
    final LongAdder[] retryAfter = new LongAdder[RetryAfter.KINDS.length];

    Dependency(String name, Guard guard, RetryBudget budget) {
      this.name = name;
      this.guard = guard;
      this.budget = budget;
      for (int i = 0; i < calls.length; i++) {
        calls[i] = new LongAdder();
      }
      for (int i = 0; i < retryAfter.length; i++) {
        retryAfter[i] = new LongAdder();
      }
    }

    void record(Outcome outcome, long latency) {
      calls[outcome.ordinal()].increment();
      latencyNanos.add(Math.max(0L, latency));
    }

    long callCount() {
      long n = 0;
      for (LongAdder a : calls) {
        n += a.sum();
      }
      return n;
    }

    void describe(MeterSink sink) {
      for (Outcome o : OUTCOMES) {
        sink.counter(MeterId.of("headroom.http.client.calls").tag("name", name)
            .tag("outcome", o.tag()).description("Calls by final outcome"),
            calls[o.ordinal()]::sum);
      }
      sink.timer(MeterId.of("headroom.http.client.latency").tag("name", name)
          .baseUnit("seconds").description("Whole calls, retries included"),
          this::callCount, latencyNanos::sum);
      sink.counter(MeterId.of("headroom.http.client.retries").tag("name", name)
          .description("Retries sent"), retries::sum);
      sink.counter(MeterId.of("headroom.http.client.hedges").tag("name", name)
          .description("Hedged requests sent"), hedges::sum);
      sink.counter(MeterId.of("headroom.http.client.budget_exhausted").tag("name", name)
          .description("Retries and hedges the budget refused"), exhausted::sum);
      sink.counter(MeterId.of("headroom.http.client.stale").tag("name", name)
          .description("Stale responses served as a fallback"), stale::sum);
      for (RetryAfter.Kind k : RetryAfter.KINDS) {
        sink.counter(MeterId.of("headroom.http.client.retry_after").tag("name", name)
            .tag("kind", k.tag()).description("Retry-After values by kind"),
            retryAfter[k.ordinal()]::sum);
      }
      guard.describeMeters(sink);
      budget.describeMeters(sink);
    }
  }

  // ------------------------------------------------------------------------------ builder

  /** Builds a {@link HeadroomHttpClient}. Not thread-safe. */
  public static final class Builder {
    private final HttpClient client;
    private Function<HttpRequest, String> keyOf = r -> r.uri().getRawAuthority();
    private Function<String, Guard> guards;
    private Function<String, RetryBudget> budgets = RetryBudget::defaults;
    private RetryPolicy retry = RetryPolicy.defaults();
    private int maxDependencies = 64;
    private Duration deadlineCeiling = DEFAULT_DEADLINE_CEILING;
    private LimitPolicy limit;
    private Clock wallClock = Clock.systemUTC();
    private NanoClock clock = NanoClock.system();
    private Consumer<String> newDependency = name -> { };

    private Builder(HttpClient client) {
      this.client = client;
    }

    /**
     * Sets how a request is mapped to its dependency (one guard and budget per key); the URI's
     * raw authority ({@code host:port} as written) by default. A null key means the shared
     * overflow guard.
     *
     * @param value the key function, e.g. a route rule
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder key(Function<HttpRequest, String> value) {
      this.keyOf = Checks.requireNonNull("key", value);
      return this;
    }

    /**
     * Sets how a dependency's guard is built. By default: {@link BreakerConfig#defaults()}, a
     * gradient limit, and the adaptive deadline with {@link #deadlineCeiling}.
     *
     * @param factory gets the dependency's name
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder guards(Function<String, Guard> factory) {
      this.guards = Checks.requireNonNull("guards", factory);
      return this;
    }

    /**
     * Sets how a dependency's retry budget is built; {@link RetryBudget#defaults} by default.
     *
     * @param factory gets the dependency's name
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder retryBudget(Function<String, RetryBudget> factory) {
      this.budgets = Checks.requireNonNull("retryBudget", factory);
      return this;
    }

    /**
     * Sets the retry policy; {@link RetryPolicy#defaults()} by default.
     *
     * @param value the policy
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder retry(RetryPolicy value) {
      this.retry = Checks.requireNonNull("retry", value);
      return this;
    }

    /**
     * Sets the most guards the registry makes; 64 by default.
     *
     * @param value in [1, 10000]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxDependencies(int value) {
      this.maxDependencies = Checks.requireInRange("maxDependencies", value, 1, 10_000);
      return this;
    }

    /**
     * Sets the concurrency limit of the default guards; none by default. Ignored when
     * {@link #guards} is set.
     *
     * <p>Why none by default: in the cascade replay ({@code CascadeTest}: a 20 ms origin turns
     * to 800 ms with 30% hangs, 200 callers at 400 req/s) both adaptive limits held far below
     * the concurrency the shifted dependency needed, because a latency shift looks like
     * overload to them: the gradient limit fell to 3 even in the healthy phase on a loaded
     * 2-core machine (46% of calls refused), AIMD to about 50 in the slow phase (6% of calls
     * succeeded, against 76% for a bare 1.5 s timeout). Without a limit the client served 72%
     * there. Set one when the dependency is known to collapse under concurrency.
     *
     * @param value the limit policy, or null
     * @return this builder
     */
    public Builder limit(LimitPolicy value) {
      this.limit = value;
      return this;
    }

    /**
     * Sets the ceiling of the default guards' adaptive deadline; 2 s by default. Ignored when
     * {@link #guards} is set.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder deadlineCeiling(Duration value) {
      this.deadlineCeiling = Checks.requirePositive("deadlineCeiling", value);
      return this;
    }

    /**
     * Sets a listener told the name of each dependency once its guard, budget and meters
     * exist: the first request to a new key creates them, and the meters
     * {@link #describeMeters} declares grow by that dependency's. A binding made once at
     * startup uses it to bind the new meters (describing the client again declares them).
     * Called once per dependency (and once for {@code "overflow"}), on the thread of the
     * request that created it, before that request is sent; it must not throw or block. None
     * by default.
     *
     * @param listener gets the dependency's name
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder onNewDependency(Consumer<String> listener) {
      this.newDependency = Checks.requireNonNull("onNewDependency", listener);
      return this;
    }

    /**
     * Sets the wall clock {@code Retry-After} dates are compared with; UTC system time by
     * default.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder wallClock(Clock value) {
      this.wallClock = Checks.requireNonNull("wallClock", value);
      return this;
    }

    /**
     * Sets the clock call latency is measured with; {@link NanoClock#system()} by default.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder clock(NanoClock value) {
      this.clock = Checks.requireNonNull("clock", value);
      return this;
    }

    /**
     * Builds the client.
     *
     * @return the client
     */
    public HeadroomHttpClient build() {
      return new HeadroomHttpClient(this);
    }
  }

  /** The default ceiling of the adaptive deadline. */
  public static final Duration DEFAULT_DEADLINE_CEILING = Duration.ofSeconds(2);
}
