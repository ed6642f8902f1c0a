package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bounded waiting: per-priority FIFO queues, highest priority first, CoDel-like shedding. */
@Timeout(20)
class WaitingQueueTest {

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
  }

  private static LoadShedder.Builder oneSlot(NanoClock clock, Duration maxWait) {
    return LoadShedder.builder("q").limit(LimitPolicy.fixed(1)).clock(clock)
        .share(Priority.LOW, 1.0).share(Priority.NORMAL, 1.0).share(Priority.HIGH, 1.0)
        .maxWait(maxWait);
  }

  private CompletableFuture<Permit> waitFor(LoadShedder shedder, Priority priority) {
    return CompletableFuture.supplyAsync(() -> shedder.tryAcquire(priority), pool);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
      Thread.sleep(1);
    }
  }

  @Test
  void aWaiterGetsTheSlotWhenItIsReleased() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofSeconds(10)).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    CompletableFuture<Permit> waiter = waitFor(shedder, Priority.NORMAL);
    await(() -> shedder.waiting() == 1, "one waiter");
    assertFalse(waiter.isDone());
    held.onSuccess();
    Permit granted = waiter.get(10, TimeUnit.SECONDS);
    assertTrue(granted.isAdmitted());
    assertEquals(1, shedder.inFlight());
    assertEquals(0, shedder.waiting());
    granted.onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void waitersAreServedHighestPriorityFirstThenFifo() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofSeconds(10)).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    List<String> order = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    String[] names = {"low-1", "normal-1", "low-2", "high-1", "normal-2"};
    Priority[] priorities = {Priority.LOW, Priority.NORMAL, Priority.LOW, Priority.HIGH,
        Priority.NORMAL};
    for (int i = 0; i < names.length; i++) {
      String name = names[i];
      Priority priority = priorities[i];
      int expected = i + 1;
      all.add(CompletableFuture.runAsync(() -> {
        Permit permit = shedder.tryAcquire(priority);
        assertTrue(permit.isAdmitted(), name);
        order.add(name);
        permit.onSuccess();
      }, pool));
      await(() -> shedder.queued() == expected, expected + " waiters");
    }
    held.onSuccess();
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
    assertEquals(List.of("high-1", "normal-1", "normal-2", "low-1", "low-2"), order);
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void aWaiterThatGetsNoSlotInTimeIsShedWithQueueTimeout() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofMillis(30)).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    Permit refused = waitFor(shedder, Priority.HIGH).get(10, TimeUnit.SECONDS);
    assertEquals(ShedReason.QUEUE_TIMEOUT, refused.reason());
    assertEquals(0, shedder.waiting());
    assertEquals(1, shedder.rejected(Priority.HIGH, ShedReason.QUEUE_TIMEOUT));
    // The abandoned entry is skipped, never granted a slot.
    held.onSuccess();
    ShedInvariants.checkDrained(shedder);
    Permit next = shedder.tryAcquire(Priority.HIGH);
    assertTrue(next.isAdmitted());
    next.onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void aFullQueueShedsAtOnce() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofSeconds(10)).queueCapacity(2)
        .build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    CompletableFuture<Permit> first = waitFor(shedder, Priority.LOW);
    CompletableFuture<Permit> second = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 2, "two waiters");
    Permit refused = shedder.tryAcquire(Priority.LOW);
    assertEquals(ShedReason.QUEUE_FULL, refused.reason());
    assertTrue(refused.retryAfter().compareTo(Duration.ofSeconds(10)) > 0,
        "queue refusals add the maximum wait to the hint");
    held.onSuccess();
    first.get(10, TimeUnit.SECONDS).onSuccess();
    second.get(10, TimeUnit.SECONDS).onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void regressionAbandonedEntriesDoNotFillTheQueue() throws Exception {
    ManualClock clock = new ManualClock();
    LoadShedder shedder = oneSlot(clock, Duration.ofMillis(50)).queueCapacity(2).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    CompletableFuture<Permit> a = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 1, "a queued");
    CompletableFuture<Permit> b = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 2, "b queued");
    clock.advance(Duration.ofMillis(100)); // both time out; their entries stay queued
    assertEquals(ShedReason.QUEUE_TIMEOUT, a.get(10, TimeUnit.SECONDS).reason());
    assertEquals(ShedReason.QUEUE_TIMEOUT, b.get(10, TimeUnit.SECONDS).reason());
    assertEquals(0, shedder.waiting());
    assertEquals(2, shedder.queued());
    // A new waiter is not refused as QUEUE_FULL: the dead entries are skipped to make room.
    CompletableFuture<Permit> c = waitFor(shedder, Priority.LOW);
    await(() -> shedder.waiting() == 1 || c.isDone(), "c waiting");
    clock.advance(Duration.ofMillis(100));
    assertEquals(ShedReason.QUEUE_TIMEOUT, c.get(10, TimeUnit.SECONDS).reason());
    assertEquals(0, shedder.rejected(Priority.LOW, ShedReason.QUEUE_FULL));
    held.onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void criticalNeverWaits() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofSeconds(10)).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    CompletableFuture<Permit> waiter = waitFor(shedder, Priority.HIGH);
    await(() -> shedder.waiting() == 1, "one waiter");
    Permit critical = shedder.tryAcquire(Priority.CRITICAL);
    assertTrue(critical.isAdmitted());
    critical.onSuccess();
    held.onSuccess();
    waiter.get(10, TimeUnit.SECONDS).onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void anInterruptedWaiterIsShedAndKeepsItsInterrupt() throws Exception {
    LoadShedder shedder = oneSlot(NanoClock.system(), Duration.ofSeconds(10)).build();
    Permit held = shedder.tryAcquire(Priority.HIGH);
    CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
    CompletableFuture<Permit> result = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      result.complete(shedder.tryAcquire(Priority.LOW));
      interruptedAfter.complete(Thread.currentThread().isInterrupted());
    });
    waiter.start();
    await(() -> shedder.waiting() == 1, "one waiter");
    waiter.interrupt();
    assertEquals(ShedReason.INTERRUPTED, result.get(10, TimeUnit.SECONDS).reason());
    assertTrue(interruptedAfter.get(10, TimeUnit.SECONDS));
    held.onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  /**
   * CoDel-like: once LOW's queueing delay has stayed above target for an interval, a new LOW
   * request is shed at once (QUEUE_DELAY) instead of joining the standing queue, while HIGH
   * still queues and is served first.
   */
  @Test
  void aStandingQueueIsShedInsteadOfJoined() throws Exception {
    ManualClock clock = new ManualClock();
    LoadShedder shedder = oneSlot(clock, Duration.ofSeconds(100))
        .queueDelayTarget(Duration.ofMillis(5)).queueDelayInterval(Duration.ofMillis(20))
        .build();
    Permit held = shedder.tryAcquire(Priority.NORMAL);
    CompletableFuture<Permit> low1 = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 1, "low-1 waiting");
    CompletableFuture<Permit> low2 = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 2, "low-2 waiting");
    CompletableFuture<Permit> low3 = waitFor(shedder, Priority.LOW);
    await(() -> shedder.queued() == 3, "low-3 waiting");
    clock.advance(Duration.ofMillis(10));
    held.onSuccess(); // low-1 granted after 10 ms > target, queue not empty: interval starts
    Permit first = low1.get(10, TimeUnit.SECONDS);
    clock.advance(Duration.ofMillis(30));
    first.onSuccess(); // low-2 granted after 40 ms, past the interval: LOW is dropping
    Permit second = low2.get(10, TimeUnit.SECONDS);
    assertTrue(second.isAdmitted());

    Permit shed = shedder.tryAcquire(Priority.LOW);
    assertEquals(ShedReason.QUEUE_DELAY, shed.reason());
    assertEquals(1, shedder.rejected(Priority.LOW, ShedReason.QUEUE_DELAY));

    CompletableFuture<Permit> high = waitFor(shedder, Priority.HIGH);
    await(() -> shedder.queued() == 2, "high waiting beside low-3");
    second.onSuccess();
    Permit highPermit = high.get(10, TimeUnit.SECONDS);
    assertTrue(highPermit.isAdmitted(), "HIGH is not dropping and goes first");
    assertFalse(low3.isDone());
    highPermit.onSuccess();
    low3.get(10, TimeUnit.SECONDS).onSuccess();
    ShedInvariants.checkDrained(shedder);

    // The LOW queue emptied, so LOW queues again.
    Permit again = shedder.tryAcquire(Priority.LOW);
    assertTrue(again.isAdmitted());
    again.onSuccess();
  }
}
