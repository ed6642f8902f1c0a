package dev.headroom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RejectedExceptionTest {

  static final class Refused extends RejectedException {
    private static final long serialVersionUID = 1L;

    Refused(long retryAfterNanos, boolean stack) {
      super("shed", "api", "shed api: limit 10, in-flight 10", retryAfterNanos, stack);
    }
  }

  @Test
  void carriesComponentNameAndHint() {
    Refused e = new Refused(1_500_000_000L, false);
    assertEquals("shed", e.component());
    assertEquals("api", e.name());
    assertEquals("shed api: limit 10, in-flight 10", e.getMessage());
    assertEquals(Duration.ofMillis(1500), e.retryAfter());
    assertEquals(2, e.retryAfterSeconds());
  }

  @Test
  void noStackTraceUnlessAskedFor() {
    assertEquals(0, new Refused(0, false).getStackTrace().length);
    assertEquals(true, new Refused(0, true).getStackTrace().length > 0);
  }

  @Test
  void retryAfterSecondsIsAtLeastOneAndNeverNegative() {
    assertEquals(1, new Refused(0, false).retryAfterSeconds());
    assertEquals(Duration.ZERO, new Refused(-5, false).retryAfter());
    assertEquals(1, new Refused(1_000_000_000L, false).retryAfterSeconds());
    assertEquals(2, new Refused(1_000_000_001L, false).retryAfterSeconds());
  }
}
