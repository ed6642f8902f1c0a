package dev.headroom.guard;

import java.time.Duration;

/**
 * A call made under a {@link Guard}. It receives the deadline in force and should apply it to
 * the client it drives (a JDBC query timeout, an HTTP request timeout), since a synchronous
 * call cannot be cut short from outside.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface GuardedCall<T> {

  /**
   * Makes the call.
   *
   * @param timeout the deadline in force; {@link Guard#NO_DEADLINE} when the guard has none
   * @return the result
   * @throws Exception anything the call throws; the guard classifies it
   */
  T call(Duration timeout) throws Exception;
}
