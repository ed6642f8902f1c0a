package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PermitsTest {

  @Test
  void grantsUpToTheLimitThenRefuses() {
    Permits permits = new Permits(3);
    assertTrue(permits.tryAcquire());
    assertTrue(permits.tryAcquire());
    assertTrue(permits.tryAcquire());
    assertFalse(permits.tryAcquire());
    PermitsInvariants.checkQuiescent(permits, 3, 3);
    permits.release();
    PermitsInvariants.checkQuiescent(permits, 3, 2);
  }

  @Test
  void releaseWithoutAcquireIsReportedAndChangesNothing() {
    Permits permits = new Permits(2);
    IllegalStateException e = assertThrows(IllegalStateException.class, permits::release);
    assertEquals("permits released more often than acquired", e.getMessage());
    PermitsInvariants.checkQuiescent(permits, 2, 0);
  }

  @Test
  void shrinkRefusesNewPermitsAtOnceAndDrains() {
    Permits permits = new Permits(4);
    for (int i = 0; i < 4; i++) {
      assertTrue(permits.tryAcquire());
    }
    permits.setLimit(2);
    PermitsInvariants.checkQuiescent(permits, 2, 4);
    permits.release();
    permits.release();
    PermitsInvariants.checkQuiescent(permits, 2, 2);
    permits.release();
    PermitsInvariants.checkQuiescent(permits, 2, 1);
  }

  @Test
  void zeroTimeoutNeverWaits() throws InterruptedException {
    Permits permits = new Permits(1);
    assertTrue(permits.acquire(0));
    assertFalse(permits.acquire(0));
    PermitsInvariants.checkQuiescent(permits, 1, 1);
  }

  @Test
  void boundedWaitGivesUpAndLeavesNoWaiter() throws InterruptedException {
    Permits permits = new Permits(1);
    assertTrue(permits.tryAcquire());
    assertFalse(permits.acquire(TimeUnit.MILLISECONDS.toNanos(20)));
    PermitsInvariants.checkQuiescent(permits, 1, 1);
  }

  @Test
  void waiterIsWokenByRelease() throws Exception {
    Permits permits = new Permits(1);
    assertTrue(permits.tryAcquire());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Boolean> waiter = pool.submit(() -> permits.acquire(TimeUnit.SECONDS.toNanos(10)));
      awaitWaiting(permits, 1);
      permits.release();
      assertTrue(waiter.get(10, TimeUnit.SECONDS));
      PermitsInvariants.checkQuiescent(permits, 1, 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void growWakesAsManyWaitersAsThereAreNewPermits() throws Exception {
    Permits permits = new Permits(1);
    assertTrue(permits.tryAcquire());
    int waiters = 3;
    ExecutorService pool = Executors.newFixedThreadPool(waiters);
    try {
      CountDownLatch granted = new CountDownLatch(waiters);
      for (int i = 0; i < waiters; i++) {
        pool.execute(() -> {
          try {
            if (permits.acquire(TimeUnit.SECONDS.toNanos(10))) {
              granted.countDown();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      awaitWaiting(permits, waiters);
      permits.setLimit(1 + waiters);
      assertTrue(granted.await(10, TimeUnit.SECONDS), "every waiter was granted");
      pool.shutdown();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
      PermitsInvariants.checkQuiescent(permits, 1 + waiters, 1 + waiters);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void interruptedWaiterLeavesWithoutAPermit() throws Exception {
    Permits permits = new Permits(1);
    assertTrue(permits.tryAcquire());
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> permits.acquire(TimeUnit.SECONDS.toNanos(10)));
    assertFalse(Thread.currentThread().isInterrupted(), "the interrupt was consumed");
    PermitsInvariants.checkQuiescent(permits, 1, 1);
  }

  static void awaitWaiting(Permits permits, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (permits.waiting() < count) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("expected " + count + " waiting, was " + permits.waiting());
      }
      Thread.sleep(1);
    }
  }
}
