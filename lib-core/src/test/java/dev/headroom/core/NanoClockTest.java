package dev.headroom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NanoClockTest {

  @Test
  void manualClockMovesOnlyWhenTold() {
    ManualClock clock = new ManualClock();
    assertEquals(ManualClock.DEFAULT_START, clock.nanoTime());
    assertEquals(ManualClock.DEFAULT_START + 5, clock.advance(5));
    assertEquals(ManualClock.DEFAULT_START + 5 + 2_000_000, clock.advance(Duration.ofMillis(2)));
    assertEquals(clock.nanoTime(), clock.nanoTime());
  }

  @Test
  void manualClockRefusesToGoBack() {
    ManualClock clock = new ManualClock(42);
    assertEquals("nanosToAdd must be >= 0 (was -1)",
        assertThrows(IllegalArgumentException.class, () -> clock.advance(-1)).getMessage());
    assertEquals("duration must be >= 0 (was PT-1S)",
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)))
            .getMessage());
    assertEquals(42, clock.nanoTime());
  }

  @Test
  void manualClockAdvancesAtomicallyUnderContention() throws InterruptedException {
    ManualClock clock = new ManualClock(0);
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 100_000; i++) {
          clock.advance(1);
        }
      });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(400_000, clock.nanoTime());
  }

  @Test
  void adaptsAnyLongSupplier() {
    AtomicLong source = new AtomicLong(7);
    NanoClock clock = NanoClock.of(source::get);
    assertEquals(7, clock.nanoTime());
    source.set(9);
    assertEquals(9, clock.nanoTime());
    assertEquals("nanos must be non-null (was null)",
        assertThrows(IllegalArgumentException.class, () -> NanoClock.of(null)).getMessage());
  }

  @Test
  void systemClockIsNanoTime() {
    long before = System.nanoTime();
    long reading = NanoClock.system().nanoTime();
    long after = System.nanoTime();
    assertTrue(reading - before >= 0 && after - reading >= 0);
    assertSame(NanoClock.system(), NanoClock.system());
  }

  @Test
  void coarseClockNeverRunsAheadOfTheSystemClockAndNeverGoesBack() {
    NanoClock coarse = NanoClock.coarse();
    assertSame(coarse, NanoClock.coarse());
    long previous = coarse.nanoTime();
    for (int i = 0; i < 100_000; i++) {
      long reading = coarse.nanoTime();
      assertTrue(reading - previous >= 0, "coarse clock went back");
      assertTrue(System.nanoTime() - reading >= 0, "coarse clock ran ahead of nanoTime");
      previous = reading;
    }
  }

  @Test
  void coarseClockTicks() throws InterruptedException {
    NanoClock coarse = NanoClock.coarse();
    long first = coarse.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (coarse.nanoTime() == first && System.nanoTime() - deadline < 0) {
      Thread.sleep(5);
    }
    assertTrue(coarse.nanoTime() - first > 0, "coarse clock did not tick within 10 s");
  }
}
