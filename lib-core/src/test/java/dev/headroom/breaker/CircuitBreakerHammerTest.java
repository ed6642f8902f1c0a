package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Eight threads, two million calls with random outcomes, on a clock the threads advance
 * themselves so that the breaker cycles through all its states many times. Checks exact
 * per-outcome totals, that no transition is lost or doubled, and that listeners see a legal
 * sequence and are never called concurrently.
 */
class CircuitBreakerHammerTest {

  private static final int THREADS = 8;
  private static final int CALLS_PER_THREAD = 250_000;
  private static final long MS = 1_000_000L;

  /** Outcome slots in the per-thread tallies. */
  private static final int SUCCESS = 0;
  private static final int SLOW = 1;
  private static final int FAILURE = 2;
  private static final int IGNORED = 3;
  private static final int REJECTED = 4;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void exactTotalsAndALegalTransitionSequence() throws Exception {
    ManualClock clock = new ManualClock();
    AtomicInteger listenersInside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    RecordingListener recorder = new RecordingListener();
    BreakerListener guard = new BreakerListener() {
      @Override
      public void onTransition(CircuitBreaker breaker, BreakerState from, BreakerState to) {
        if (listenersInside.incrementAndGet() != 1) {
          overlaps.incrementAndGet();
        }
        recorder.onTransition(breaker, from, to);
        listenersInside.decrementAndGet();
      }

      @Override
      public void onRampStep(CircuitBreaker breaker, int step, double fraction) {
        if (listenersInside.incrementAndGet() != 1) {
          overlaps.incrementAndGet();
        }
        recorder.onRampStep(breaker, step, fraction);
        listenersInside.decrementAndGet();
      }
    };
    CircuitBreaker breaker = CircuitBreaker.builder("hammer").clock(clock)
        .consecutiveFailures(5)
        .failureRateThreshold(0.5)
        .slowCallRateThreshold(0.9)
        .slowCallThreshold(Duration.ofMillis(100))
        .minimumCalls(20)
        .window(Duration.ofMillis(100), 10)
        .openDuration(Duration.ofMillis(2))
        .relapseBackoff(2.0, Duration.ofMillis(20))
        .openJitter(0.1)
        .rampSteps(0.1, 0.5, 1.0)
        .rampStep(Duration.ofMillis(1), 3)
        .ignore(IllegalStateException.class)
        .listener(guard)
        .build();

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<long[]>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      long seed = 42L + t;
      futures.add(pool.submit(() -> {
        SplittableRandom random = new SplittableRandom(seed);
        long[] tally = new long[5];
        IOException down = new IOException("down");
        IllegalStateException cancelled = new IllegalStateException("cancelled");
        start.await();
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          long now = clock.advance(1_000L); // 1 us per call and thread
          // The dependency is down one 20 ms period in three.
          boolean dependencyDown = (now / (20 * MS)) % 3 == 0;
          long permit = breaker.tryAcquire();
          if (permit == CircuitBreaker.REJECTED) {
            tally[REJECTED]++;
            continue;
          }
          int roll = random.nextInt(100);
          if (roll == 0) {
            breaker.onFailure(permit, MS, cancelled);
            tally[IGNORED]++;
          } else if (roll < (dependencyDown ? 90 : 3)) {
            breaker.onFailure(permit, MS, down);
            tally[FAILURE]++;
          } else if (roll < (dependencyDown ? 95 : 5)) {
            breaker.onSuccess(permit, 150 * MS);
            tally[SLOW]++;
          } else {
            breaker.onSuccess(permit, MS);
            tally[SUCCESS]++;
          }
        }
        return tally;
      }));
    }
    start.countDown();
    long[] total = new long[5];
    for (Future<long[]> f : futures) {
      long[] tally = f.get(100, TimeUnit.SECONDS);
      for (int i = 0; i < total.length; i++) {
        total[i] += tally[i];
      }
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));

    assertEquals((long) THREADS * CALLS_PER_THREAD,
        total[SUCCESS] + total[SLOW] + total[FAILURE] + total[IGNORED] + total[REJECTED]);
    assertEquals(total[SUCCESS], breaker.successCount());
    assertEquals(total[SLOW], breaker.slowCount());
    assertEquals(total[FAILURE], breaker.failureCount());
    assertEquals(total[IGNORED], breaker.ignoredCount());
    assertEquals(total[REJECTED], breaker.rejectedCount());

    // Transitions: delivered once each, in order, never concurrently.
    assertEquals(0, overlaps.get());
    List<String> events = recorder.events();
    assertEquals(breaker.generation() - breaker.restartCount(), events.size(),
        "one event per phase change, none for a silent restart of step 0");
    List<String> transitions = recorder.transitions();
    BreakerInvariants.checkSequence(transitions, false);
    for (BreakerState s : BreakerState.values()) {
      long seen = transitions.stream().filter(t -> t.endsWith(">" + s)).count();
      assertEquals(breaker.transitionCount(s), seen, "transitions to " + s);
    }
    // The run exercised the whole machine.
    assertTrue(breaker.transitionCount(BreakerState.OPEN) >= 10, transitions.toString());
    assertTrue(breaker.transitionCount(BreakerState.CLOSED) >= 10, transitions.toString());
    assertTrue(transitions.contains("HALF_OPEN>OPEN"), "no relapse in " + transitions.size());
    assertTrue(events.stream().anyMatch(e -> e.startsWith("step ")));
    BreakerInvariants.check(breaker);
  }
}
