package dev.headroom.http;

import dev.headroom.core.metrics.Instrumented;

/**
 * Bounds retries so that they cannot multiply an outage: every retry (and every hedged request)
 * must be granted by the budget of its dependency, and when the budget says no the caller gets
 * the last answer or error at once.
 *
 * <p>Two forms, both from systems that run them at scale:
 * <ul>
 *   <li>{@link #ratio()}, Finagle's: over a sliding window ({@code ttl}, 10 s), retries may be
 *       at most {@code percentCanRetry} (20%) of requests plus a floor of
 *       {@code minRetriesPerSecond} (10) times the window in seconds. <b>The default.</b>
 *   <li>{@link #tokens(String, double, double)}, gRPC's retry throttling: a token count starting at
 *       {@code maxTokens}; each failed attempt takes one token, each success gives
 *       {@code tokenRatio} back (never above {@code maxTokens}); retries are allowed only while
 *       more than half the tokens are left.
 * </ul>
 *
 * <p>Why the ratio form is the default: its bound is stated in the quantity an outage is made
 * of, extra requests per request, and holds whatever the failure pattern, so at 15x traffic a
 * dependency sees at most 1.2x of what it would have seen without retries (plus the small floor
 * that keeps a quiet client able to retry). The token form's bound is in failures: it shuts
 * retries off after about {@code maxTokens / 2} failures in a row and lets them back only after
 * successes, which is stricter under a total outage but depends on a token count that has to be
 * sized to the request rate, and it lets through a retry for every failure while failures stay
 * below about {@code tokenRatio / (1 + tokenRatio)} of attempts.
 *
 * <p>Thread-safety: implementations are safe for concurrent use and take no lock.
 */
public interface RetryBudget extends Instrumented {

  /** Records a new request (its first attempt), before it is sent. */
  void onRequest();

  /** Records an attempt that succeeded (the dependency answered usefully). */
  void onSuccess();

  /** Records an attempt that failed in a retryable way (timeout, I/O error, 5xx, 429). */
  void onFailure();

  /**
   * Asks for one retry or hedge. A grant is spent at once.
   *
   * @return true if the retry may be sent
   */
  boolean tryRetry();

  /**
   * Starts a Finagle-style budget with its defaults (20% over 10 s, floor 10 per second).
   *
   * @return a builder
   */
  static RatioRetryBudget.Builder ratio() {
    return new RatioRetryBudget.Builder();
  }

  /**
   * A gRPC-style token budget.
   *
   * @param name the dependency's name, for the meters
   * @param maxTokens the token count a new budget starts with, in (0, 1000]
   * @param tokenRatio tokens a success gives back, in (0, 1]
   * @return the budget
   * @throws IllegalArgumentException if {@code name} is blank or a number is out of range
   */
  static RetryBudget tokens(String name, double maxTokens, double tokenRatio) {
    return new TokenRetryBudget(name, maxTokens, tokenRatio);
  }

  /**
   * A budget that grants every retry: retries are then bounded only by the attempt count.
   * For tests and for comparisons; it is what every other Java library does today.
   *
   * @return the unbounded budget
   */
  static RetryBudget unbounded() {
    return UnboundedRetryBudget.INSTANCE;
  }

  /**
   * The default budget: {@code ratio().name(name).build()}.
   *
   * @param name the dependency's name, for the meters
   * @return a ratio budget with its defaults
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  static RetryBudget defaults(String name) {
    return ratio().name(name).build();
  }
}
