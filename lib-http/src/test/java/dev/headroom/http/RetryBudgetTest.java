package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  @Test
  void ratioDefaultsAllowAFifthOfRequestsPlusTheFloor() {
    ManualClock clock = new ManualClock();
    RetryBudget budget = RetryBudget.ratio().clock(clock).build();
    for (int i = 0; i < 1000; i++) {
      budget.onRequest();
    }
    int granted = 0;
    while (budget.tryRetry()) {
      granted++;
    }
    assertEquals(200 + 100, granted);
  }

  @Test
  void ratioWindowSlidesAndGivesRetriesBack() {
    ManualClock clock = new ManualClock();
    RetryBudget budget = RetryBudget.ratio().minRetriesPerSecond(0).clock(clock).build();
    for (int i = 0; i < 100; i++) {
      budget.onRequest();
    }
    int granted = 0;
    while (budget.tryRetry()) {
      granted++;
    }
    assertEquals(20, granted);
    clock.advance(Duration.ofSeconds(10));
    assertFalse(budget.tryRetry(), "requests have left the window, so have retries' grants");
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    assertTrue(budget.tryRetry());
    assertFalse(budget.tryRetry());
  }

  @Test
  void at15xTrafficRetriesAddAtMostAFifthPlusTheFloor() {
    // 2,500 req/s for 30 s against a dependency that fails everything.
    RetryBudgetInvariants.Totals t = RetryBudgetInvariants.ratioUnderTotalFailure(0.2,
        Duration.ofSeconds(10), 10, 3, List.of(new RetryBudgetInvariants.Segment(30_000, 2500)));
    assertEquals(75_000, t.requests());
    double amplification = (t.requests() + t.retries()) / (double) t.requests();
    assertTrue(amplification <= 1.2 + 300.0 / 75_000 + 1e-9, "amplification " + amplification);
    assertTrue(amplification > 1.19, "the budget is used, not just bounded: " + amplification);
  }

  @Test
  void tokenBudgetStopsRetryingAfterHalfItsTokens() {
    RetryBudgetInvariants.Totals t =
        RetryBudgetInvariants.tokensUnderTotalFailure(10, 0.1, 3, 1000);
    // Tokens 10 -> 9 (retry) -> 8 (retry) -> 7 (third attempt) -> 6 (retry) -> 5: stop, since
    // retries need more than half. Each retry's own failure takes a token too.
    assertEquals(3, t.retries());
  }

  @Test
  void tokenBudgetRecoversWithSuccesses() {
    RetryBudget budget = RetryBudget.tokens("t", 10, 1.0);
    for (int i = 0; i < 10; i++) {
      budget.onFailure();
    }
    assertFalse(budget.tryRetry());
    for (int i = 0; i < 6; i++) {
      budget.onSuccess();
    }
    assertTrue(budget.tryRetry());
  }

  @Test
  void badSettingsNameFieldValueAndRange() {
    assertEquals("percentCanRetry must be in [0, 1] (was 1.5)",
        assertThrows(IllegalArgumentException.class,
            () -> RetryBudget.ratio().percentCanRetry(1.5)).getMessage());
    assertEquals("tokenRatio must be in (0, 1] (was 0)",
        assertThrows(IllegalArgumentException.class,
            () -> RetryBudget.tokens("t", 10, 0)).getMessage());
    assertEquals("ttl must be in [PT0.01S, PT1H] (was PT0.001S)",
        assertThrows(IllegalArgumentException.class,
            () -> RetryBudget.ratio().ttl(Duration.ofMillis(1))).getMessage());
  }
}
