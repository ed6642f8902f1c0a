package dev.headroom.http;

import java.io.IOException;

/**
 * An HTTP answer that counts as a failure of the dependency: a 5xx, or a 429/503 refusal, when
 * it has to be reported as an exception (to a guard's breaker, or to a cache whose load failed
 * so that a stale value is served).
 *
 * <p>Created without a stack trace: it is raised on failure paths under load.
 *
 * <p>Thread-safety: immutable.
 */
public final class HttpStatusException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int status;

  /**
   * Creates the exception.
   *
   * @param dependency the guard's name (host or route)
   * @param status the HTTP status
   */
  public HttpStatusException(String dependency, int status) {
    super(dependency + " answered " + status);
    this.status = status;
  }

  /**
   * Returns the status.
   *
   * @return the HTTP status code
   */
  public int status() {
    return status;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
