package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hot key read by many threads across many TTLs, in virtual time: after the first fill no
 * reader ever waits for a load, and the origin sees about one load per TTL.
 *
 * <p>Real threads race on the cache (they read concurrently inside each virtual millisecond),
 * while a driver moves a manual clock one millisecond per step, so the outcome does not depend
 * on how the shared machine schedules threads. A load takes {@link #LOAD} of virtual time: the
 * loader, running on a real executor thread, waits until the driver has moved the clock that
 * far, and the driver waits for a load that is due before it moves on.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HotKeyTest {

  private static final Duration TTL = Duration.ofSeconds(1);
  private static final Duration LOAD = Duration.ofMillis(20);
  private static final int TTLS = 12;
  private static final int READERS = 6;
  private static final int READS_PER_STEP = 3;
  private static final long NONE = Long.MAX_VALUE;

  @Test
  void afterTheFirstFillNoReaderWaitsAndTheOriginSeesAboutOneLoadPerTtl() throws Exception {
    ManualClock clock = new ManualClock();
    ExecutorService refresher = Executors.newSingleThreadExecutor();
    AtomicLong loads = new AtomicLong();
    AtomicLong loadDue = new AtomicLong(NONE); // NONE: no load running
    HeadroomCache<String, Long> cache = HeadroomCache.<String, Long>builder("hot")
        .ttl(TTL).clock(clock).refreshExecutor(refresher)
        // Real-time guard only: a reader that did wait would block the virtual clock, so a
        // bug must end as a timeout (and a failed assertion), never as a hung build.
        .loaderTimeout(Duration.ofSeconds(10)).build();
    Function<String, Long> loader = key -> {
      long n = loads.incrementAndGet();
      long due = clock.nanoTime() + LOAD.toNanos();
      loadDue.set(due);
      while (clock.nanoTime() - due < 0) {
        LockSupport.parkNanos(50_000);
      }
      loadDue.set(NONE);
      return n;
    };

    // First fill, by the driver: the clock must move while it loads, so it runs on the pool.
    Thread filler = new Thread(() -> cache.get("hot", loader));
    filler.start();
    while (filler.isAlive()) {
      if (loadDue.get() != NONE) {
        clock.advance(Duration.ofMillis(1));
      }
      LockSupport.parkNanos(50_000);
    }
    long missesAfterFill = cache.misses();
    long waitsAfterFill = cache.waits();
    assertEquals(1, missesAfterFill);

    Phaser phaser = new Phaser(READERS + 1);
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    long steps = TTLS * TTL.toMillis();
    AtomicLong maxAgeSeen = new AtomicLong();
    for (int r = 0; r < READERS; r++) {
      Thread reader = new Thread(() -> {
        try {
          for (long s = 0; s < steps; s++) {
            phaser.arriveAndAwaitAdvance(); // step starts
            for (int i = 0; i < READS_PER_STEP; i++) {
              Lookup<Long> l = cache.lookup("hot", loader);
              if (l.stale()) {
                errors.add(new AssertionError("stale value served at step " + s));
              }
              maxAgeSeen.accumulateAndGet(l.value(), Math::max);
            }
            phaser.arriveAndAwaitAdvance(); // step ends
          }
        } catch (Throwable e) {
          errors.add(e);
          phaser.forceTermination();
        }
      });
      reader.setDaemon(true);
      reader.start();
    }
    try {
      for (long s = 0; s < steps && !phaser.isTerminated(); s++) {
        phaser.arriveAndAwaitAdvance();
        phaser.arriveAndAwaitAdvance();
        // Time stands still while a load is launched but its thread has not started it yet
        // (loadDue still MAX), and while a load whose virtual time is up finishes: so how the
        // shared machine schedules the executor thread cannot change the outcome.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cache.inFlight() > 0
            && (loadDue.get() == NONE || clock.nanoTime() - loadDue.get() >= 0)
            && System.nanoTime() - deadline < 0) {
          LockSupport.parkNanos(20_000);
        }
        clock.advance(Duration.ofMillis(1));
      }
    } finally {
      refresher.shutdownNow();
    }
    assertEquals(List.of(), List.copyOf(errors));
    assertEquals(missesAfterFill, cache.misses(), "no reader missed after the first fill");
    assertEquals(waitsAfterFill, cache.waits(), "no reader waited after the first fill");
    assertEquals((long) READERS * READS_PER_STEP * steps, cache.hits());
    long refreshes = cache.earlyRefreshes();
    // A refresh is due between 0.4 and 1 TTL after a load (a lifetime of 0.9 to 1 TTL, less a
    // window of up to half a TTL): about 0.7 TTL apart on average.
    assertTrue(refreshes >= TTLS - 1 && refreshes <= TTLS * 5 / 2,
        "about one refresh per TTL: " + refreshes + " in " + TTLS + " TTLs");
    assertTrue(loads.get() >= refreshes && loads.get() <= refreshes + 2,
        "loads " + loads.get() + " = first fill + refreshes " + refreshes);
    assertTrue(maxAgeSeen.get() >= TTLS - 1, "values kept being replaced");
  }
}
