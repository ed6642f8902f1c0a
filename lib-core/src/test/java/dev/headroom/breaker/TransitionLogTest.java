package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.core.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransitionLogTest {

  private final CircuitBreaker breaker =
      CircuitBreaker.builder("log").clock(new ManualClock()).build();

  @Test
  void regressionOvertakingWinnerIsDeliveredInGenerationOrder() {
    // The thread that won generation 2 posts before the winner of generation 1 does.
    RecordingListener listener = new RecordingListener();
    TransitionLog log = new TransitionLog(0L);
    log.add(listener);
    log.post(breaker, new TransitionLog.Event(2, BreakerState.OPEN, BreakerState.HALF_OPEN, 0,
        0.01, false));
    assertEquals(List.of(), listener.events());
    log.post(breaker, new TransitionLog.Event(1, BreakerState.CLOSED, BreakerState.OPEN, 0, 0,
        false));
    assertEquals(List.of("CLOSED>OPEN", "OPEN>HALF_OPEN"), listener.events());
  }

  @Test
  void stepsAndSilentEventsKeepTheSequenceGapless() {
    RecordingListener listener = new RecordingListener();
    TransitionLog log = new TransitionLog(0L);
    log.add(listener);
    log.post(breaker, new TransitionLog.Event(1, BreakerState.CLOSED, BreakerState.CLOSED, 0, 1,
        true)); // reset while closed: nobody is told, but generation 1 is consumed
    log.post(breaker, new TransitionLog.Event(3, BreakerState.HALF_OPEN,
        BreakerState.HALF_OPEN, 1, 0.5, false));
    log.post(breaker, new TransitionLog.Event(2, BreakerState.CLOSED, BreakerState.FORCED_OPEN,
        0, 0, false));
    assertEquals(List.of("CLOSED>FORCED_OPEN", "step 1 @ 0.5"), listener.events());
  }

  @Test
  void concurrentPostersDeliverEveryEventOnceAndInOrder() throws Exception {
    List<Long> delivered = new ArrayList<>();
    TransitionLog log = new TransitionLog(0L);
    log.add(new BreakerListener() {
      @Override
      public void onTransition(CircuitBreaker b, BreakerState from, BreakerState to) {}

      @Override
      public void onRampStep(CircuitBreaker b, int step, double fraction) {
        delivered.add((long) step); // called one at a time: no synchronisation needed
      }
    });
    int events = 20_000;
    int threads = 4;
    Thread[] posters = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int first = t + 1;
      posters[t] = new Thread(() -> {
        for (int g = first; g <= events; g += threads) {
          log.post(breaker, new TransitionLog.Event(g, BreakerState.HALF_OPEN,
              BreakerState.HALF_OPEN, g, 0.5, false));
        }
      });
      posters[t].start();
    }
    for (Thread t : posters) {
      t.join(30_000);
    }
    assertEquals(events, delivered.size());
    for (int i = 0; i < events; i++) {
      assertEquals(i + 1, delivered.get(i));
    }
  }
}
