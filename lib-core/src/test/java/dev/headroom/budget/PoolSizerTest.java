package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PoolSizerTest {

  private final ManualClock clock = new ManualClock();
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final SettablePodCountSource source = new SettablePodCountSource();

  @AfterEach
  void stopScheduler() {
    scheduler.shutdownNow();
  }

  private PoolSizer sizer(PoolBudget budget, Duration holdWindow) {
    return PoolSizer.builder().budget(budget).service("enrollment").podCountSource(source)
        .holdWindow(holdWindow).clock(clock).scheduler(scheduler).build();
  }

  @Test
  void theSeedScalingFromTwentyToNinetyFivePods() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ofSeconds(60));
    // A young pod cannot vouch for pods still draining: it sizes for the declared maximum.
    assertEquals(new PoolSizer.PoolSize(4, 4, 119), sizer.current());
    clock.advance(Duration.ofSeconds(60));
    sizer.refresh();
    assertEquals(new PoolSizer.PoolSize(11, 4, 44), sizer.current(), "487 / (20 + 24)");
    assertEquals(OptionalInt.of(20), sizer.observedPods());

    // Enrollment: the HPA goes to 95. Every pod shrinks at once to 487 / 119.
    clock.advance(Duration.ofSeconds(5));
    source.set(95);
    assertEquals(new PoolSizer.PoolSize(4, 4, 119), sizer.current());
    assertEquals(1, sizer.shrinks());

    // Back to 50: the 45 departing pods may hold connections for a window; pools stay small.
    clock.advance(Duration.ofSeconds(300));
    source.set(50);
    assertEquals(4, sizer.maxPoolSize());
    clock.advance(Duration.ofSeconds(59));
    sizer.refresh();
    assertEquals(4, sizer.maxPoolSize());
    clock.advance(Duration.ofSeconds(1));
    sizer.refresh();
    assertEquals(new PoolSizer.PoolSize(6, 4, 74), sizer.current(), "487 / (50 + 24)");
    assertEquals(2, sizer.grows());
  }

  @Test
  void aScaleInAndOutWithinOneWindowCountsDrainingAndNewPodsTogether() {
    PoolBudget budget = PoolBudget.builder().maxConnections(103)
        .service(PoolBudget.Service.builder("enrollment").maxReplicas(20).build()).build();
    source.set(10);
    PoolSizer sizer = sizer(budget, Duration.ofSeconds(60));
    clock.advance(Duration.ofSeconds(60));
    sizer.refresh();
    assertEquals(10, sizer.maxPoolSize(), "100 / 10");
    clock.advance(Duration.ofSeconds(1));
    source.set(1);
    clock.advance(Duration.ofSeconds(1));
    source.set(10);
    assertEquals(19, sizer.sizedForPods(), "1 left + 9 draining + 9 new");
    assertEquals(5, sizer.maxPoolSize());
    clock.advance(Duration.ofSeconds(60));
    sizer.refresh();
    assertEquals(10, sizer.sizedForPods());
    assertEquals(10, sizer.maxPoolSize());
  }

  @Test
  void anUnknownCountSizesForTheDeclaredMaximum() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ofSeconds(10));
    clock.advance(Duration.ofSeconds(10));
    sizer.refresh();
    assertEquals(11, sizer.maxPoolSize());
    source.set(OptionalInt.empty());
    assertEquals(new PoolSizer.PoolSize(4, 4, 119), sizer.current());
    assertEquals(OptionalInt.empty(), sizer.observedPods());
    // It stays there until the unknown stretch has left the window.
    source.set(20);
    assertEquals(4, sizer.maxPoolSize());
    clock.advance(Duration.ofSeconds(10));
    sizer.refresh();
    assertEquals(11, sizer.maxPoolSize());
  }

  @Test
  void listenersHearEveryChangeInOrder() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ZERO);
    assertEquals(11, sizer.maxPoolSize(), "no window: sized at once for 20 + 24");
    List<String> heard = new ArrayList<>();
    PoolSizer.Listener listener = (before, after) -> heard.add(before.maxPoolSize() + "->"
        + after.maxPoolSize());
    sizer.addListener(listener);
    sizer.refresh();
    source.set(95);
    source.set(95);
    source.set(1);
    assertEquals(List.of("11->4", "4->19"), heard);
    assertTrue(sizer.removeListener(listener));
    source.set(95);
    assertEquals(2, heard.size());
  }

  @Test
  void concurrentChangesAndRefreshesAreHeardAsOneUnbrokenChain() throws InterruptedException {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ZERO);
    List<PoolSizer.PoolSize[]> heard = java.util.Collections.synchronizedList(new ArrayList<>());
    sizer.addListener((before, after) -> heard.add(new PoolSizer.PoolSize[] {before, after}));
    PoolSizer.PoolSize start = sizer.current();
    int threads = 4;
    int changesEach = 2_000;
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread worker = new Thread(() -> {
        java.util.Random random = new java.util.Random(seed);
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < changesEach; i++) {
          if (seed % 2 == 0) {
            source.set(1 + random.nextInt(95));
          } else {
            sizer.refresh();
          }
        }
      });
      worker.start();
      workers.add(worker);
    }
    go.countDown();
    for (Thread worker : workers) {
      worker.join(60_000);
      assertTrue(!worker.isAlive());
    }
    PoolSizer.PoolSize previous = start;
    for (PoolSizer.PoolSize[] event : heard) {
      // Only the sizes are announced; the pod count they are for may move in between.
      assertEquals(previous.maxPoolSize(), event[0].maxPoolSize(), "starts where the last ended");
      assertEquals(previous.minIdle(), event[0].minIdle());
      assertTrue(event[1].maxPoolSize() != event[0].maxPoolSize());
      previous = event[1];
    }
    assertEquals(previous.maxPoolSize(), sizer.maxPoolSize());
    // Leaving the start-up hold at build() is not a resize: every resize was heard.
    assertEquals(heard.size(), sizer.shrinks() + sizer.grows());
    assertEquals(PoolBudgetTest.seed().maxPoolSizeFor("enrollment",
        Math.min(119, sizer.observedPods().getAsInt() + 24)), sizer.maxPoolSize());
  }

  @Test
  void aListenerThatThrowsDoesNotStopTheOthers() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ZERO);
    List<Integer> heard = new ArrayList<>();
    sizer.addListener((before, after) -> {
      throw new IllegalStateException("broken listener");
    });
    sizer.addListener((before, after) -> heard.add(after.maxPoolSize()));
    source.set(95);
    assertEquals(List.of(4), heard);
  }

  @Test
  void closeUnsubscribesAndFreezesTheSize() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ZERO);
    assertEquals(1, source.listenerCount());
    assertEquals(11, sizer.maxPoolSize());
    sizer.close();
    sizer.close();
    assertEquals(0, source.listenerCount());
    source.set(95);
    sizer.refresh();
    assertEquals(11, sizer.maxPoolSize());
  }

  @Test
  void aStaticPoolThatDoesNotFitIsReportedAtStartUpAsAMetric() {
    source.set(20);
    PoolSizer sizer = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).clock(clock).scheduler(scheduler).staticPoolSize(15).build();
    assertEquals(1298, sizer.staticPoolFinding().orElseThrow().excess());
    RecordingMeterSink sink = new RecordingMeterSink();
    sizer.describeMeters(sink);
    assertEquals(1298, sink.value("headroom.budget.static_pool.excess", "name", "enrollment"));
    assertEquals(4, sink.value("headroom.budget.pool.max_size", "name", "enrollment"));
    assertEquals(4, sink.value("headroom.budget.pool.min_idle", "name", "enrollment"));
    assertEquals(20, sink.value("headroom.budget.pods.observed", "name", "enrollment"));
    assertEquals(119, sink.value("headroom.budget.pods.sized_for", "name", "enrollment"));
    assertEquals(487, sink.value("headroom.budget.share", "name", "enrollment"));
    assertEquals(0, sink.value("headroom.budget.resizes", "name", "enrollment", "direction",
        "grow"));
    clock.advance(Duration.ofSeconds(60));
    sizer.refresh();
    assertEquals(1, sink.value("headroom.budget.resizes", "name", "enrollment", "direction",
        "grow"));
    assertEquals(11, sink.value("headroom.budget.pool.max_size", "name", "enrollment"));
    source.set(OptionalInt.empty());
    assertTrue(Double.isNaN(sink.value("headroom.budget.pods.observed", "name", "enrollment")));

    PoolSizer fits = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).clock(clock).scheduler(scheduler).staticPoolSize(4).build();
    assertTrue(fits.staticPoolFinding().isEmpty());
  }

  @Test
  void gettersExposeTheInputs() {
    source.set(20);
    PoolBudget budget = PoolBudgetTest.seed();
    PoolSizer sizer = sizer(budget, Duration.ofSeconds(45));
    assertEquals(budget, sizer.budget());
    assertEquals("enrollment", sizer.service());
    assertEquals(487, sizer.allocation().share());
    assertEquals(Duration.ofSeconds(45), sizer.holdWindow());
  }

  @Test
  void builderErrorsNameTheSetting() {
    assertEquals("budget must be set", assertThrows(IllegalStateException.class,
        () -> PoolSizer.builder().build()).getMessage());
    assertEquals("service must be set", assertThrows(IllegalStateException.class,
        () -> PoolSizer.builder().budget(PoolBudgetTest.seed()).build()).getMessage());
    assertEquals("podCountSource must be set", assertThrows(IllegalStateException.class,
        () -> PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment").build())
        .getMessage());
    assertEquals("service must be one of [enrollment] (was \"billing\")", assertThrows(
        IllegalArgumentException.class, () -> PoolSizer.builder().budget(PoolBudgetTest.seed())
            .service("billing").podCountSource(source).build()).getMessage());
    assertEquals("holdWindow must be >= 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolSizer.builder().holdWindow(Duration.ofSeconds(-1))).getMessage());
    assertEquals("staticPoolSize must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> PoolSizer.builder().staticPoolSize(0))
        .getMessage());
    assertEquals("service was already set to \"a\"", assertThrows(IllegalStateException.class,
        () -> PoolSizer.builder().service("a").service("b")).getMessage());
  }

  /** What the hold window is for: without it a scale-in lets the survivors grow too early. */
  @Test
  void regressionGrowingBeforeDrainingPodsAreGoneOvershootsTheShare() {
    PoolBudget budget = SizerProperties.budget(10, 0, 1, 90);
    List<ScalingSimulation.Step> steps = List.of(new ScalingSimulation.Step(10, 5),
        new ScalingSimulation.Step(1, 3), new ScalingSimulation.Step(10, 10));
    AssertionError overshoot = assertThrows(AssertionError.class, () -> simulation(budget,
        ScalingSimulation.Kind.DESIRED, 0, 0, 5, Duration.ZERO).run(steps));
    assertTrue(overshoot.getMessage().contains("> share 100"), overshoot.getMessage());
    int worst = simulation(budget, ScalingSimulation.Kind.DESIRED, 0, 0, 5,
        Duration.ofSeconds(5)).run(steps);
    assertTrue(worst <= 100, "worst " + worst);
    // A count that keeps terminating pods until they are gone needs no window at all.
    int existing = simulation(budget, ScalingSimulation.Kind.EXISTING, 0, 0, 5, null)
        .run(steps);
    assertTrue(existing <= 100, "worst " + existing);
  }

  /**
   * The connection wall of the late count: pods boot in half a second while the others see the
   * count 2 s late. Without the start-up hold (a sizer told the count is never late) the new
   * pods connect before the old ones shrink; with the hold they wait until every pod has seen
   * them.
   */
  @Test
  void regressionAPodThatBootsBeforeTheOthersSeeTheCountOvershootsWithoutTheHold() {
    PoolBudget budget = SizerProperties.budget(12, 0, 1, 28); // share 40, as the wall test
    List<ScalingSimulation.Step> steps = List.of(new ScalingSimulation.Step(4, 4),
        new ScalingSimulation.Step(12, 10));
    AssertionError overshoot = assertThrows(AssertionError.class,
        () -> new ScalingSimulation(budget, "svc", ScalingSimulation.Kind.DESIRED, 2, 0, 0, 0,
            Duration.ZERO, true, 3).run(steps));
    assertTrue(overshoot.getMessage().contains("> share 40"), overshoot.getMessage());
    int worst = new ScalingSimulation(budget, "svc", ScalingSimulation.Kind.DESIRED, 2, 2, 0, 0,
        Duration.ZERO, true, 3).run(steps);
    assertTrue(worst <= 40, "worst " + worst);
  }

  /** Scaling to 16 pods of a service declared for 12: silent overshoot before, shrink now. */
  @Test
  void regressionPodsAboveTheDeclaredMaximumShrinkToTheLiveShare() {
    PoolBudget budget = SizerProperties.budget(12, 0, 1, 28); // share 40
    List<ScalingSimulation.Step> steps = List.of(new ScalingSimulation.Step(4, 4),
        new ScalingSimulation.Step(16, 10));
    int worst = new ScalingSimulation(budget, "svc", ScalingSimulation.Kind.EXISTING, 2, 2, 1, 0,
        null, false, 5).run(steps);
    assertTrue(worst <= 40, "worst " + worst);
    assertTrue(worst >= 32, "16 pods of 2: " + worst);
  }

  private static ScalingSimulation simulation(PoolBudget budget, ScalingSimulation.Kind kind,
      int staleness, int boot, int drain, Duration holdWindow) {
    return new ScalingSimulation(budget, "svc", kind, staleness, staleness, boot, drain,
        holdWindow, kind == ScalingSimulation.Kind.DESIRED, 1);
  }

  @Test
  void aPodWaitsTheCountDelayBeforeItsFirstConnection() {
    source.maxDelay(Duration.ofSeconds(2)).set(20);
    List<String> heard = new ArrayList<>();
    PoolSizer sizer = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).holdWindow(Duration.ZERO).clock(clock).scheduler(scheduler)
        .build();
    sizer.addListener((before, now) -> heard.add(before.maxPoolSize() + "->"
        + now.maxPoolSize()));
    assertEquals(Duration.ofSeconds(2), sizer.countDelay(), "the source's delay by default");
    assertEquals(new PoolSizer.PoolSize(0, 0, 44), sizer.current());
    assertEquals(false, sizer.admitted());
    assertTrue(sizer.explain().contains("start-up hold: no connection for 2000 ms more"),
        sizer.explain());
    clock.advance(Duration.ofMillis(1999));
    sizer.refresh();
    assertEquals(0, sizer.maxPoolSize());
    clock.advance(Duration.ofMillis(1));
    sizer.refresh();
    assertTrue(sizer.admitted());
    assertEquals(new PoolSizer.PoolSize(11, 4, 44), sizer.current());
    assertEquals(List.of("0->11"), heard);
    assertEquals(0, sizer.grows(), "leaving the hold is not a resize");
  }

  @Test
  void theStartUpHoldEndsByItselfOnTheScheduler() throws Exception {
    source.maxDelay(Duration.ofMillis(50)).set(20);
    java.util.concurrent.CountDownLatch grown = new java.util.concurrent.CountDownLatch(1);
    PoolSizer sizer = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).holdWindow(Duration.ZERO).scheduler(scheduler).build();
    sizer.addListener((before, now) -> grown.countDown());
    assertTrue(grown.await(10, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(11, sizer.maxPoolSize());
  }

  @Test
  void aboveTheDeclaredMaximumEveryPodShrinksWarnsOnceCountsAndExplains() {
    source.set(20);
    PoolSizer sizer = sizer(PoolBudgetTest.seed(), Duration.ZERO); // 95 + surge 24, share 487
    assertEquals(11, sizer.maxPoolSize());
    source.set(130);
    assertEquals(new PoolSizer.PoolSize(3, 3, 154), sizer.current(), "487 / (130 + 24)");
    assertEquals(1, sizer.overDeclaredMaximumCount());
    String explained = sizer.explain();
    assertTrue(explained.contains("ABOVE THE DECLARED MAXIMUM: 130 pods > 95; pools shrink to"
        + " the share of the live count (487 / 154 x 1); seen 1 time"), explained);
    source.set(131);
    assertEquals(1, sizer.overDeclaredMaximumCount(), "one episode");
    source.set(90);
    source.set(140);
    assertEquals(2, sizer.overDeclaredMaximumCount());
    // An unknown count keeps the larger of the declared maximum and the last count seen.
    source.set(OptionalInt.empty());
    assertEquals(164, sizer.sizedForPods(), "140 + 24");

    source.set(600);
    assertEquals(new PoolSizer.PoolSize(1, 1, 624), sizer.current());
    assertEquals(1, sizer.overCapacityCount());
    assertTrue(sizer.explain().contains("BEYOND CAPACITY: 624 pods x 1 pools > share 487"),
        sizer.explain());
    RecordingMeterSink sink = new RecordingMeterSink();
    sizer.describeMeters(sink);
    assertEquals(3, sink.value("headroom.budget.pods.over_declared_max", "name", "enrollment"));
    assertEquals(1, sink.value("headroom.budget.over_capacity", "name", "enrollment"));
  }

  @Test
  void theDefaultHoldWindowFollowsWhatTheCountCounts() {
    source.set(5);
    PoolSizer desired = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(source).clock(clock).scheduler(scheduler).build();
    assertEquals(PoolSizer.DEFAULT_HOLD_WINDOW, desired.holdWindow());
    SettablePodCountSource existing = new SettablePodCountSource(5)
        .includesTerminatingPods(true);
    PoolSizer counted = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(existing).clock(clock).scheduler(scheduler).build();
    assertEquals(Duration.ZERO, counted.holdWindow());
    assertEquals(new PoolSizer.PoolSize(16, 4, 29), counted.current(), "the live count drives"
        + " a young pod's size: 487 / (5 + 24)");
  }

  @Test
  void closeClosesTheSourceOnlyWhenItOwnsIt() {
    java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic
        .AtomicInteger();
    PushedPodCountSource pushed = PodCountSource.pushed().maxDelay(Duration.ZERO).build();
    PodCountSource counting = new PodCountSource() {
      @Override
      public OptionalInt currentPods() {
        return pushed.currentPods();
      }

      @Override
      public Duration maxDelay() {
        return Duration.ZERO;
      }

      @Override
      public void addListener(Listener listener) {
        pushed.addListener(listener);
      }

      @Override
      public boolean removeListener(Listener listener) {
        return pushed.removeListener(listener);
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(counting).clock(clock).scheduler(scheduler).build().close();
    assertEquals(0, closes.get());
    PoolSizer owner = PoolSizer.builder().budget(PoolBudgetTest.seed()).service("enrollment")
        .podCountSource(counting).ownsPodCountSource().clock(clock).scheduler(scheduler)
        .build();
    owner.close();
    owner.close();
    assertEquals(1, closes.get(), "closed once");
    assertEquals("countDelay must be >= 0 (was PT-1S)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolSizer.builder().countDelay(Duration.ofSeconds(-1))).getMessage());
  }
}
