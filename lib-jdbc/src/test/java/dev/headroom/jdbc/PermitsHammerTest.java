package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PermitsHammerTest {

  static final int THREADS = 8;
  private static final int ROUNDS = 20_000;

  @Test
  void neverGrantsMoreThanTheLimitAndCountsExactly() throws Exception {
    int limit = 3;
    Permits permits = new Permits(limit);
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger maxHolders = new AtomicInteger();
    AtomicLong granted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    run(() -> {
      for (int i = 0; i < ROUNDS; i++) {
        if (permits.acquire(TimeUnit.MILLISECONDS.toNanos(50))) {
          int now = holders.incrementAndGet();
          maxHolders.accumulateAndGet(now, Math::max);
          if (ThreadLocalRandom.current().nextInt(16) == 0) {
            Thread.yield();
          }
          holders.decrementAndGet();
          permits.release();
          granted.incrementAndGet();
        } else {
          refused.incrementAndGet();
        }
      }
    });
    assertEquals((long) THREADS * ROUNDS, granted.get() + refused.get(), "every attempt counted");
    assertTrue(maxHolders.get() <= limit, "holders " + maxHolders.get() + " > limit " + limit);
    PermitsInvariants.checkQuiescent(permits, limit, 0);
  }

  @Test
  void resizingUnderLoadLosesNoPermitAndNoWaiter() throws Exception {
    Permits permits = new Permits(2);
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger maxHolders = new AtomicInteger();
    AtomicLong granted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    CountDownLatch workersDone = new CountDownLatch(THREADS);
    Thread resizer = new Thread(() -> {
      int[] limits = {1, 4, 2, 6, 3};
      int i = 0;
      while (workersDone.getCount() > 0) {
        permits.setLimit(limits[i++ % limits.length]);
        Thread.yield();
      }
    });
    resizer.start();
    run(() -> {
      try {
        for (int i = 0; i < ROUNDS / 4; i++) {
          if (permits.acquire(TimeUnit.MILLISECONDS.toNanos(200))) {
            maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
            holders.decrementAndGet();
            permits.release();
            granted.incrementAndGet();
          } else {
            refused.incrementAndGet();
          }
        }
      } finally {
        workersDone.countDown();
      }
    });
    resizer.join(TimeUnit.SECONDS.toMillis(10));
    assertEquals((long) THREADS * (ROUNDS / 4), granted.get() + refused.get());
    assertTrue(maxHolders.get() <= 6, "holders " + maxHolders.get() + " above every limit");
    permits.setLimit(5);
    PermitsInvariants.checkQuiescent(permits, 5, 0);
  }

  interface Body {
    void run() throws Exception;
  }

  static void run(Body body) throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < THREADS; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
          body.run();
        } catch (Throwable e) {
          synchronized (errors) {
            errors.add(e);
          }
        }
      });
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertTrue(!thread.isAlive(), "worker finished");
    }
    if (!errors.isEmpty()) {
      AssertionError failure = new AssertionError("worker failed");
      errors.forEach(failure::addSuppressed);
      throw failure;
    }
  }
}
