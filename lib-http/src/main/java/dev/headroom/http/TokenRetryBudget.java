package dev.headroom.http;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * gRPC's retry throttling: a token count that starts at {@code maxTokens}; a failed attempt
 * takes one token (never below 0), a successful one gives {@code tokenRatio} back (never above
 * {@code maxTokens}); a retry is granted only while more than {@code maxTokens / 2} tokens are
 * left. A grant itself takes nothing: the retry's own failure will.
 *
 * <p>Tokens are kept in thousandths in one {@link AtomicLong}, updated by CAS loops whose
 * functions are pure (clamped add). Under a total outage at most about {@code maxTokens / 2}
 * retries are granted until successes bring the count back.
 *
 * <p>Thread-safety: safe for concurrent use; lock-free; no allocation.
 */
final class TokenRetryBudget implements RetryBudget {

  private final String name;
  private final long max;
  private final long ratio;
  private final AtomicLong tokens;
  private final LongAdder refused = new LongAdder();

  TokenRetryBudget(String name, double maxTokens, double tokenRatio) {
    this.name = Checks.requireNonBlank("name", name);
    Checks.requireInRange("maxTokens", maxTokens, 0.0, false, 1000.0, true);
    Checks.requireFraction("tokenRatio", tokenRatio);
    this.max = Math.round(maxTokens * 1000);
    this.ratio = Math.round(tokenRatio * 1000);
    this.tokens = new AtomicLong(max);
  }

  @Override
  public void onRequest() {
    // The token form counts outcomes, not requests.
  }

  @Override
  public void onSuccess() {
    long t;
    do {
      t = tokens.get();
      if (t >= max) {
        return;
      }
    } while (!tokens.compareAndSet(t, Math.min(max, t + ratio)));
  }

  @Override
  public void onFailure() {
    long t;
    do {
      t = tokens.get();
      if (t <= 0) {
        return;
      }
    } while (!tokens.compareAndSet(t, Math.max(0L, t - 1000)));
  }

  @Override
  public boolean tryRetry() {
    if (tokens.get() * 2 > max) {
      return true;
    }
    refused.increment();
    return false;
  }

  /** Tokens left, in tokens. */
  double tokens() {
    return tokens.get() / 1000.0;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(MeterId.of("headroom.http.retry_budget.tokens").tag("name", name)
        .description("Retry tokens left"), this::tokens);
    sink.counter(MeterId.of("headroom.http.retry_budget.refused").tag("name", name)
        .description("Retries and hedges the budget refused"), refused::sum);
  }

  @Override
  public String toString() {
    return "TokenRetryBudget[" + name + ", tokens " + tokens() + " of " + max / 1000.0 + "]";
  }
}
