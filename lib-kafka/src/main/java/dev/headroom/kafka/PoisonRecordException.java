package dev.headroom.kafka;

/**
 * Thrown by a {@link RecordHandler} (directly or as the cause of another exception) to declare
 * that the record itself is bad: retrying it cannot help and it says nothing about the
 * downstream's health. The {@link ConsumerRunner}'s default {@link FailureClassifier} calls it
 * {@link FailureKind#POISON}: the record goes to the dead-letter topic and the guard's breaker
 * does not count it.
 *
 * <pre>{@code
 * .handler(record -> {
 *   Enrollment e = parse(record.value());
 *   if (e.memberId() == null) {
 *     throw new PoisonRecordException("enrollment without a member id");
 *   }
 *   store.save(e);
 * })
 * }</pre>
 *
 * <p>Thread-safety: immutable once thrown.
 */
public class PoisonRecordException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why the record is poison
   */
  public PoisonRecordException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message why the record is poison
   * @param cause what went wrong
   */
  public PoisonRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
