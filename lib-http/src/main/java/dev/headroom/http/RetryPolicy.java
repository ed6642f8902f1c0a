package dev.headroom.http;

import dev.headroom.core.Checks;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * When and how {@link HeadroomHttpClient} retries: at most {@code maxAttempts} attempts per
 * call, only for idempotent requests unless {@code retryNonIdempotent}, after a back-off with
 * full jitter ({@code uniform(0, min(maxBackoff, baseBackoff x 2^(retry - 1)))}) or the wait a
 * {@code Retry-After} header asked for, and only when the dependency's {@link RetryBudget}
 * grants it.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(3)
 *     .baseBackoff(Duration.ofMillis(50)).maxBackoff(Duration.ofSeconds(1))
 *     .maxRetryAfter(Duration.ofSeconds(5))
 *     .hedgeAfter(Duration.ofMillis(200))      // optional, idempotent calls only
 *     .build();
 * }</pre>
 *
 * <p>What is retried: I/O errors and timeouts, and the statuses in {@code retryStatuses}
 * (429, 502, 503 and 504 by default). Idempotent requests are those whose method is GET, HEAD,
 * OPTIONS, TRACE, PUT or DELETE, or that carry an {@code Idempotency-Key} header. See
 * {@link RetryAfter} for how a {@code Retry-After} header is read and what
 * {@code maxRetryAfter} does.
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class RetryPolicy {

  private final int maxAttempts;
  private final Duration baseBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;
  private final boolean retryNonIdempotent;
  private final Duration hedgeAfter;
  private final int[] retryStatuses;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.baseBackoff = b.baseBackoff;
    this.maxBackoff = b.maxBackoff;
    this.maxRetryAfter = b.maxRetryAfter;
    this.retryNonIdempotent = b.retryNonIdempotent;
    this.hedgeAfter = b.hedgeAfter;
    this.retryStatuses = b.retryStatuses.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Starts a builder with the defaults: 3 attempts, back-off 50 ms doubling to at most 1 s,
   * Retry-After honoured up to 10 s, idempotent requests only, no hedging, statuses 429, 502,
   * 503, 504.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the default policy.
   *
   * @return {@code builder().build()}
   */
  public static RetryPolicy defaults() {
    return builder().build();
  }

  /**
   * A policy that never retries or hedges.
   *
   * @return a policy with one attempt
   */
  public static RetryPolicy none() {
    return builder().maxAttempts(1).build();
  }

  /**
   * Returns the most attempts per call, the first included.
   *
   * @return {@code >= 1}
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * Returns the back-off cap of the first retry.
   *
   * @return the base back-off
   */
  public Duration baseBackoff() {
    return baseBackoff;
  }

  /**
   * Returns the largest back-off cap.
   *
   * @return the cap
   */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /**
   * Returns the longest {@code Retry-After} wait honoured; a longer one ends the retries.
   *
   * @return the maximum wait
   */
  public Duration maxRetryAfter() {
    return maxRetryAfter;
  }

  /**
   * Returns whether non-idempotent requests are retried too.
   *
   * @return true if so
   */
  public boolean retryNonIdempotent() {
    return retryNonIdempotent;
  }

  /**
   * Returns how long an idempotent call waits before a hedged second request, or null.
   *
   * @return the delay, or null when hedging is off
   */
  public Duration hedgeAfter() {
    return hedgeAfter;
  }

  /**
   * Returns whether a status is retried.
   *
   * @param status an HTTP status
   * @return true if it is in {@code retryStatuses}
   */
  public boolean retriesStatus(int status) {
    for (int s : retryStatuses) {
      if (s == status) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "RetryPolicy[maxAttempts=" + maxAttempts + ", backoff=" + baseBackoff + ".."
        + maxBackoff + ", maxRetryAfter=" + maxRetryAfter + ", retryNonIdempotent="
        + retryNonIdempotent + ", hedgeAfter=" + hedgeAfter + ", statuses="
        + Arrays.toString(retryStatuses) + "]";
  }

  /** Builds a {@link RetryPolicy}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration baseBackoff = Duration.ofMillis(50);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private Duration maxRetryAfter = Duration.ofSeconds(10);
    private boolean retryNonIdempotent;
    private Duration hedgeAfter;
    private Set<Integer> retryStatuses = new TreeSet<>(Set.of(429, 502, 503, 504));

    private Builder() {}

    /**
     * Sets the most attempts per call, the first included; 3 by default.
     *
     * @param value in [1, 10]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxAttempts(int value) {
      this.maxAttempts = Checks.requireInRange("maxAttempts", value, 1, 10);
      return this;
    }

    /**
     * Sets the back-off cap of the first retry; 50 ms by default.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder baseBackoff(Duration value) {
      this.baseBackoff = Checks.requirePositive("baseBackoff", value);
      return this;
    }

    /**
     * Sets the largest back-off cap; 1 s by default.
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder maxBackoff(Duration value) {
      this.maxBackoff = Checks.requirePositive("maxBackoff", value);
      return this;
    }

    /**
     * Sets the longest {@code Retry-After} wait honoured; 10 s by default. A server asking for
     * longer gets no retry: its response goes to the caller.
     *
     * @param value {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     */
    public Builder maxRetryAfter(Duration value) {
      this.maxRetryAfter = Checks.requireNonNegative("maxRetryAfter", value);
      return this;
    }

    /**
     * Allows retrying non-idempotent requests (a POST without an {@code Idempotency-Key});
     * off by default.
     *
     * @param value true to allow
     * @return this builder
     */
    public Builder retryNonIdempotent(boolean value) {
      this.retryNonIdempotent = value;
      return this;
    }

    /**
     * Turns hedging on for idempotent calls: when the first attempt has not answered after
     * {@code delay}, a second one is sent if the retry budget grants it, and the first useful
     * answer wins (the other exchange is cancelled). Off by default.
     *
     * @param delay {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder hedgeAfter(Duration delay) {
      this.hedgeAfter = Checks.requirePositive("hedgeAfter", delay);
      return this;
    }

    /**
     * Sets the statuses that are retried; 429, 502, 503, 504 by default.
     *
     * @param statuses each in [100, 599]
     * @return this builder
     * @throws IllegalArgumentException if a status is out of range
     */
    public Builder retryStatuses(int... statuses) {
      Checks.requireNonNull("retryStatuses", statuses);
      Set<Integer> set = new TreeSet<>();
      for (int s : statuses) {
        set.add(Checks.requireInRange("retryStatuses", s, 100, 599));
      }
      this.retryStatuses = set;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if {@code baseBackoff > maxBackoff}
     */
    public RetryPolicy build() {
      Checks.requireArgument(baseBackoff.compareTo(maxBackoff) <= 0, "baseBackoff",
          "<= maxBackoff (" + maxBackoff + ")", baseBackoff);
      return new RetryPolicy(this);
    }
  }
}
