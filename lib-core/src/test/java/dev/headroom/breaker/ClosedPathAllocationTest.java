package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.NanoClock;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The closed state's permission and outcome path allocates nothing, including across window
 * bucket boundaries, slow calls, failures below the trip rules and the adaptive threshold's
 * learning. Measured with the JVM's per-thread allocation counter, not with timers.
 */
class ClosedPathAllocationTest {

  private static final long MS = 1_000_000L;

  @Test
  void regressionClosedCallsAllocateNothing() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot measure allocation");
    threads.setThreadAllocatedMemoryEnabled(true);
    // A hand-driven clock, advanced below without going through ManualClock.
    long[] now = {ManualClock.DEFAULT_START};
    NanoClock clock = NanoClock.of(() -> now[0]);
    CircuitBreaker breaker = CircuitBreaker.builder("alloc").clock(clock)
        .consecutiveFailures(5)
        .failureRateThreshold(0.9)
        .slowCallRateThreshold(0.9)
        .minimumCalls(50)
        .window(Duration.ofSeconds(1), 10)
        .build();
    IOException failure = new IOException("down");
    // Rounds until the JIT has compiled the path: interpreted VarHandle calls allocate while
    // warming up, compiled ones do not. A path that allocated per call would allocate in every
    // round, so the quietest round is the measure.
    long tid = Thread.currentThread().getId();
    long quietest = Long.MAX_VALUE;
    for (int round = 0; round < 20 && quietest > 0; round++) {
      long before = threads.getThreadAllocatedBytes(tid);
      run(breaker, now, failure, 100_000);
      quietest = Math.min(quietest, threads.getThreadAllocatedBytes(tid) - before);
    }
    assertEquals(BreakerState.CLOSED, breaker.state());
    assertEquals(0L, quietest, "bytes allocated by 100,000 closed calls");
  }

  private static void run(CircuitBreaker b, long[] now, IOException failure, int calls) {
    for (int i = 0; i < calls; i++) {
      now[0] += 50_000L; // 50 us a call: a new 100 ms bucket every 2,000 calls
      long permit = b.tryAcquire();
      int k = i % 10;
      if (k == 0) {
        b.onFailure(permit, MS, failure);
      } else if (k == 1) {
        b.onSuccess(permit, 2_000 * MS); // slow
      } else {
        b.onSuccess(permit, (1 + k) * MS);
      }
    }
  }
}
