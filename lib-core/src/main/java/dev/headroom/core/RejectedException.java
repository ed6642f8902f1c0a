package dev.headroom.core;

import java.time.Duration;

/**
 * Base of every exception by which a Headroom primitive refuses a caller's work: an open
 * breaker, a shed request, an exhausted pool budget. A caller never loses work silently; it
 * gets one of these, which names the component and instance, describes the state that caused
 * the refusal, and carries a Retry-After hint that HTTP adapters turn into a header.
 *
 * <p>Rejections happen on hot paths under overload, so subclasses are created without a stack
 * trace unless asked for one: filling a stack trace costs microseconds per call exactly when the
 * service can least afford it.
 *
 * <p>Thread-safety: immutable.
 */
public abstract class RejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String component;
  private final String name;
  private final long retryAfterNanos;

  /**
   * Creates a rejection.
   *
   * @param component the kind of primitive, e.g. {@code "breaker"} or {@code "shed"}
   * @param name the instance's name, e.g. {@code "replica-db"}
   * @param message what happened, with a snapshot of the state
   * @param retryAfterNanos the hint, {@code >= 0}
   * @param writableStackTrace whether to capture a stack trace
   */
  protected RejectedException(String component, String name, String message,
      long retryAfterNanos, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
    this.component = component;
    this.name = name;
    this.retryAfterNanos = Math.max(0L, retryAfterNanos);
  }

  /**
   * Returns the kind of primitive that refused the work.
   *
   * @return e.g. {@code "breaker"}, {@code "shed"}, {@code "jdbc"}
   */
  public String component() {
    return component;
  }

  /**
   * Returns the name of the instance that refused the work.
   *
   * @return the configured name
   */
  public String name() {
    return name;
  }

  /**
   * Returns how long the caller should wait before trying again.
   *
   * @return a non-negative hint
   */
  public Duration retryAfter() {
    return Duration.ofNanos(retryAfterNanos);
  }

  /**
   * Returns the hint in whole seconds, rounded up and at least 1, as an HTTP
   * {@code Retry-After} header wants it.
   *
   * @return seconds, {@code >= 1}
   */
  public long retryAfterSeconds() {
    long seconds = (retryAfterNanos + 999_999_999L) / 1_000_000_000L;
    return Math.max(1L, seconds);
  }
}
