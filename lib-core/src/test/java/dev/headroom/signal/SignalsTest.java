package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SignalsTest {

  @Test
  void shedderSignalsReadTheRealShedder() {
    ManualClock clock = new ManualClock();
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(10)).clock(clock)
        .build();
    Signal utilisation = Signals.shedderUtilisation("api-utilisation", shedder, 0.7);
    Signal waiting = Signals.shedderWaiting("api-waiting", shedder, 5);
    Signal refused = Signals.shedderRefusedRate("api-refused", shedder, 1, clock);
    assertEquals(0.0, utilisation.read());
    assertEquals(0.0, waiting.read());

    List<Permit> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Permit p = shedder.tryAcquire(Priority.CRITICAL);
      assertTrue(p.isAdmitted());
      held.add(p);
    }
    assertEquals(0.4, utilisation.read(), 1e-12);
    // LOW is admitted below 50% of the limit: one more LOW fits, the next ones are refused.
    held.add(shedder.tryAcquire(Priority.LOW));
    int refusedCount = 0;
    for (int i = 0; i < 20; i++) {
      if (!shedder.tryAcquire(Priority.LOW).isAdmitted()) {
        refusedCount++;
      }
    }
    assertEquals(20, refusedCount);
    clock.advance(Duration.ofSeconds(4));
    assertEquals(5.0, refused.read(), 1e-9, "20 refusals over the 4 s since it was built");
    clock.advance(Duration.ofSeconds(16));
    assertEquals(1.0, refused.read(), 1e-9, "20 over 20 s: the window rolled once");
    clock.advance(Duration.ofSeconds(10));
    assertEquals(0.0, refused.read(), 1e-9, "nothing refused in the last window");
    for (Permit p : held) {
      p.onSuccess();
    }
    assertEquals(0.0, utilisation.read());
    assertEquals("ratio", utilisation.unit());
    assertEquals("requests/s", refused.unit());
  }

  @Test
  void executorSignalsReadTheRealExecutor() throws Exception {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 1, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>());
    try {
      Signal queue = Signals.executorQueue("workers-queue", executor, 10);
      Signal busy = Signals.executorUtilisation("workers-busy", executor, 0.8);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch started = new CountDownLatch(2);
      for (int i = 0; i < 7; i++) {
        executor.execute(() -> {
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      assertTrue(started.await(10, TimeUnit.SECONDS));
      assertEquals(5.0, queue.read());
      assertEquals(1.0, busy.read());
      release.countDown();
    } finally {
      executor.shutdown();
      assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void aCounterRateSpansOneToTwoWindowsAndAResetIsSkipped() {
    ManualClock clock = new ManualClock();
    AtomicLong consumed = new AtomicLong(1_000);
    Signal rate = Signals.rate("consumed", "messages/s", 50, SignalScope.FLEET_TOTAL,
        consumed::get, Duration.ofSeconds(10), clock);
    assertEquals(0.0, rate.read(), "no time has passed");
    for (int s = 1; s <= 30; s++) {
      clock.advance(Duration.ofSeconds(1));
      consumed.addAndGet(100);
      assertEquals(100.0, rate.read(), 1e-9, "a steady 100/s at second " + s);
    }
    consumed.set(0); // the counter was reset (a restart)
    clock.advance(Duration.ofSeconds(1));
    assertTrue(Double.isNaN(rate.read()));
    assertEquals(1, rate.invalidCount(Signal.InvalidReason.NEGATIVE));
  }

  @Test
  void builtInsCheckTheirArguments() {
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(10)).build();
    assertEquals("targetPerPod must be in (0, 1] (was 1.5)",
        assertThrows(IllegalArgumentException.class,
            () -> Signals.shedderUtilisation("u", shedder, 1.5)).getMessage());
    assertEquals("shedder must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> Signals.shedderWaiting("w", null, 1)).getMessage());
    assertEquals("window must be > 0 (was PT0S)",
        assertThrows(IllegalArgumentException.class,
            () -> Signals.rate("r", "x/s", 1, SignalScope.PER_POD, () -> 0, Duration.ZERO,
                new ManualClock())).getMessage());
  }
}
