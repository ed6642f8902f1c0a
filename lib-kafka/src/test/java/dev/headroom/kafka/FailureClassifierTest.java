package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The default classification and declared poison types. */
class FailureClassifierTest {

  final FailureClassifier defaults = FailureClassifier.defaults();

  @Test
  void poisonIsPoisonWhateverTheDependencysHealthAndAnywhereInTheCauseChain() {
    PoisonRecordException poison = new PoisonRecordException("no member id");
    for (boolean healthy : new boolean[] {true, false}) {
      assertEquals(FailureKind.POISON, defaults.classify(poison, healthy));
      assertEquals(FailureKind.POISON,
          defaults.classify(new CompletionException(poison), healthy));
      assertEquals(FailureKind.POISON,
          defaults.classify(new SerializationException("bad avro"), healthy));
    }
  }

  @Test
  void aRefusalIsAnOutageEvenWhileTheBreakerIsClosed() {
    assertEquals(FailureKind.OUTAGE,
        defaults.classify(new ConsumerRunnerTest.Refused(), true));
    assertEquals(FailureKind.OUTAGE,
        defaults.classify(new IllegalStateException(new ConsumerRunnerTest.Refused()), true));
  }

  @Test
  void anyOtherFailureIsTransientWhileHealthyAndAnOutageOtherwise() {
    IOException e = new IOException("connection refused");
    assertEquals(FailureKind.TRANSIENT, defaults.classify(e, true));
    assertEquals(FailureKind.OUTAGE, defaults.classify(e, false));
    assertEquals(FailureKind.TRANSIENT, defaults.classify(new IllegalArgumentException(), true));
  }

  @Test
  void declaredTypesArePoisonAndSubtypesToo() {
    FailureClassifier c = FailureClassifier.poisonOn(IllegalArgumentException.class);
    assertEquals(FailureKind.POISON, c.classify(new IllegalArgumentException("bad id"), false));
    assertEquals(FailureKind.POISON, c.classify(new NumberFormatException("x4"), true));
    assertEquals(FailureKind.POISON,
        c.classify(new RuntimeException(new IllegalArgumentException()), true));
    assertEquals(FailureKind.TRANSIENT, c.classify(new IllegalStateException(), true));
    assertEquals(FailureKind.POISON, c.classify(new PoisonRecordException("x"), true),
        "the defaults still apply");
  }

  @Test
  void aSelfCausedExceptionEnds() {
    RuntimeException loop = new RuntimeException() {
      private static final long serialVersionUID = 1L;

      @Override
      public synchronized Throwable getCause() {
        return this;
      }
    };
    assertEquals(FailureKind.TRANSIENT, defaults.classify(loop, true));
  }

  @Test
  void rejectsWhatIsNotAnExceptionType() {
    assertEquals("poison type must be a Throwable type (was class java.lang.String)",
        assertThrows(IllegalArgumentException.class,
            () -> FailureClassifier.poisonOn(String.class)).getMessage());
    assertEquals("poison type must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> FailureClassifier.poisonOn(IOException.class, null)).getMessage());
  }
}
