package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Scrapes, KEDA requests and explicit evaluations race on one advisor while the load and the
 * pod count change: every advice any thread sees satisfies the invariants, evaluations are
 * counted exactly, and readers that find an evaluation in progress never wait for it.
 */
class AdvisorHammerTest {

  @Test
  void concurrentReadersAndEvaluatorsSeeOnlyConsistentAdvice() throws Exception {
    AtomicLong depth = new AtomicLong();
    AtomicInteger pods = new AtomicInteger(5);
    AtomicReference<Boolean> open = new AtomicReference<>(false);
    Signal queue = Signal.fleetTotal("q", "messages", 100, depth::get);
    Signal noisy = Signal.perPod("noisy", "requests", 10, () -> {
      long d = depth.get();
      return d % 7 == 0 ? Double.NaN : d % 50;
    });
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("hammer").signal(queue).signal(noisy)
        .currentReplicas(pods::get).minReplicas(2).maxReplicas(80)
        .holdWhileOpen("dep", open::get).evaluationInterval(Duration.ZERO).build();
    int threads = 4;
    int rounds = 5_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicLong explicit = new AtomicLong();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < rounds; i++) {
            if (id == 0) {
              depth.set((i * 37L) % 12_000);
              pods.set(1 + (i % 90));
            }
            ReplicaAdvice a;
            if (i % 3 == 0) {
              a = advisor.evaluate();
              explicit.incrementAndGet();
            } else {
              a = advisor.latest();
            }
            AdviceInvariants.check(a, 2, 80, Integer.MAX_VALUE, false);
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      workers.add(w);
      w.start();
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(60_000);
      assertTrue(!w.isAlive(), "a worker is stuck");
    }
    assertTrue(failures.isEmpty(), () -> failures.get(0).toString());
    assertTrue(advisor.evaluationCount() >= explicit.get());
    assertTrue(advisor.evaluationCount() <= (long) threads * rounds);
    open.set(true);
    depth.set(50_000);
    ReplicaAdvice held = advisor.evaluate();
    assertEquals(Math.max(2, pods.get()), held.desiredReplicas(), held.toString());
  }
}
