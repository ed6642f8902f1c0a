package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The live pod ledger against the real Redis: pods join, leave and die while each claims its
 * fair share of a budget of 60 connections; a sampler reads the ledger every few milliseconds
 * and the live allocations never sum above the budget; the live count is exact once the
 * changes settle, and a pod that stops heartbeating drops out.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PodLedgerRedisTest {

  static final int BUDGET = 60;
  static final int MAX_PODS = 12;
  static final Duration INTERVAL = Duration.ofMillis(100);
  static final Duration TTL = Duration.ofMillis(400);

  private final RedisFixture redis = new RedisFixture();
  private final List<Pod> pods = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    for (Pod pod : pods) {
      pod.stop(true);
    }
    redis.close();
  }

  /** A pod that keeps claiming budget / live pods, shrinking before it claims less. */
  final class Pod {
    final PodLedger ledger;
    final AtomicBoolean running = new AtomicBoolean(true);
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    final Thread thread;

    Pod(String id) {
      ledger = PodLedger.builder(redis.connect()).namespace(redis.namespace).podId(id)
          .heartbeatInterval(INTERVAL).ttl(TTL).build();
      thread = new Thread(() -> {
        try {
          while (running.get()) {
            int live = ledger.liveCount().orElse(MAX_PODS);
            ledger.claim(BUDGET / Math.max(1, live), BUDGET, BUDGET / MAX_PODS);
            Thread.sleep(20);
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }, id);
      thread.start();
    }

    /** Leaves the ledger ({@code leave}), or dies without a word. */
    void stop(boolean leave) {
      running.set(false);
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (leave) {
        ledger.close();
      } else {
        ledger.halt();
      }
    }
  }

  private Pod join(String id) {
    Pod pod = new Pod(redis.namespace + "-" + id);
    pods.add(pod);
    return pod;
  }

  @Test
  void podsJoinLeaveAndDieAndTheAllocationsNeverSumAboveTheBudget() throws Exception {
    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicLong samples = new AtomicLong();
    AtomicLong maxSum = new AtomicLong();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    PodLedger reader = PodLedger.builder(redis.connect()).namespace(redis.namespace)
        .podId(redis.namespace + "-reader").heartbeatInterval(INTERVAL).ttl(TTL).build();
    reader.halt(); // it only reads: never heartbeats again, so it drops out after the TTL
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        Optional<PodLedger.Snapshot> s = reader.snapshot();
        if (s.isPresent()) {
          samples.incrementAndGet();
          maxSum.accumulateAndGet(s.get().sum(), Math::max);
          if (!s.get().fits(BUDGET)) {
            violations.add(s.get().toString());
          }
        }
        try {
          Thread.sleep(3);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.start();

    List<Integer> heard = new CopyOnWriteArrayList<>();
    Pod first = join("p0");
    first.ledger.addListener(heard::add);
    for (int i = 1; i < 4; i++) {
      join("p" + i);
    }
    awaitLive(first, 4);
    for (int i = 4; i < 9; i++) { // five more, one every 100 ms
      join("p" + i);
      Thread.sleep(100);
    }
    awaitLive(first, 9);
    pods.get(8).stop(true); // two leave cleanly
    pods.get(7).stop(true);
    pods.get(6).stop(false); // two die: no more heartbeats, no goodbye
    pods.get(5).stop(false);
    awaitLive(first, 5);
    for (int i = 9; i < 12; i++) {
      join("p" + i);
      Thread.sleep(50);
    }
    awaitLive(first, 8);
    Thread.sleep(500); // let the shares settle: 60 / 8 = 7 each

    sampling.set(false);
    sampler.join(5_000);
    PodLedger.Snapshot last = reader.snapshot().orElseThrow();
    System.out.printf("ledger: %d samples, max sum of allocations %d of %d, counts heard %s, "
        + "last %s%n", samples.get(), maxSum.get(), BUDGET, heard, last.allocations());
    for (Pod pod : pods) {
      assertEquals(List.of(), List.copyOf(pod.errors));
    }
    assertEquals(List.of(), List.copyOf(violations), "the budget held at every sample");
    assertTrue(samples.get() > 300, "sampled often: " + samples.get());
    assertEquals(8, last.liveCount(), "exactly the running pods: " + last.allocations());
    assertFalse(last.allocations().containsKey(pods.get(5).ledger.podId()), "the dead dropped out");
    assertFalse(last.allocations().containsKey(pods.get(6).ledger.podId()));
    assertEquals(BUDGET / 8 * 8, last.sum(), "every running pod holds its fair share");
    assertTrue(heard.contains(4) && heard.contains(9) && heard.contains(5)
        && heard.contains(8), "the listener heard the counts: " + heard);
    for (Pod pod : pods.subList(0, 5)) {
      assertEquals(OptionalInt.of(8), pod.ledger.liveCount());
    }
  }

  private static void awaitLive(Pod pod, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pod.ledger.liveCount().orElse(-1) != count) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("live count never reached " + count + ": "
            + pod.ledger.liveCount());
      }
      Thread.sleep(10);
    }
  }

  @Test
  void whileRedisIsPausedClaimsFallBackAndTheCountBecomesUnknownThenRecovers()
      throws Exception {
    Pod pod = join("solo");
    awaitLive(pod, 1);
    pod.running.set(false);
    pod.thread.join(5_000);
    redis.admin().sync().clientPause(1_000);
    assertEquals(5, pod.ledger.claim(60, BUDGET, 5), "Redis paused: the fallback");
    Thread.sleep(TTL.toMillis() + 200);
    assertEquals(OptionalInt.empty(), pod.ledger.liveCount(), "no heartbeat for a TTL");
    assertTrue(pod.ledger.heartbeatFailures() > 0);
    assertEquals(1, pod.ledger.claimFallbacks());
    Thread.sleep(1_000);
    assertEquals(60, pod.ledger.claim(60, BUDGET, 5), "Redis is back: the ledger grants");
    awaitLive(pod, 1);
  }

  @Test
  void badInputIsRefusedWithTheSharedMessage() {
    PodLedger.Builder b = PodLedger.builder(redis.connect());
    assertEquals("namespace must be set", assertThrows(IllegalStateException.class, b::build)
        .getMessage());
    assertEquals("heartbeatInterval must be > 0 (was PT0S)", assertThrows(
        IllegalArgumentException.class, () -> b.heartbeatInterval(Duration.ZERO)).getMessage());
    PodLedger.Builder c = PodLedger.builder(redis.connect()).namespace(redis.namespace)
        .heartbeatInterval(Duration.ofSeconds(1)).ttl(Duration.ofSeconds(1));
    assertEquals("ttl must be > heartbeatInterval (was PT1S and PT1S)",
        assertThrows(IllegalStateException.class, c::build).getMessage());
    Pod pod = join("input");
    assertEquals("wanted must be >= 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> pod.ledger.claim(-1, 10, 1)).getMessage());
    assertEquals("listener must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> pod.ledger.addListener(null)).getMessage());
  }
}
