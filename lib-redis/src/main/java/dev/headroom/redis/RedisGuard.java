package dev.headroom.redis;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.cache.Scheduler;
import dev.headroom.core.NanoClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What stands between a fleet-tier component and Redis: a per-call timeout on an injected
 * scheduler, and a circuit breaker (3 consecutive failures open it for 1 s, then one probe), so
 * that while Redis is down or paused a component falls back to its local behaviour at once
 * instead of paying the timeout on every call. Every refusal or failure is counted by reason;
 * nothing is thrown to the component's caller.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class RedisGuard {

  /** Why a call did not reach a usable answer. */
  enum Reason {
    /** The breaker is open: Redis failed recently. */
    UNAVAILABLE("unavailable"),
    /** Redis did not answer within the timeout. */
    TIMEOUT("timeout"),
    /** Redis, the connection or a codec failed. */
    ERROR("error");

    final String tag;

    Reason(String tag) {
      this.tag = tag;
    }
  }

  /** A failed guarded call; carries its reason. No stack trace: it is a routine outcome. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Reason reason;

    Failure(Reason reason, String message, Throwable cause) {
      super(message, cause, false, false);
      this.reason = reason;
    }
  }

  final CircuitBreaker breaker;
  final long timeoutNanos;
  private final NanoClock clock = NanoClock.system();
  private final LongAdder[] fallbacks = {new LongAdder(), new LongAdder(), new LongAdder()};

  RedisGuard(String name, Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
    this.breaker = CircuitBreaker.builder("redis:" + name)
        .consecutiveFailures(3)
        .openDuration(Duration.ofSeconds(1))
        // Redis is back or it is not: one probe decides, no gradual ramp. A ramp would keep
        // most calls on the local fallback for seconds after Redis returned.
        .rampSteps(1.0)
        .rampStep(Duration.ofMillis(100), 1)
        .build();
  }

  /**
   * Runs one Redis operation, bounded by the timeout on {@code scheduler}. The returned future
   * fails with a {@link Failure} (never anything else) when the breaker refuses, the operation
   * fails or it times out; a timed-out Redis future is cancelled.
   */
  <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<T>> op, Scheduler scheduler) {
    long permit = breaker.tryAcquire();
    if (permit == CircuitBreaker.REJECTED) {
      return CompletableFuture.failedFuture(
          new Failure(Reason.UNAVAILABLE, "redis circuit open", null));
    }
    long start = clock.nanoTime();
    CompletableFuture<T> source;
    try {
      source = op.get().toCompletableFuture();
    } catch (RuntimeException e) {
      source = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<T> redis = source;
    Scheduler.Scheduled timer = scheduler.schedule(timeoutNanos, () -> {
      if (result.completeExceptionally(new Failure(Reason.TIMEOUT,
          "redis did not answer within " + Duration.ofNanos(timeoutNanos), null))) {
        breaker.onFailure(permit, clock.nanoTime() - start, new TimeoutException());
        redis.cancel(true);
      }
    });
    source.whenComplete((value, error) -> {
      timer.cancel();
      if (error == null) {
        if (result.complete(value)) {
          breaker.onSuccess(permit, clock.nanoTime() - start);
        }
      } else {
        Throwable cause = unwrap(error);
        if (result.completeExceptionally(new Failure(Reason.ERROR, String.valueOf(cause),
            cause))) {
          breaker.onFailure(permit, clock.nanoTime() - start, cause);
        }
      }
    });
    return result;
  }

  /** Runs a blocking operation that bounds its own time (Bucket4j's request timeout). */
  <T> T callSync(Supplier<T> op) {
    long permit = breaker.tryAcquire();
    if (permit == CircuitBreaker.REJECTED) {
      throw new Failure(Reason.UNAVAILABLE, "redis circuit open", null);
    }
    long start = clock.nanoTime();
    try {
      T value = op.get();
      breaker.onSuccess(permit, clock.nanoTime() - start);
      return value;
    } catch (RuntimeException e) {
      breaker.onFailure(permit, clock.nanoTime() - start, e);
      Reason reason = isTimeout(e) ? Reason.TIMEOUT : Reason.ERROR;
      throw new Failure(reason, String.valueOf(e), e);
    }
  }

  /** Counts one fallback to local behaviour. */
  void fellBack(Throwable failure) {
    Reason reason = failure instanceof Failure f ? f.reason : Reason.ERROR;
    fallbacks[reason.ordinal()].increment();
  }

  long fallbacks(Reason reason) {
    return fallbacks[reason.ordinal()].sum();
  }

  long fallbacks() {
    long sum = 0;
    for (LongAdder a : fallbacks) {
      sum += a.sum();
    }
    return sum;
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof TimeoutException
          || c.getClass().getSimpleName().contains("Timeout")) {
        return true;
      }
    }
    return false;
  }
}
