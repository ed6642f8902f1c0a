package dev.headroom.kafka;

import dev.headroom.core.Checks;
import dev.headroom.core.RejectedException;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Tells a handler failure's {@link FailureKind}: poison, outage or transient. The
 * {@link ConsumerRunner} calls it on its polling thread for every exception its handler throws,
 * before reporting the failure to the guard.
 *
 * <p>The {@link #defaults()}, in order, looking through the whole cause chain:
 * <ol>
 *   <li>a {@link PoisonRecordException} or Kafka's {@link SerializationException} (a handler
 *       that parses the value itself): {@link FailureKind#POISON};
 *   <li>a {@link RejectedException} (a breaker or a shedder downstream refused the call):
 *       {@link FailureKind#OUTAGE};
 *   <li>any failure while the dependency is not healthy (the guard's breaker is not closed,
 *       and no other record was handled since this record first failed): {@link
 *       FailureKind#OUTAGE};
 *   <li>anything else: {@link FailureKind#TRANSIENT}.
 * </ol>
 * {@link #poisonOn(Class[])} adds the caller's own non-retriable types to the first rule.
 * Records that fail to deserialize never reach the classifier: they are poison.
 *
 * <p>Thread-safety: implementations are called from the runner's thread only, but must not keep
 * per-call state; the factories here are immutable.
 */
@FunctionalInterface
public interface FailureClassifier {

  /**
   * Classifies one failure.
   *
   * @param error what the handler threw
   * @param dependencyHealthy whether the dependency looked healthy before this failure was
   *     counted: with a guard, its breaker is closed (or it has none); with a {@code downstream}
   *     gate, the gate admits every call
   * @return the kind, never null
   */
  FailureKind classify(Throwable error, boolean dependencyHealthy);

  /**
   * The default classifier: see the interface comment.
   *
   * @return the default classifier
   */
  static FailureClassifier defaults() {
    return poisonOn();
  }

  /**
   * The default classifier with more poison types: an exception of one of {@code types}
   * anywhere in the cause chain is {@link FailureKind#POISON}.
   *
   * @param types exception classes that mean the record is bad, such as a validation exception
   * @return the classifier
   * @throws IllegalArgumentException if {@code types} or one of them is null, or one is not a
   *     {@link Throwable} type
   */
  static FailureClassifier poisonOn(Class<?>... types) {
    Checks.requireNonNull("types", types);
    for (Class<?> t : types) {
      Checks.requireNonNull("poison type", t);
      Checks.requireArgument(Throwable.class.isAssignableFrom(t), "poison type",
          "a Throwable type", t);
    }
    List<Class<?>> poison = List.of(types);
    return (error, healthy) -> {
      boolean refused = false;
      int depth = 0;
      for (Throwable t = error; t != null && depth < 32; t = t.getCause(), depth++) {
        if (t instanceof PoisonRecordException || t instanceof SerializationException) {
          return FailureKind.POISON;
        }
        for (int i = 0; i < poison.size(); i++) {
          if (poison.get(i).isInstance(t)) {
            return FailureKind.POISON;
          }
        }
        refused |= t instanceof RejectedException;
        if (t.getCause() == t) {
          break;
        }
      }
      return refused || !healthy ? FailureKind.OUTAGE : FailureKind.TRANSIENT;
    };
  }
}
