package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Threads hammer one shedder with random priorities, outcomes and repeated completions. Totals
 * must add up exactly, CRITICAL is never shed, the limit is never passed other than through
 * CRITICAL, and everything returns to zero.
 */
@Timeout(60)
class LoadShedderHammerTest {

  private static final int THREADS = 4;
  private static final int CALLS = 40_000;
  private static final int LIMIT = 8;

  @Test
  void totalsAddUpWithoutWaiting() throws Exception {
    LoadShedder shedder = LoadShedder.builder("hammer").limit(LimitPolicy.fixed(LIMIT))
        .clock(NanoClock.system()).build();
    hammer(shedder, CALLS, LIMIT);
    assertEquals(0, queueRefusals(shedder), "no queue, no queue refusals");
  }

  /**
   * A limit large enough for stripe admissions (two stripes, two threads each, a quota of 3),
   * small enough that the threads' held permits cross the ceiling and the limit: admissions
   * move between stripes and exact counting throughout.
   */
  @Test
  void totalsAddUpAcrossStripesAndExactCounting() throws Exception {
    int limit = 24;
    LoadShedder shedder = LoadShedder.builder("stripes").limit(LimitPolicy.fixed(limit))
        .clock(NanoClock.system()).stripes(2).build();
    hammer(shedder, CALLS, limit);
  }

  /**
   * An adaptive limit whose bands open and close while threads admit across stripes and exact
   * counting: the threads alternate light phases (one permit held each, no pressure: the bands
   * open, LOW's capacity becomes the limit, and the stripes' quota grows) and heavy ones (up
   * to twelve each: HIGH and NORMAL are refused and the bands close). The limit itself is held
   * at 24 (minimum = maximum), so that "never past the limit other than through CRITICAL"
   * stays checkable while the capacities move under the admissions.
   */
  @Test
  void totalsAddUpWhileTheBandsOpenAndClose() throws Exception {
    int limit = 24;
    LoadShedder shedder = LoadShedder.builder("bands").clock(NanoClock.system()).stripes(2)
        .limit(LimitPolicy.gradient().initialLimit(limit).minLimit(limit).maxLimit(limit)
            .window(Duration.ofMillis(2)).minSamples(4).build())
        .build();
    AtomicBoolean done = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<String> disordered =
        new java.util.concurrent.atomic.AtomicReference<>();
    double[] seen = {Double.MAX_VALUE, 0.0};
    Thread monitor = new Thread(() -> {
      while (!done.get()) {
        double open = shedder.bandsOpen();
        seen[0] = Math.min(seen[0], open);
        seen[1] = Math.max(seen[1], open);
        int[] c = shedder.capacitySnapshot(); // one array: the capacities of one instant
        if (!(c[1] <= limit && c[1] >= c[2] && c[2] >= c[3] && c[3] >= 1)) {
          disordered.set(java.util.Arrays.toString(c));
        }
        Thread.onSpinWait();
      }
    });
    monitor.start();
    try {
      hammer(shedder, CALLS, limit, true);
    } finally {
      done.set(true);
      monitor.join(5_000);
    }
    assertEquals(null, disordered.get(), "capacities out of order");
    assertEquals(0.0, seen[0], "the bands never closed");
    assertEquals(1.0, seen[1], "the bands never opened all the way");
  }

  @Test
  void totalsAddUpWithBoundedWaiting() throws Exception {
    LoadShedder shedder = LoadShedder.builder("hammer").limit(LimitPolicy.fixed(LIMIT))
        .clock(NanoClock.system()).maxWait(Duration.ofMillis(2)).queueCapacity(4)
        .queueDelayTarget(Duration.ofMillis(1)).queueDelayInterval(Duration.ofMillis(5))
        .build();
    hammer(shedder, CALLS / 8, LIMIT);
    assertTrue(queueRefusals(shedder) > 0, "the queues were never exercised");
  }

  /**
   * With atomicCompletion, two threads completing the same permits at the same instant
   * release each exactly once.
   */
  @Test
  void racingCompletionsReleaseOnceWithAtomicCompletion() throws Exception {
    LoadShedder shedder = LoadShedder.builder("race").limit(LimitPolicy.fixed(100_000))
        .clock(NanoClock.system()).atomicCompletion(true).build();
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    int batch = 2_000;
    int batches = 20;
    for (int round = 0; round < batches; round++) {
      Permit[] permits = new Permit[batch];
      for (int i = 0; i < batch; i++) {
        permits[i] = shedder.tryAcquire(Priority.NORMAL);
      }
      CountDownLatch go = new CountDownLatch(1);
      Future<?> a = pool.submit(() -> {
        go.await();
        for (Permit p : permits) {
          p.onSuccess();
        }
        return null;
      });
      Future<?> b = pool.submit(() -> {
        go.await();
        for (Permit p : permits) {
          p.onDropped();
        }
        return null;
      });
      go.countDown();
      a.get(20, TimeUnit.SECONDS);
      b.get(20, TimeUnit.SECONDS);
      assertEquals(0, shedder.inFlight(), "round " + round);
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
    double completed = sink.value("headroom.shed.completed", "outcome", "success")
        + sink.value("headroom.shed.completed", "outcome", "dropped");
    assertEquals((double) batch * batches, completed);
    ShedInvariants.checkDrained(shedder);
  }

  private static long queueRefusals(LoadShedder shedder) {
    long n = 0;
    for (Priority p : Priority.values()) {
      n += shedder.rejected(p, ShedReason.QUEUE_FULL) + shedder.rejected(p, ShedReason.QUEUE_TIMEOUT)
          + shedder.rejected(p, ShedReason.QUEUE_DELAY);
    }
    return n;
  }

  private static void complete(Permit permit, SplittableRandom random,
      AtomicInteger nonCritical, LongAdder[] outcomes) {
    if (permit.priority() != Priority.CRITICAL) {
      nonCritical.decrementAndGet(); // before the release, so the count never runs ahead
    }
    int outcome = random.nextInt(4);
    switch (outcome) {
      case 0 -> permit.onSuccess();
      case 1 -> permit.onDropped();
      case 2 -> permit.onIgnore();
      default -> permit.close();
    }
    outcomes[Math.min(outcome, 2)].increment();
    if (random.nextInt(4) == 0) {
      permit.onSuccess(); // repeated completion: must do nothing
    }
  }

  private static void hammer(LoadShedder shedder, int calls, int limit) throws Exception {
    hammer(shedder, calls, limit, false);
  }

  private static void hammer(LoadShedder shedder, int calls, int limit, boolean phased)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    Map<Priority, LongAdder> offered = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      offered.put(p, new LongAdder());
    }
    AtomicInteger nonCritical = new AtomicInteger();
    AtomicInteger maxNonCritical = new AtomicInteger();
    AtomicLong admittedSeen = new AtomicLong();
    LongAdder[] outcomes = {new LongAdder(), new LongAdder(), new LongAdder()};
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    CountDownLatch start = new CountDownLatch(1);
    Future<?>[] futures = new Future<?>[THREADS];
    for (int t = 0; t < THREADS; t++) {
      long seed = 42 + t;
      futures[t] = pool.submit(() -> {
        SplittableRandom random = new SplittableRandom(seed);
        start.await();
        java.util.ArrayList<Permit> held = new java.util.ArrayList<>();
        for (int i = 0; i < calls; i++) {
          Priority priority = Priority.values()[random.nextInt(4)];
          offered.get(priority).increment();
          Permit permit = shedder.tryAcquire(priority);
          if (permit.isAdmitted()) {
            admittedSeen.incrementAndGet();
            if (priority != Priority.CRITICAL) {
              int now = nonCritical.incrementAndGet();
              maxNonCritical.accumulateAndGet(now, Math::max);
            }
            held.add(permit);
          } else {
            assertTrue(priority != Priority.CRITICAL, "CRITICAL shed");
          }
          if (random.nextInt(16) == 0) {
            LockSupport.parkNanos(random.nextInt(20_000));
          }
          boolean light = phased && (i / 2_000) % 2 == 0;
          while (held.size() > (light ? 1 : random.nextInt(limit < 16 ? 6 : 12))) {
            complete(held.remove(random.nextInt(held.size())), random, nonCritical, outcomes);
          }
        }
        while (!held.isEmpty()) {
          complete(held.remove(held.size() - 1), random, nonCritical, outcomes);
        }
        return null;
      });
    }
    start.countDown();
    for (Future<?> future : futures) {
      future.get(50, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));

    Map<Priority, Long> totals = new EnumMap<>(Priority.class);
    long admitted = 0;
    for (Priority p : Priority.values()) {
      totals.put(p, offered.get(p).sum());
      admitted += shedder.admitted(p);
    }
    ShedInvariants.checkTotals(shedder, totals);
    ShedInvariants.checkDrained(shedder);
    assertEquals(admittedSeen.get(), admitted);
    assertEquals((long) THREADS * calls, totals.values().stream().mapToLong(Long::longValue)
        .sum());
    assertTrue(maxNonCritical.get() <= limit,
        "non-critical in flight reached " + maxNonCritical.get() + " > limit " + limit);
    assertEquals(outcomes[0].sum(), (long) sink.value("headroom.shed.completed", "outcome",
        "success"));
    assertEquals(outcomes[1].sum(), (long) sink.value("headroom.shed.completed", "outcome",
        "dropped"));
    assertEquals(outcomes[2].sum(), (long) sink.value("headroom.shed.completed", "outcome",
        "ignored"));
    long refusedNonCritical = 0;
    for (ShedReason r : ShedReason.values()) {
      refusedNonCritical += shedder.rejected(Priority.LOW, r);
    }
    assertTrue(refusedNonCritical > 0, "the hammer never reached the limit: not a hammer");
  }
}
