package dev.headroom.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.Priority;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many threads, random outcomes (seeded per thread), some permits completed twice and some by
 * a second thread racing the first: afterwards every breaker permit and every limit slot must
 * have been given back exactly once.
 */
class GuardHammerTest {

  private static final int THREADS = 4;
  private static final int CALLS = 20_000;

  @Test
  void permitsBalanceUnderConcurrency() throws Exception {
    ManualClock clock = new ManualClock();
    Guard guard = Guard.builder("db").clock(clock)
        .breaker(BreakerConfig.builder().consecutiveFailures(50).build())
        .limit(LimitPolicy.fixed(64))
        .deadline(DeadlinePolicy.adaptive().floor(Duration.ofMillis(1)).build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < THREADS; t++) {
        long seed = 1000 + t;
        futures.add(pool.submit(() -> {
          SplittableRandom random = new SplittableRandom(seed);
          start.await();
          for (int i = 0; i < CALLS; i++) {
            Priority priority = Priority.values()[random.nextInt(4)];
            GuardPermit p = guard.tryAcquire(priority);
            clock.advance(random.nextInt(1, 50_000));
            if (random.nextInt(1000) == 0) {
              guard.breaker().reset();
            }
            switch (random.nextInt(8)) {
              case 0 -> p.onTimeout();
              case 1 -> p.onOverload();
              case 2 -> p.onFailure(new IOException("reset"));
              case 3 -> p.onFailure(new SocketTimeoutException());
              case 4 -> p.onIgnore();
              case 5 -> {
                // Two completions racing on two threads.
                Thread other = new Thread(p::onTimeout);
                other.start();
                p.onSuccess();
                other.join();
              }
              default -> p.onSuccess();
            }
            p.close();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    long total = (long) THREADS * CALLS;
    long sum = 0;
    for (Guard.Outcome o : Guard.Outcome.values()) {
      sum += guard.count(o);
    }
    assertEquals(total, sum);
    assertEquals(0, guard.limit().inFlight());
    long admittedByLimit = 0;
    for (Priority p : Priority.values()) {
      admittedByLimit += guard.limit().admitted(p);
    }
    long rejectedBreaker = guard.count(Guard.Outcome.REJECTED_BREAKER);
    long rejectedLimit = guard.count(Guard.Outcome.REJECTED_LIMIT);
    assertEquals(total - rejectedBreaker - rejectedLimit, admittedByLimit);
    CircuitBreaker b = guard.breaker();
    assertEquals(rejectedBreaker, b.rejectedCount());
    // Every breaker permit (admitted calls plus those the limit refused) was completed once.
    assertEquals(total - rejectedBreaker, b.successCount() + b.slowCount() + b.failureCount()
        + b.ignoredCount());
    RecordingMeterSink sink = new RecordingMeterSink();
    guard.limit().describeMeters(sink);
    double completed = sink.value("headroom.shed.completed", "outcome", "success")
        + sink.value("headroom.shed.completed", "outcome", "dropped")
        + sink.value("headroom.shed.completed", "outcome", "ignored");
    assertEquals(admittedByLimit, (long) completed);
    assertTrue(guard.count(Guard.Outcome.SUCCESS) > 0);
  }
}
