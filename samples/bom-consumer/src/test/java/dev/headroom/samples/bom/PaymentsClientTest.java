package dev.headroom.samples.bom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.breaker.BreakerState;
import dev.headroom.shed.Priority;
import org.junit.jupiter.api.Test;

class PaymentsClientTest {

  @Test
  void threeFailuresInARowOpenTheBreakerAndTheFallbackAnswers() {
    PaymentsClient client = new PaymentsClient();
    assertEquals("paid", client.call(Priority.HIGH, () -> "paid", "later"));
    for (int i = 0; i < 3; i++) {
      assertEquals("later", client.call(Priority.HIGH, () -> {
        throw new IllegalStateException("payments down");
      }, "later"));
    }
    assertEquals(BreakerState.OPEN, client.breaker().state());
    assertEquals("later", client.call(Priority.HIGH, () -> "paid", "later"));
  }
}
