package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PodCountSourceTest {

  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final ManualClock clock = new ManualClock();

  PodCountSourceTest() {
    scheduler.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stopScheduler() {
    scheduler.shutdownNow();
  }

  /** A supplier that plays a script of answers: an Integer, null, or a RuntimeException. */
  private static final class Script implements Supplier<Integer> {
    private final ArrayDeque<Object> answers = new ArrayDeque<>();

    Script then(Object answer) {
      answers.add(answer == null ? "null" : answer);
      return this;
    }

    @Override
    public synchronized Integer get() {
      Object next = answers.isEmpty() ? new IllegalStateException("script ended")
          : answers.poll();
      if (next instanceof RuntimeException) {
        throw (RuntimeException) next;
      }
      return "null".equals(next) ? null : (Integer) next;
    }
  }

  /** Builds a source whose scheduled polls never come after the first. */
  private PolledPodCountSource polled(Supplier<Integer> supplier, Duration expireAfter)
      throws InterruptedException {
    PolledPodCountSource.Builder b = PodCountSource.polling(supplier).name("test")
        .pollInterval(Duration.ofHours(1)).clock(clock).scheduler(scheduler);
    if (expireAfter != null) {
      b.expireAfter(expireAfter);
    }
    PolledPodCountSource source = b.build();
    CountDownLatch first = new CountDownLatch(1);
    scheduler.execute(first::countDown); // runs after the first poll on the one thread
    assertTrue(first.await(10, TimeUnit.SECONDS));
    return source;
  }

  @Test
  void fixedNeverChanges() {
    PodCountSource source = PodCountSource.fixed(3);
    assertEquals(OptionalInt.of(3), source.currentPods());
    PodCountSource.Listener l = (a, b) -> {};
    source.addListener(l);
    assertTrue(source.removeListener(l));
    source.close();
    assertEquals("pods must be > 0 (was 0)",
        assertThrows(IllegalArgumentException.class, () -> PodCountSource.fixed(0))
            .getMessage());
  }

  @Test
  void environmentVariablesThatAreUnsetOrNotCountsAreUnknown() {
    assertEquals(OptionalInt.empty(),
        PodCountSource.fromEnvironment("HEADROOM_TEST_VARIABLE_THAT_IS_NEVER_SET")
            .currentPods());
    assertEquals(OptionalInt.empty(), PodCountSource.fromEnvironment("PATH").currentPods());
    assertEquals("variable must be non-blank (was \"\")", assertThrows(
        IllegalArgumentException.class, () -> PodCountSource.fromEnvironment("")).getMessage());
  }

  @Test
  void systemPropertiesAreReadOnce() {
    String name = "headroom.test.pods";
    try {
      System.setProperty(name, " 7 ");
      PodCountSource seven = PodCountSource.fromSystemProperty(name);
      System.setProperty(name, "8");
      assertEquals(OptionalInt.of(7), seven.currentPods());
      System.setProperty(name, "seven");
      assertEquals(OptionalInt.empty(), PodCountSource.fromSystemProperty(name).currentPods());
      System.setProperty(name, "0");
      assertEquals(OptionalInt.empty(), PodCountSource.fromSystemProperty(name).currentPods());
      System.clearProperty(name);
      assertEquals(OptionalInt.empty(), PodCountSource.fromSystemProperty(name).currentPods());
    } finally {
      System.clearProperty(name);
    }
  }

  @Test
  void theLastGoodValueIsKeptThroughEveryKindOfErrorAndErrorsAreCounted() throws Exception {
    Script script = new Script().then(5).then(null).then(-1)
        .then(new IllegalStateException("boom")).then(7);
    PolledPodCountSource source = polled(script, null);
    assertEquals(OptionalInt.of(5), source.currentPods());
    assertEquals(1, source.successes());

    source.pollNow();
    assertEquals(OptionalInt.of(5), source.currentPods());
    assertEquals(1, source.errors());
    assertEquals("the supplier returned null", source.lastError());

    source.pollNow();
    assertEquals(OptionalInt.of(5), source.currentPods());
    assertEquals(2, source.errors());
    assertEquals("pods must be >= 0 (was -1)", source.lastError());

    source.pollNow();
    assertEquals(OptionalInt.of(5), source.currentPods());
    assertEquals(3, source.errors());
    assertEquals("IllegalStateException: boom", source.lastError());

    source.pollNow();
    assertEquals(OptionalInt.of(7), source.currentPods());
    assertEquals(2, source.successes());
    assertEquals(3, source.errors());
  }

  @Test
  void theCountIsUnknownUntilTheFirstGoodAnswer() throws Exception {
    PolledPodCountSource source = polled(new Script()
        .then(new IllegalStateException("API server down")).then(12), null);
    assertEquals(OptionalInt.empty(), source.currentPods());
    assertEquals(Optional.empty(), source.lastSuccessAge());
    assertEquals(1, source.errors());
    source.pollNow();
    assertEquals(OptionalInt.of(12), source.currentPods());
    assertEquals(Optional.of(Duration.ZERO), source.lastSuccessAge());
  }

  @Test
  void listenersHearChangesOnly() throws Exception {
    PolledPodCountSource source = polled(new Script().then(new IllegalStateException("x"))
        .then(3).then(3).then(new IllegalStateException("y")).then(4), null);
    List<String> heard = new ArrayList<>();
    source.addListener((before, after) -> heard.add(before + "->" + after));
    for (int i = 0; i < 4; i++) {
      source.pollNow();
    }
    assertEquals(List.of("OptionalInt.empty->OptionalInt[3]",
        "OptionalInt[3]->OptionalInt[4]"), heard);
  }

  @Test
  void aLastGoodValueOlderThanExpireAfterBecomesUnknown() throws Exception {
    PolledPodCountSource source = polled(new Script().then(5)
        .then(new IllegalStateException("401")).then(new IllegalStateException("401"))
        .then(6), Duration.ofSeconds(30));
    List<OptionalInt> heard = new ArrayList<>();
    source.addListener((before, after) -> heard.add(after));
    clock.advance(Duration.ofSeconds(29));
    source.pollNow();
    assertEquals(OptionalInt.of(5), source.currentPods());
    assertEquals(Optional.of(Duration.ofSeconds(29)), source.lastSuccessAge());
    clock.advance(Duration.ofSeconds(1));
    source.pollNow();
    assertEquals(OptionalInt.empty(), source.currentPods());
    source.pollNow();
    assertEquals(OptionalInt.of(6), source.currentPods());
    assertEquals(List.of(OptionalInt.empty(), OptionalInt.of(6)), heard);
  }

  @Test
  void closeStopsPolling() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    PolledPodCountSource source = polled(() -> calls.incrementAndGet(), null);
    source.close();
    source.close();
    source.pollNow();
    assertEquals(1, calls.get());
    assertEquals(OptionalInt.of(1), source.currentPods());
    assertTrue(scheduler.getQueue().isEmpty(), "the periodic poll is cancelled");
  }

  @Test
  void metricsCountPollsByOutcome() throws Exception {
    PolledPodCountSource source = polled(new Script().then(9)
        .then(new IllegalStateException("x")), null);
    source.pollNow();
    clock.advance(Duration.ofMillis(1500));
    RecordingMeterSink sink = new RecordingMeterSink();
    source.describeMeters(sink);
    assertEquals(1, sink.value("headroom.budget.pod_source.polls", "name", "test", "outcome",
        "success"));
    assertEquals(1, sink.value("headroom.budget.pod_source.polls", "name", "test", "outcome",
        "error"));
    assertEquals(9, sink.value("headroom.budget.pod_source.pods", "name", "test"));
    assertEquals(1.5, sink.value("headroom.budget.pod_source.age", "name", "test"));
  }

  @Test
  void concurrentPollsAreCountedExactlyAndHeardInOrder() throws Exception {
    AtomicInteger next = new AtomicInteger();
    PolledPodCountSource source = polled(() -> {
      int n = next.incrementAndGet();
      if (n % 10 == 0) {
        throw new IllegalStateException("every tenth fails");
      }
      return n;
    }, null);
    List<Integer> heard = Collections.synchronizedList(new ArrayList<>());
    source.addListener((before, after) -> heard.add(after.getAsInt()));
    int threads = 4;
    int pollsEach = 500;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> pollers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < pollsEach; i++) {
          source.pollNow();
        }
      });
      thread.start();
      pollers.add(thread);
    }
    start.countDown();
    for (Thread thread : pollers) {
      thread.join(30_000);
      assertFalse(thread.isAlive());
    }
    int total = 1 + threads * pollsEach;
    assertEquals(total, next.get());
    assertEquals(total / 10, source.errors());
    assertEquals(total - total / 10, source.successes());
    assertEquals(total - total / 10 - 1, heard.size(), "every good answer after the first");
    for (int i = 1; i < heard.size(); i++) {
      assertTrue(heard.get(i) > heard.get(i - 1), "heard in order: " + heard);
    }
    assertEquals(OptionalInt.of(total), source.currentPods());
  }

  @Test
  void buildPollsOnceOnTheCallingThreadSoTheCountIsKnownOnReturn() {
    ScheduledThreadPoolExecutor never = new ScheduledThreadPoolExecutor(1);
    try {
      PolledPodCountSource source = PodCountSource.polling(() -> 6)
          .pollInterval(Duration.ofHours(1)).scheduler(never).build();
      assertEquals(OptionalInt.of(6), source.currentPods(), "known when build() returns");
      assertEquals(1, source.successes());
      assertEquals(Duration.ofHours(2), source.maxDelay(), "default: twice the interval");
      assertFalse(source.includesTerminatingPods());
      source.close();
    } finally {
      never.shutdownNow();
    }
    PolledPodCountSource declared = PodCountSource.polling(() -> 1).scheduler(scheduler)
        .maxDelay(Duration.ofSeconds(3)).build();
    assertEquals(Duration.ofSeconds(3), declared.maxDelay());
    declared.close();
  }

  @Test
  void aPushedSourceTakesEveryUpdateAndTellsListenersOfChangesInOrder() {
    PushedPodCountSource source = PodCountSource.pushed().name("ledger")
        .maxDelay(Duration.ofMillis(500)).includesTerminatingPods(true).clock(clock).build();
    assertEquals(OptionalInt.empty(), source.currentPods());
    assertEquals(Duration.ofMillis(500), source.maxDelay());
    assertTrue(source.includesTerminatingPods());
    List<String> heard = new ArrayList<>();
    source.addListener((before, after) -> heard.add(before + "->" + after));
    source.update(4);
    source.update(4);
    source.update(6);
    source.markUnknown();
    source.update(6);
    assertEquals(List.of("OptionalInt.empty->OptionalInt[4]", "OptionalInt[4]->OptionalInt[6]",
        "OptionalInt[6]->OptionalInt.empty", "OptionalInt.empty->OptionalInt[6]"), heard);
    assertEquals(4, source.updates());
    assertEquals(1, source.unknowns());
    assertEquals("pods must be >= 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> source.update(-1)).getMessage());
    assertEquals(OptionalInt.of(6), source.currentPods(), "a refused update changes nothing");

    clock.advance(Duration.ofMillis(250));
    RecordingMeterSink sink = new RecordingMeterSink();
    source.describeMeters(sink);
    assertEquals(4, sink.value("headroom.budget.pod_source.updates", "name", "ledger"));
    assertEquals(6, sink.value("headroom.budget.pod_source.pods", "name", "ledger"));
    assertEquals(0.25, sink.value("headroom.budget.pod_source.age", "name", "ledger"));

    source.close();
    source.update(9);
    assertEquals(OptionalInt.of(6), source.currentPods(), "closed: updates are ignored");
  }

  @Test
  void concurrentPushesAreHeardOneAtATimeAndTheLastOneWins() throws Exception {
    PushedPodCountSource source = PodCountSource.pushed().maxDelay(Duration.ZERO).build();
    AtomicInteger inListener = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger heard = new AtomicInteger();
    source.addListener((before, after) -> {
      if (inListener.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      heard.incrementAndGet();
      inListener.decrementAndGet();
    });
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> pushers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int base = t * 1000;
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 1000; i++) {
          source.update(base + i);
        }
      });
      thread.start();
      pushers.add(thread);
    }
    start.countDown();
    for (Thread thread : pushers) {
      thread.join(30_000);
      assertFalse(thread.isAlive());
    }
    assertEquals(0, overlaps.get(), "listeners are never called concurrently");
    assertEquals(threads * 1000, source.updates());
    assertTrue(heard.get() >= 1 && heard.get() <= threads * 1000);
  }

  @Test
  void aPushedSourceNeedsItsDriversDelay() {
    assertEquals("maxDelay must be set: only the code that pushes the count knows how late it"
        + " can be", assertThrows(IllegalStateException.class,
            () -> PodCountSource.pushed().build()).getMessage());
    assertEquals("maxDelay must be >= 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class,
        () -> PodCountSource.pushed().maxDelay(Duration.ofSeconds(-1))).getMessage());
    assertEquals(Duration.ZERO, PodCountSource.fixed(2).maxDelay());
  }

  @Test
  void builderErrorsNameTheSetting() {
    assertEquals("supplier must be set", assertThrows(IllegalStateException.class,
        () -> PolledPodCountSource.builder().build()).getMessage());
    assertEquals("pollInterval must be > 0 (was PT0S)", assertThrows(
        IllegalArgumentException.class,
        () -> PolledPodCountSource.builder().pollInterval(Duration.ZERO)).getMessage());
    assertEquals("expireAfter must be > 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class,
        () -> PolledPodCountSource.builder().expireAfter(Duration.ofSeconds(-1))).getMessage());
    assertEquals("name must be non-blank (was \"\")", assertThrows(
        IllegalArgumentException.class, () -> PolledPodCountSource.builder().name(""))
        .getMessage());
    assertEquals("supplier must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> PodCountSource.polling(null)).getMessage());
  }
}
