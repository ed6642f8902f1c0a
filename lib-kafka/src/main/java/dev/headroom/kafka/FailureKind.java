package dev.headroom.kafka;

/**
 * What a handler's failure says, as a {@link FailureClassifier} decides it, and what the
 * {@link ConsumerRunner} does about it.
 */
public enum FailureKind {

  /**
   * The record is bad (it cannot be parsed, it breaks a rule): retrying cannot help. It goes to
   * the dead-letter topic at once, or after {@code poisonAttempts} tries, and the guard's breaker
   * does not count it ({@code onIgnore}): poison never opens the breaker.
   */
  POISON,

  /**
   * The downstream is in trouble (its breaker is not closed, or it refused the call): the record
   * is not at fault. It keeps its attempts, is never dead-lettered, and the runner pauses every
   * partition and handles it again when the downstream admits work.
   */
  OUTAGE,

  /**
   * Neither is known: a failure the breaker counts, retried after {@code retryBackoff} (the
   * partition waits, the polling thread does not). After {@code maxAttempts} it is dead-lettered,
   * but with a guard only if another record succeeded since its first failure: without that
   * evidence the dependency may be down, and the failures are left to open the breaker.
   */
  TRANSIENT
}
