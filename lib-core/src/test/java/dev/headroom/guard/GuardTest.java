package dev.headroom.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.ManualClock;
import dev.headroom.core.RejectedException;
import dev.headroom.core.metrics.RecordingMeterSink;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class GuardTest {

  private static final Duration FIXED = Duration.ofMillis(500);

  private final ManualClock clock = new ManualClock();

  /** A breaker that trips only on many consecutive failures, so single outcomes stay visible. */
  private static BreakerConfig lenient() {
    return BreakerConfig.builder().consecutiveFailures(1_000).build();
  }

  private Guard fixedGuard() {
    return Guard.builder("db").clock(clock).breaker(lenient()).limit(LimitPolicy.fixed(10))
        .deadline(DeadlinePolicy.fixed(FIXED)).build();
  }

  /** Reads the shedder's completion counters, which it exposes as meters. */
  private static double shed(Guard guard, String outcome) {
    RecordingMeterSink sink = new RecordingMeterSink();
    guard.limit().describeMeters(sink);
    return sink.value("headroom.shed.completed", "outcome", outcome);
  }

  private static final class Overloaded extends RejectedException {
    private static final long serialVersionUID = 1L;

    Overloaded() {
      super("downstream", "orders", "downstream 'orders' is full", 1_000_000_000L, false);
    }
  }

  private static final class GatewayTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  // ------------------------------------------------------------------- completion paths

  @Test
  void successReportsToBreakerLimitAndCounts() {
    Guard guard = fixedGuard();
    GuardPermit permit = guard.tryAcquire();
    assertTrue(permit.isAdmitted());
    assertEquals(FIXED, permit.timeout());
    assertEquals(1, guard.limit().inFlight());
    clock.advance(Duration.ofMillis(7));
    permit.onSuccess();

    assertEquals(1, guard.breaker().successCount());
    assertEquals(0, guard.breaker().failureCount());
    assertEquals(1.0, shed(guard, "success"));
    assertEquals(0, guard.limit().inFlight());
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
  }

  @Test
  void timeoutIsBreakerFailureAndLimitDrop() {
    Guard guard = fixedGuard();
    GuardPermit permit = guard.tryAcquire();
    clock.advance(FIXED);
    permit.onTimeout();

    assertEquals(1, guard.breaker().failureCount());
    assertEquals(0, guard.breaker().ignoredCount());
    assertEquals(1.0, shed(guard, "dropped"));
    assertEquals(0, guard.limit().inFlight());
    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
  }

  @Test
  void overloadIsBreakerIgnoreAndLimitDrop() {
    Guard guard = fixedGuard();
    guard.tryAcquire().onOverload();
    guard.tryAcquire().onFailure(new Overloaded());

    assertEquals(0, guard.breaker().failureCount());
    assertEquals(2, guard.breaker().ignoredCount());
    assertEquals(2.0, shed(guard, "dropped"));
    assertEquals(2, guard.count(Guard.Outcome.OVERLOAD));
  }

  @Test
  void otherFailureIsBreakerFailureAndLimitIgnore() {
    Guard guard = fixedGuard();
    guard.tryAcquire().onFailure(new IOException("connection reset"));
    guard.tryAcquire().onFailure(null);

    assertEquals(2, guard.breaker().failureCount());
    assertEquals(2.0, shed(guard, "ignored"));
    assertEquals(0.0, shed(guard, "dropped"));
    assertEquals(2, guard.count(Guard.Outcome.FAILURE));
  }

  @Test
  void failuresAreClassifiedAsTimeoutsAnywhereInTheCauseChain() {
    Guard guard = fixedGuard();
    guard.tryAcquire().onFailure(new SocketTimeoutException("read timed out"));
    guard.tryAcquire().onFailure(new SQLTimeoutException("query timeout"));
    guard.tryAcquire().onFailure(new IllegalStateException(new TimeoutException()));
    guard.tryAcquire().onFailure(new RuntimeException(new GatewayTimeoutException()));

    assertEquals(4, guard.count(Guard.Outcome.TIMEOUT));
    assertEquals(4.0, shed(guard, "dropped"));
    assertEquals(4, guard.breaker().failureCount());
    assertFalse(Guard.isTimeout(new IOException("reset")));
    assertFalse(Guard.isTimeout(null));
  }

  @Test
  void customPredicatesClassify() {
    Guard guard = Guard.builder("db").clock(clock).limit(LimitPolicy.fixed(10))
        .timeoutWhen(e -> e instanceof IllegalStateException)
        .overloadWhen(e -> e instanceof UnsupportedOperationException).build();
    guard.tryAcquire().onFailure(new IllegalStateException());
    guard.tryAcquire().onFailure(new UnsupportedOperationException());
    guard.tryAcquire().onFailure(new TimeoutException());

    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
    assertEquals(1, guard.count(Guard.Outcome.OVERLOAD));
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
  }

  @Test
  void ignoreAndCloseReleaseBoth() {
    Guard guard = fixedGuard();
    guard.tryAcquire().onIgnore();
    try (GuardPermit permit = guard.tryAcquire()) {
      assertTrue(permit.isAdmitted());
    }

    assertEquals(2, guard.breaker().ignoredCount());
    assertEquals(2.0, shed(guard, "ignored"));
    assertEquals(0, guard.limit().inFlight());
    assertEquals(2, guard.count(Guard.Outcome.IGNORED));
  }

  @Test
  void completionIsExactlyOnce() {
    Guard guard = fixedGuard();
    GuardPermit permit = guard.tryAcquire();
    assertFalse(permit.isCompleted());
    permit.onSuccess();
    permit.onTimeout();
    permit.onOverload();
    permit.onFailure(new IOException());
    permit.onIgnore();
    permit.close();

    assertTrue(permit.isCompleted());
    assertEquals(1, guard.breaker().successCount());
    assertEquals(0, guard.breaker().failureCount());
    assertEquals(0, guard.breaker().ignoredCount());
    assertEquals(1.0, shed(guard, "success"));
    assertEquals(0.0, shed(guard, "dropped"));
    assertEquals(0.0, shed(guard, "ignored"));
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
    assertEquals(0, guard.count(Guard.Outcome.IGNORED));
  }

  @Test
  void latencyIsMeasuredFromTheGuardsClock() {
    Guard guard = Guard.builder("db").clock(clock)
        .deadline(DeadlinePolicy.adaptive().floor(Duration.ofMillis(1)).build()).build();
    teach(guard, 40, -1);
    clock.advance(Duration.ofMillis(100));
    // Every success took 40 ms: the deadline is 40 ms x 1.1 within the histogram's resolution.
    double ms = guard.deadline().toNanos() / 1e6;
    assertTrue(ms > 40 * 1.1 * 0.94 && ms < 40 * 1.1 * 1.07, "deadline " + ms + " ms");
  }

  @Test
  void callerMeasuredLatencyIsUsedInsteadOfTheClock() {
    Guard guard = Guard.builder("db").clock(clock).breaker(lenient())
        .deadline(DeadlinePolicy.adaptive().floor(Duration.ofMillis(1)).build()).build();
    teach(guard, 10, 40); // the clock says 10 ms, the caller measured 40 ms
    GuardPermit twice = guard.tryAcquire();
    twice.onSuccess(Duration.ofMillis(40).toNanos());
    twice.onSuccess(Duration.ofSeconds(5).toNanos()); // a second completion is ignored
    clock.advance(Duration.ofMillis(100));
    double ms = guard.deadline().toNanos() / 1e6;
    assertTrue(ms > 40 * 1.1 * 0.94 && ms < 40 * 1.1 * 1.07, "deadline " + ms + " ms");
    assertEquals(TAUGHT + 1, guard.count(Guard.Outcome.SUCCESS));

    GuardPermit failed = guard.tryAcquire();
    failed.onFailure(new IOException("reset"), -5);
    failed.onFailure(new IOException("reset"), 10);
    assertEquals(1, guard.breaker().failureCount());
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
  }

  // ------------------------------------------------------------------- success count

  @Test
  void successesAreCountedOnceWhateverCountsThem() throws Exception {
    // Its own limit counts them (derived, no add of the guard's own on the success path).
    Guard limited = Guard.builder("limited").clock(clock).limit(LimitPolicy.fixed(10)).build();
    // Its own breaker counts them, slow or not.
    Guard broken = Guard.builder("broken").clock(clock).breaker(lenient()).build();
    // A breaker passed in may be shared: the guard counts for itself.
    CircuitBreaker shared = CircuitBreaker.builder("shared").clock(clock).build();
    Guard sharing = Guard.builder("sharing").clock(clock).breaker(shared).build();
    // Nothing to count them: the guard does.
    Guard bare = Guard.builder("bare").clock(clock).build();
    for (Guard g : new Guard[] {limited, broken, sharing, bare}) {
      for (int i = 0; i < 7; i++) {
        g.call(timeout -> "ok");
      }
      GuardPermit p = g.tryAcquire();
      p.onSuccess();
      p.onSuccess(); // completes once
      assertThrows(IllegalStateException.class,
          () -> g.call(timeout -> { throw new IllegalStateException("failed"); }));
    }
    shared.onSuccess(shared.tryAcquire(), 1_000_000L); // someone else's call on the breaker
    for (Guard g : new Guard[] {limited, broken, sharing, bare}) {
      assertEquals(8, g.count(Guard.Outcome.SUCCESS), g::toString);
      assertEquals(1, g.count(Guard.Outcome.FAILURE), g::toString);
    }
  }

  // ------------------------------------------------------------------- adaptive cut

  /** Teaches an adaptive guard that calls take 20 ms and returns it past the explorer. */
  private Guard taughtAdaptiveGuard() {
    Guard guard = Guard.builder("db").clock(clock).breaker(lenient())
        .limit(LimitPolicy.fixed(10)).deadline(DeadlinePolicy.adaptive().build()).build();
    teach(guard, 20, -1);
    clock.advance(Duration.ofMillis(200));
    return guard;
  }

  /** Successes {@link #teach} gives: past the estimator's minimum, and recomputed after it. */
  private static final int TAUGHT = DeadlineEstimator.MIN_SAMPLES + 200;

  /**
   * Gives an adaptive guard {@link #TAUGHT} successes, five calls at a time (within any limit
   * the tests give), each five taking {@code clockMillis} on the clock (or reporting {@code measuredMillis} when that is not
   * negative), so that they all stay in the histogram and the deadline is recomputed from them.
   */
  private void teach(Guard guard, long clockMillis, long measuredMillis) {
    for (int i = 0; i < TAUGHT; i += 5) {
      List<GuardPermit> batch = new ArrayList<>();
      for (int j = 0; j < 5; j++) {
        GuardPermit p = guard.tryAcquire();
        assertTrue(p.isAdmitted(), p::toString);
        batch.add(p);
      }
      clock.advance(Duration.ofMillis(clockMillis));
      for (GuardPermit p : batch) {
        if (measuredMillis < 0) {
          p.onSuccess();
        } else {
          p.onSuccess(Duration.ofMillis(measuredMillis).toNanos());
        }
      }
    }
  }

  @Test
  void adaptiveCutBelowTheCeilingCountsForNeitherBreakerNorLimit() {
    Guard guard = taughtAdaptiveGuard();
    long failuresBefore = guard.breaker().failureCount();
    double droppedBefore = shed(guard, "dropped");
    GuardPermit explorer = guard.tryAcquire();
    assertEquals(DeadlinePolicy.DEFAULT_CEILING, explorer.timeout());
    explorer.onIgnore();

    GuardPermit permit = guard.tryAcquire();
    assertTrue(permit.timeout().compareTo(Duration.ofMillis(50)) < 0, permit.timeout()::toString);
    clock.advance(permit.timeout());
    permit.onTimeout();

    assertEquals(failuresBefore, guard.breaker().failureCount());
    assertEquals(2, guard.breaker().ignoredCount());
    assertEquals(droppedBefore, shed(guard, "dropped"));
    assertEquals(2.0, shed(guard, "ignored"));
    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
  }

  @Test
  void anExplorerTimingOutAtTheCeilingIsABreakerFailureButNoLimitDrop() {
    Guard guard = taughtAdaptiveGuard();
    GuardPermit explorer = guard.tryAcquire();
    assertEquals(DeadlinePolicy.DEFAULT_CEILING, explorer.timeout());
    clock.advance(DeadlinePolicy.DEFAULT_CEILING);
    explorer.onFailure(new SocketTimeoutException());

    // Every other call would have been cut at about 22 ms, and cuts do not count for the
    // limit: one hung explorer in a window of fast answers must not read as overload.
    assertEquals(1, guard.breaker().failureCount());
    assertEquals(0.0, shed(guard, "dropped"));
    assertEquals(1.0, shed(guard, "ignored"));
    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
  }

  @Test
  void aTimeoutAtTheCeilingWhileTheDeadlineIsTheCeilingIsEvidenceForBoth() {
    // Fewer than 1000 successes: the adaptive deadline is its ceiling for every call.
    Guard guard = Guard.builder("db").clock(clock).breaker(lenient())
        .limit(LimitPolicy.fixed(10)).deadline(DeadlinePolicy.adaptive().build()).build();
    GuardPermit p = guard.tryAcquire();
    assertEquals(DeadlinePolicy.DEFAULT_CEILING, p.timeout());
    clock.advance(DeadlinePolicy.DEFAULT_CEILING);
    p.onTimeout();

    assertEquals(1, guard.breaker().failureCount());
    assertEquals(1.0, shed(guard, "dropped"));
  }

  @Test
  void readingTheDeadlineNeverMovesWhenTheGuardRecomputesIt() {
    // Two guards see the same calls; one is also read, as a gauge would read it, in the
    // middle of calls. Through a shift from 10-32 to 40-62 ms their deadlines stay equal: a
    // reading never recomputes, so it cannot move the periods the recomputes are made of.
    Guard read = Guard.builder("read").clock(clock).breaker(lenient())
        .deadline(DeadlinePolicy.adaptive().build()).build();
    Guard unread = Guard.builder("unread").clock(clock).breaker(lenient())
        .deadline(DeadlinePolicy.adaptive().build()).build();
    for (int i = 0; i < 600; i++) {
      long ms = (i < 300 ? 10 : 40) + (i * 37L) % 23; // varied, so that each sample counts
      GuardPermit a = read.tryAcquire();
      GuardPermit b = unread.tryAcquire();
      clock.advance(Duration.ofMillis(ms / 2));
      if (i % 3 == 0) {
        read.deadline();
      }
      clock.advance(Duration.ofMillis(ms - ms / 2));
      a.onSuccess();
      b.onSuccess();
      assertEquals(unread.deadline(), read.deadline(), "after call " + i);
    }
    assertTrue(read.deadline().compareTo(Duration.ofMillis(60)) > 0, read.deadline()::toString);
  }

  // ------------------------------------------------------------------- refusals

  @Test
  void breakerRefusalNamesTheBreakerAndTakesNoSlot() {
    Guard guard = fixedGuard();
    guard.breaker().forceOpen();
    GuardPermit permit = guard.tryAcquire();

    assertFalse(permit.isAdmitted());
    assertTrue(permit.isCompleted());
    RejectedException e = permit.rejection();
    assertEquals("breaker", e.component());
    assertEquals("db", e.name());
    assertEquals("breaker 'db' is FORCED_OPEN until reset", e.getMessage());
    assertTrue(e.retryAfterSeconds() >= 1);
    assertEquals(0, guard.limit().admitted(Priority.HIGH));
    assertEquals(1, guard.count(Guard.Outcome.REJECTED_BREAKER));
    assertEquals(1, guard.breaker().rejectedCount());
    permit.onSuccess();
    permit.close();
    assertEquals(0, guard.breaker().successCount());
    assertEquals(0, guard.count(Guard.Outcome.IGNORED));
  }

  @Test
  void limitRefusalReleasesTheBreakerPermitWithIgnore() {
    Guard guard = Guard.builder("db").clock(clock).breaker(lenient())
        .limit(LimitPolicy.fixed(1)).build();
    GuardPermit first = guard.tryAcquire();
    assertTrue(first.isAdmitted());
    GuardPermit second = guard.tryAcquire();

    assertFalse(second.isAdmitted());
    RejectedException e = second.rejection();
    assertEquals("shed", e.component());
    assertEquals("db", e.name());
    assertTrue(e.retryAfterSeconds() >= 1);
    assertEquals(1, guard.breaker().ignoredCount());
    assertEquals(1, guard.count(Guard.Outcome.REJECTED_LIMIT));
    assertEquals(1, guard.limit().inFlight());
    first.onSuccess();
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void admittedPermitHasNoRejection() {
    Guard guard = fixedGuard();
    try (GuardPermit permit = guard.tryAcquire()) {
      assertNull(permit.rejection());
    }
  }

  // ------------------------------------------------------------------- sync wrappers

  @Test
  void callPassesTheDeadlineAndReturnsTheResult() throws Exception {
    Guard guard = fixedGuard();
    AtomicReference<Duration> seen = new AtomicReference<>();
    String r = guard.call(timeout -> {
      seen.set(timeout);
      clock.advance(Duration.ofMillis(3));
      return "row";
    });
    assertEquals("row", r);
    assertEquals(FIXED, seen.get());
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void callReusesTheDeadlineDuration() throws Exception {
    Guard guard = taughtAdaptiveGuard();
    guard.tryAcquire().onIgnore(); // the explorer
    List<Duration> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      guard.call(timeout -> seen.add(timeout));
    }
    assertTrue(seen.get(0).compareTo(Duration.ofMillis(50)) < 0, seen::toString);
    assertSame(seen.get(0), seen.get(1));
    assertSame(seen.get(1), seen.get(2));
    Guard fixed = fixedGuard();
    Duration first = fixed.call(timeout -> timeout);
    assertEquals(FIXED, first);
    assertSame(first, fixed.call(timeout -> timeout));
  }

  @Test
  void callRethrowsAndClassifies() {
    Guard guard = fixedGuard();
    IOException boom = new IOException("boom");
    IOException thrown = assertThrows(IOException.class, () -> guard.call(t -> {
      throw boom;
    }));
    assertSame(boom, thrown);
    assertThrows(SQLTimeoutException.class, () -> guard.call(t -> {
      throw new SQLTimeoutException();
    }));
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void callThrowsTheRejection() {
    Guard guard = fixedGuard();
    guard.breaker().forceOpen();
    RejectedException e = assertThrows(RejectedException.class, () -> guard.call(t -> "x"));
    assertEquals("breaker", e.component());
  }

  @Test
  void fallbackGetsRejectionsAndFailures() {
    Guard guard = fixedGuard();
    assertEquals("row", guard.call(t -> "row", e -> "fallback"));
    assertEquals("IOException", guard.call(t -> {
      throw new IOException();
    }, e -> e.getClass().getSimpleName()));
    guard.breaker().forceOpen();
    assertEquals("breaker", guard.call(t -> "row",
        e -> ((RejectedException) e).component()));
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
    assertEquals(1, guard.count(Guard.Outcome.REJECTED_BREAKER));
  }

  @Test
  void errorsAreRecordedAndRethrownNotFallenBackOn() {
    Guard guard = fixedGuard();
    assertThrows(AssertionError.class, () -> guard.call(t -> {
      throw new AssertionError("bug");
    }, e -> "fallback"));
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
    assertEquals(0, guard.limit().inFlight());
  }

  // ------------------------------------------------------------------- stage

  @Test
  void stageEnforcesTheDeadlineAndCancelsTheInnerFuture() throws Exception {
    Guard guard = Guard.builder("db").breaker(lenient()).limit(LimitPolicy.fixed(10))
        .deadline(DeadlinePolicy.fixed(Duration.ofMillis(20))).build();
    CompletableFuture<String> inner = new CompletableFuture<>();
    CompletionStage<String> stage = guard.stage(timeout -> inner);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
    assertEquals("guard 'db': no answer within PT0.02S", e.getCause().getMessage());
    assertTrue(inner.isCancelled());
    assertEquals(1, guard.count(Guard.Outcome.TIMEOUT));
    assertEquals(1, guard.breaker().failureCount());
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void stageSucceedsBeforeTheDeadline() throws Exception {
    Guard guard = Guard.builder("db").breaker(lenient()).limit(LimitPolicy.fixed(10))
        .deadline(DeadlinePolicy.fixed(Duration.ofSeconds(30))).build();
    CompletionStage<String> stage =
        guard.stage(timeout -> CompletableFuture.supplyAsync(() -> "row"));
    assertEquals("row", stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    // The outcome is recorded before the stage completes.
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
    assertEquals(1, guard.breaker().successCount());
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void stageFailureIsUnwrappedAndClassified() {
    Guard guard = fixedGuard();
    CompletableFuture<String> inner = new CompletableFuture<>();
    CompletionStage<String> stage = guard.stage(timeout -> inner.thenApply(s -> s));
    inner.completeExceptionally(new IOException("reset"));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get());
    assertInstanceOf(IOException.class, e.getCause());
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void stageRefusalAndThrowingStarter() {
    Guard guard = fixedGuard();
    CompletionStage<String> thrown = guard.stage(timeout -> {
      throw new IllegalStateException("no connection");
    });
    assertTrue(thrown.toCompletableFuture().isCompletedExceptionally());
    assertEquals(1, guard.count(Guard.Outcome.FAILURE));
    guard.breaker().forceOpen();
    CompletionStage<String> refused = guard.stage(timeout -> CompletableFuture.completedFuture(""));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> refused.toCompletableFuture().get());
    assertInstanceOf(RejectedException.class, e.getCause());
    assertEquals(0, guard.limit().inFlight());
  }

  @Test
  void noDeadlineMeansNoTimer() throws Exception {
    Guard guard = Guard.builder("db").build();
    assertEquals(Guard.NO_DEADLINE, guard.deadline());
    try (GuardPermit permit = guard.tryAcquire()) {
      assertEquals(Guard.NO_DEADLINE, permit.timeout());
      assertEquals(Long.MAX_VALUE, permit.timeoutNanos());
    }
    assertEquals("ok", guard.stage(t -> CompletableFuture.completedFuture("ok"))
        .toCompletableFuture().get());
    assertEquals(1, guard.count(Guard.Outcome.SUCCESS));
    assertEquals(1, guard.count(Guard.Outcome.IGNORED));
  }

  // ------------------------------------------------------------------- builder, metrics

  @Test
  void builderRejectsBadInput() {
    assertEquals("name must be non-blank (was \" \")",
        assertThrows(IllegalArgumentException.class, () -> Guard.builder(" ")).getMessage());
    Guard.Builder b = Guard.builder("db").breaker(lenient());
    assertEquals("breaker must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> b.breaker((CircuitBreaker) null)).getMessage());
    assertThrows(IllegalStateException.class, () -> b.breaker(lenient()));
    b.limit(LimitPolicy.fixed(3));
    assertThrows(IllegalStateException.class,
        () -> b.limit(LoadShedder.builder("x").build()));
    b.clock(clock);
    assertThrows(IllegalStateException.class, () -> b.clock(clock));
    assertThrows(IllegalArgumentException.class, () -> b.timeoutWhen(null));
    assertEquals("priority must be non-null (was null)", assertThrows(
        IllegalArgumentException.class, () -> b.build().tryAcquire(null)).getMessage());
  }

  @Test
  void deadlinePolicyRejectsBadInput() {
    assertEquals("deadline must be > 0 (was PT0S)", assertThrows(IllegalArgumentException.class,
        () -> DeadlinePolicy.fixed(Duration.ZERO)).getMessage());
    assertEquals("percentile must be in (0, 1) (was 1)", assertThrows(
        IllegalArgumentException.class, () -> DeadlinePolicy.adaptive().percentile(1.0))
        .getMessage());
    assertEquals("headroom must be in [1, 100] (was 0.9)", assertThrows(
        IllegalArgumentException.class, () -> DeadlinePolicy.adaptive().headroom(0.9))
        .getMessage());
    assertEquals("window must be >= 100 ms (was PT0.01S)", assertThrows(
        IllegalArgumentException.class,
        () -> DeadlinePolicy.adaptive().window(Duration.ofMillis(10))).getMessage());
    assertEquals("floor must be <= ceiling PT1S (was PT2S)", assertThrows(
        IllegalArgumentException.class, () -> DeadlinePolicy.adaptive()
            .floor(Duration.ofSeconds(2)).ceiling(Duration.ofSeconds(1)).build()).getMessage());
  }

  @Test
  void usesGivenInstances() {
    CircuitBreaker breaker = CircuitBreaker.of("shared", lenient());
    LoadShedder shedder = LoadShedder.builder("shared").limit(LimitPolicy.fixed(4)).build();
    Guard guard = Guard.builder("shared").breaker(breaker).limit(shedder).build();
    assertSame(breaker, guard.breaker());
    assertSame(shedder, guard.limit());
    guard.tryAcquire(Priority.CRITICAL).onSuccess();
    assertEquals(1, shedder.admitted(Priority.CRITICAL));
    assertEquals(BreakerState.CLOSED, breaker.state());
  }

  @Test
  void describesItsMetersAndTheComponents() {
    Guard guard = fixedGuard();
    guard.tryAcquire().onSuccess();
    guard.tryAcquire().onTimeout();
    guard.breaker().forceOpen();
    guard.tryAcquire();
    RecordingMeterSink sink = new RecordingMeterSink();
    guard.describeMeters(sink);

    assertEquals(1.0, sink.value("headroom.guard.calls", "name", "db", "outcome", "success"));
    assertEquals(1.0, sink.value("headroom.guard.calls", "outcome", "timeout"));
    assertEquals(1.0, sink.value("headroom.guard.calls", "outcome", "rejected_breaker"));
    assertEquals(0.0, sink.value("headroom.guard.calls", "outcome", "rejected_limit"));
    assertEquals(500.0, sink.value("headroom.guard.deadline", "name", "db"));
    assertEquals(10.0, sink.value("headroom.guard.limit", "name", "db"));
    assertEquals(1.0, sink.value("headroom.breaker.state", "state", "forced_open"));
    assertEquals(10.0, sink.value("headroom.shed.limit", "name", "db"));
  }
}
