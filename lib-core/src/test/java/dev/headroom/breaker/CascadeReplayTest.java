package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The incident, replayed at one tenth of real time: a read replica with a few connections
 * answers in 2 ms (20 ms), then in 80 ms (800 ms); eight callers each give a call a 150 ms
 * (1.5 s) deadline and serve cached data through the breaker's fallback. The breaker must open,
 * callers must then fail fast without waiting on the replica, and once the replica recovers
 * the ramp must bring traffic back step by step.
 */
class CascadeReplayTest {

  private static final int CALLERS = 8;

  /** A replica with 2 connections and a latency that can change. */
  static final class Replica {
    final Semaphore connections = new Semaphore(2);
    volatile long latencyMillis = 2;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong entries = new AtomicLong();

    String load(int id, long deadlineNanos) throws Exception {
      inFlight.incrementAndGet();
      entries.incrementAndGet();
      try {
        long wait = deadlineNanos - System.nanoTime();
        if (wait <= 0 || !connections.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
          throw new TimeoutException("deadline exceeded waiting for a connection");
        }
        try {
          long latency = TimeUnit.MILLISECONDS.toNanos(latencyMillis);
          long left = deadlineNanos - System.nanoTime();
          if (latency > left) {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, left));
            throw new TimeoutException("deadline exceeded");
          }
          TimeUnit.NANOSECONDS.sleep(latency);
          return "member-" + id;
        } finally {
          connections.release();
        }
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  private static void await(BooleanSupplier condition, long timeoutMillis, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void breakerOpensCallersFailFastAndTheRampBringsTrafficBack() throws Exception {
    Replica replica = new Replica();
    RecordingListener listener = new RecordingListener();
    CircuitBreaker breaker = CircuitBreaker.builder("replica-db")
        .clock(NanoClock.system())
        .consecutiveFailures(5)
        .failureRateThreshold(0.5)
        .slowCallRateThreshold(0.5)
        .minimumCalls(10)
        .window(Duration.ofSeconds(1), 10)
        .openDuration(Duration.ofSeconds(1))
        .rampStep(Duration.ofMillis(100), 3)
        .listener(listener)
        .build();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong served = new AtomicLong();
    AtomicLong fromCache = new AtomicLong();
    AtomicLong rejectedFast = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int c = 0; c < CALLERS; c++) {
      int caller = c;
      Thread t = new Thread(() -> {
        int id = 0;
        while (running.get()) {
          long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
          int member = caller * 1_000_000 + id++;
          String value = breaker.call(() -> replica.load(member, deadline), error -> {
            if (error instanceof CallNotPermittedException) {
              rejectedFast.incrementAndGet();
            }
            return "cached-" + member;
          });
          (value.startsWith("cached-") ? fromCache : served).incrementAndGet();
          try {
            Thread.sleep(1); // a caller's think time; also keeps rejected callers from spinning
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "caller-" + c);
      t.setDaemon(true);
      callers.add(t);
      t.start();
    }
    try {
      // Healthy: the breaker learns the 2 ms latency and stays closed.
      await(() -> served.get() >= 200, 10_000, "healthy traffic");
      assertEquals(BreakerState.CLOSED, breaker.state());

      // The replica slows to 80 ms: queueing on 2 connections blows the 150 ms deadline.
      replica.latencyMillis = 80;
      await(() -> breaker.state() == BreakerState.OPEN, 10_000, "the breaker to open");

      // Calls admitted before the trip drain within their deadline; from then on, while open,
      // no caller enters the replica and every call is served from the cache at once.
      await(() -> replica.inFlight.get() == 0 || breaker.state() != BreakerState.OPEN, 5_000,
          "in-flight calls to drain");
      long entriesWhenDrained = replica.entries.get();
      long rejectedWhenDrained = rejectedFast.get();
      int samples = 0;
      while (breaker.state() == BreakerState.OPEN && samples < 300) {
        assertEquals(0, replica.inFlight.get(), "a caller waits on the replica while open");
        samples++;
        Thread.sleep(1);
      }
      assertTrue(samples > 0, "the breaker left OPEN before in-flight calls drained");
      if (breaker.state() == BreakerState.OPEN) {
        assertEquals(entriesWhenDrained, replica.entries.get());
      }
      assertTrue(rejectedFast.get() > rejectedWhenDrained, "callers were not rejected");

      // The replica recovers; the ramp brings traffic back in steps and closes.
      replica.latencyMillis = 2;
      await(() -> breaker.state() == BreakerState.CLOSED, 20_000, "the ramp to close");
    } finally {
      running.set(false);
      for (Thread t : callers) {
        t.join(5_000);
      }
    }
    List<String> events = listener.events();
    int opened = events.indexOf("CLOSED>OPEN");
    assertTrue(opened >= 0, events.toString());
    List<String> recovery = events.subList(events.lastIndexOf("OPEN>HALF_OPEN"), events.size());
    assertEquals(List.of("OPEN>HALF_OPEN", "step 1 @ 0.5", "step 2 @ 1.0", "HALF_OPEN>CLOSED"),
        recovery, events.toString());
    assertTrue(fromCache.get() > 0);
  }
}
