package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadShedderTest {

  private final ManualClock clock = new ManualClock();

  private LoadShedder fixed(int limit) {
    return LoadShedder.builder("api").limit(LimitPolicy.fixed(limit)).clock(clock).build();
  }

  private static List<Permit> fill(LoadShedder shedder, Priority priority, int n) {
    List<Permit> permits = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Permit permit = shedder.tryAcquire(priority);
      assertTrue(permit.isAdmitted(), priority + " #" + i + " refused: " + shedder);
      permits.add(permit);
    }
    return permits;
  }

  @Test
  void defaultSharesGiveOrderedCapacities() {
    LoadShedder shedder = fixed(10);
    assertEquals(9, shedder.capacity(Priority.HIGH));
    assertEquals(8, shedder.capacity(Priority.NORMAL));
    assertEquals(5, shedder.capacity(Priority.LOW));
    assertEquals(Integer.MAX_VALUE, shedder.capacity(Priority.CRITICAL));
    ShedInvariants.checkCapacitiesOrdered(shedder);
  }

  @Test
  void lowIsShedFirstThenNormalThenHighAndCriticalNever() {
    LoadShedder shedder = fixed(10);
    List<Permit> held = fill(shedder, Priority.LOW, 5);
    assertEquals(ShedReason.LIMIT, shedder.tryAcquire(Priority.LOW).reason());
    held.addAll(fill(shedder, Priority.NORMAL, 3));
    assertEquals(ShedReason.LIMIT, shedder.tryAcquire(Priority.NORMAL).reason());
    held.addAll(fill(shedder, Priority.HIGH, 1));
    assertEquals(ShedReason.LIMIT, shedder.tryAcquire(Priority.HIGH).reason());
    held.addAll(fill(shedder, Priority.CRITICAL, 20));
    assertEquals(29, shedder.inFlight());
    ShedInvariants.checkState(shedder, 20);
    held.forEach(Permit::onSuccess);
    ShedInvariants.checkDrained(shedder);
    assertEquals(5, shedder.admitted(Priority.LOW));
    assertEquals(1, shedder.rejected(Priority.LOW, ShedReason.LIMIT));
    assertEquals(20, shedder.admitted(Priority.CRITICAL));
  }

  /**
   * With an adaptive limit the bands open while no higher priority is refused: at normal load
   * LOW may fill the limit instead of being refused at half of it, which pushed the limit to
   * twice the concurrency the load needs (and a 20x spike into 20 slots then found it there and
   * collapsed the backend). A refusal of HIGH or NORMAL closes them at once, not when its
   * window closes (LOW's own refusals do not). With a fixed limit they never open.
   */
  @Test
  void adaptiveBandsOpenWithoutPressureAndCloseWhenAHigherPriorityIsRefused() {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = LoadShedder.builder("bands").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(20).minLimit(20).maxLimit(20).build())
        .build();
    assertEquals(0.0, shedder.bandsOpen());
    assertEquals(10, shedder.capacity(Priority.LOW));
    double[] opens = new double[4];
    for (int w = 0; w < 4; w++) {
      List<Permit> held = fill(shedder, Priority.HIGH, 12); // no refusal: no pressure
      closeWindowWith(clock, held, 2);
      opens[w] = shedder.bandsOpen();
    }
    assertEquals("[0.25, 0.5, 0.75, 1.0]", java.util.Arrays.toString(opens));
    assertEquals(20, shedder.capacity(Priority.LOW));
    assertEquals(20, shedder.capacity(Priority.NORMAL));
    assertEquals(20, shedder.capacity(Priority.HIGH));
    ShedInvariants.checkCapacitiesOrdered(shedder);

    List<Permit> held = fill(shedder, Priority.LOW, 20);
    assertFalse(shedder.tryAcquire(Priority.LOW).isAdmitted());
    assertEquals(1.0, shedder.bandsOpen(), "LOW's own refusal is no pressure");
    Permit high = shedder.tryAcquire(Priority.HIGH);
    assertEquals(ShedReason.LIMIT, high.reason());
    assertTrue(high.toException().getMessage().endsWith("capacity(HIGH)=20)"),
        high.toException().getMessage());
    // Closed at the refusal, not at the window's end: LOW is back to its share at once.
    assertEquals(0.0, shedder.bandsOpen(), "a HIGH refusal closes the bands at once");
    assertEquals(10, shedder.capacity(Priority.LOW));
    assertEquals(19, shedder.capacity(Priority.HIGH));
    ShedInvariants.checkCapacitiesOrdered(shedder);
    closeWindowWith(clock, held, 10);
    assertEquals(0.0, shedder.bandsOpen(), "a HIGH refusal is pressure");
    // Closed to the shares (10, 16, 19), and the priorities below HIGH squeezed by the
    // concurrency HIGH was refused: one slot here.
    assertEquals(9, shedder.capacity(Priority.LOW));
    assertEquals(15, shedder.capacity(Priority.NORMAL));
    assertEquals(19, shedder.capacity(Priority.HIGH));
    ShedInvariants.checkDrained(shedder);

    LoadShedder fixed = fixed(20);
    for (int w = 0; w < 4; w++) {
      closeWindowWith(clock, fill(fixed, Priority.HIGH, 12), 2);
    }
    assertEquals(0.0, fixed.bandsOpen());
    assertEquals(10, fixed.capacity(Priority.LOW));
  }

  /**
   * Under pressure a priority's capacity shrinks by twice the concurrency the priorities above
   * it were refused (their refusal rate times the latency), so that a freed slot waits for the
   * higher priority instead of going to whichever asks first; for HIGH, what CRITICAL took
   * beyond the limit counts as refused. A window in which nothing above was refused ends the
   * squeeze.
   */
  @Test
  void aRefusedPrioritySqueezesTheOnesBelowUntilItIsServed() {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = LoadShedder.builder("squeeze").clock(clock)
        .limit(LimitPolicy.gradient().initialLimit(40).minLimit(40).maxLimit(40).build())
        .build();
    assertEquals(32, shedder.capacity(Priority.NORMAL));
    List<Permit> held = fill(shedder, Priority.HIGH, 38);
    for (int i = 0; i < 100; i++) {
      assertFalse(shedder.tryAcquire(Priority.HIGH).isAdmitted());
    }
    closeWindowWith(clock, held, 10);
    assertEquals(0.0, shedder.bandsOpen());
    assertEquals(38, shedder.capacity(Priority.HIGH), "nothing above HIGH was refused");
    int normal = shedder.capacity(Priority.NORMAL);
    int low = shedder.capacity(Priority.LOW);
    assertTrue(normal >= 20 && normal <= 28, "NORMAL " + normal + ", share 32");
    assertTrue(low >= 8 && low <= 16, "LOW " + low + ", share 20");
    assertEquals(32 - normal, 20 - low, "LOW is squeezed by HIGH's refusals alone");
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    assertEquals(normal, sink.value("headroom.shed.capacity", "priority", "normal"));
    ShedInvariants.checkCapacitiesOrdered(shedder);

    // CRITICAL beyond the limit squeezes HIGH.
    held = fill(shedder, Priority.HIGH, 38);
    held.addAll(fill(shedder, Priority.CRITICAL, 6)); // in-flight 44: 4 beyond the limit
    closeWindowWith(clock, held, 10);
    assertTrue(shedder.capacity(Priority.HIGH) < 38, "HIGH " + shedder.capacity(Priority.HIGH));
    assertTrue(shedder.capacity(Priority.NORMAL) >= 1);
    ShedInvariants.checkCapacitiesOrdered(shedder);

    // A window without refusals and without CRITICAL beyond the limit: no squeeze.
    closeWindowWith(clock, fill(shedder, Priority.NORMAL, 12), 2);
    assertEquals(0.25, shedder.bandsOpen());
    assertEquals(LoadShedder.capacitiesFor(new double[] {Double.NaN, 0.95, 0.8, 0.5}, 40,
        0.25)[2], shedder.capacity(Priority.NORMAL));
    ShedInvariants.checkDrained(shedder);
  }

  /**
   * Completes all but {@code late} of the permits 5 ms from now, then the rest after the
   * window's end: the first of those closes the window (with at least the default ten samples
   * when {@code held.size() - late >= 9}).
   */
  private static void closeWindowWith(ManualClock clock, List<Permit> held, int late) {
    clock.advance(Duration.ofMillis(5));
    for (Permit p : held.subList(0, held.size() - late)) {
      p.onSuccess();
    }
    clock.advance(Duration.ofMillis(100));
    for (Permit p : held.subList(held.size() - late, held.size())) {
      p.onSuccess();
    }
  }

  @Test
  void criticalCountsAsInFlightAndSqueezesTheOthers() {
    LoadShedder shedder = fixed(10);
    List<Permit> critical = fill(shedder, Priority.CRITICAL, 9);
    assertFalse(shedder.tryAcquire(Priority.HIGH).isAdmitted());
    critical.get(0).onSuccess();
    assertTrue(shedder.tryAcquire(Priority.HIGH).isAdmitted());
  }

  @Test
  void slotApiAdmitsCountsAndReleasesLikeAPermit() {
    LoadShedder shedder = fixed(10);
    List<Long> slots = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      long slot = shedder.tryAcquireSlot(Priority.HIGH);
      assertTrue(slot != LoadShedder.NO_SLOT, "slot " + i);
      slots.add(slot);
    }
    assertEquals(9, shedder.inFlight());
    assertEquals(9, shedder.admitted(Priority.HIGH));
    // HIGH's capacity is 9: the fast path cannot admit, takes nothing and counts nothing.
    assertEquals(LoadShedder.NO_SLOT, shedder.tryAcquireSlot(Priority.HIGH));
    assertEquals(9, shedder.admitted(Priority.HIGH));
    assertEquals(0, shedder.rejected(Priority.HIGH, ShedReason.LIMIT));
    // CRITICAL is never refused.
    long critical = shedder.tryAcquireSlot(Priority.CRITICAL);
    assertTrue(critical != LoadShedder.NO_SLOT);
    shedder.onSlotSuccess(slots.get(0), 1_000_000L);
    shedder.onSlotDropped(slots.get(1), 2_000_000L);
    shedder.onSlotIgnore(slots.get(2));
    shedder.onSlotIgnore(critical);
    assertEquals(6, shedder.inFlight());
    assertTrue(shedder.tryAcquireSlot(Priority.HIGH) != LoadShedder.NO_SLOT);
  }

  @Test
  void slotApiRejectsWhatIsNotASlotAndNegativeLatency() {
    LoadShedder shedder = fixed(10);
    long slot = shedder.tryAcquireSlot(Priority.HIGH);
    assertMessage(IllegalArgumentException.class,
        "slot must be a slot returned by tryAcquireSlot (was -9223372036854775808)",
        () -> shedder.onSlotSuccess(LoadShedder.NO_SLOT, 0L));
    assertThrows(IllegalArgumentException.class, () -> shedder.onSlotDropped(slot, -1L));
    assertThrows(IllegalArgumentException.class, () -> shedder.tryAcquireSlot(null));
    shedder.onSlotSuccess(slot, 0L);
    assertEquals(0, shedder.inFlight());
  }

  @Test
  void regressionDoubleCompletionReleasesOnce() {
    LoadShedder shedder = fixed(10);
    Permit a = shedder.tryAcquire(Priority.HIGH);
    Permit b = shedder.tryAcquire(Priority.HIGH);
    a.onSuccess();
    a.onSuccess();
    a.onDropped();
    a.onIgnore();
    a.close();
    assertEquals(1, shedder.inFlight());
    assertTrue(a.isCompleted());
    try (b) {
      b.onDropped();
    }
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void regressionDoubleCompletionReleasesOnceWithAtomicCompletion() {
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(10)).clock(clock)
        .atomicCompletion(true).build();
    Permit a = shedder.tryAcquire(Priority.HIGH);
    Permit b = shedder.tryAcquire(Priority.HIGH);
    a.onSuccess();
    a.onDropped();
    a.close();
    assertEquals(1, shedder.inFlight());
    b.close();
    b.onSuccess();
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void closeWithoutOutcomeReleasesAsIgnored() {
    LoadShedder shedder = fixed(2);
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    try (Permit permit = shedder.tryAcquire(Priority.NORMAL)) {
      assertTrue(permit.isAdmitted());
      assertEquals(1, shedder.inFlight());
    }
    ShedInvariants.checkDrained(shedder);
    assertEquals(1.0, sink.value("headroom.shed.completed", "outcome", "ignored"));
    assertEquals(0.0, sink.value("headroom.shed.completed", "outcome", "success"));
  }

  @Test
  void refusalCarriesReasonSnapshotAndRetryAfter() {
    LoadShedder shedder = fixed(4);
    List<Permit> held = fill(shedder, Priority.LOW, 2);
    Permit refused = shedder.tryAcquire(Priority.LOW);
    assertFalse(refused.isAdmitted());
    assertTrue(refused.isCompleted());
    assertEquals(ShedReason.LIMIT, refused.reason());
    assertEquals(1, refused.retryAfterSeconds());
    ShedException e = refused.toException();
    assertEquals("shed", e.component());
    assertEquals("api", e.name());
    assertEquals(Priority.LOW, e.priority());
    assertEquals(ShedReason.LIMIT, e.reason());
    assertEquals("shed api refused LOW: LIMIT (inFlight=2, waiting=0, limit=4, "
        + "capacity(LOW)=2)", e.getMessage());
    assertEquals(0, e.getStackTrace().length);
    refused.onSuccess(); // a refusal is born completed: nothing happens
    assertEquals(2, shedder.inFlight());
    held.forEach(Permit::onSuccess);
  }

  @Test
  void retryAfterGrowsWithLatencyAndBacklog() {
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(4)).clock(clock)
        .build();
    // Eleven 3-second requests: past the fixed policy's 100 ms window, the estimate is 3 s.
    for (int i = 0; i < 11; i++) {
      shedder.tryAcquire(Priority.CRITICAL).onSuccess(3_000_000_000L);
    }
    clock.advance(Duration.ofMillis(200));
    shedder.tryAcquire(Priority.CRITICAL).onSuccess(3_000_000_000L);
    assertEquals(Duration.ofSeconds(3), shedder.latencyEstimate());
    List<Permit> held = fill(shedder, Priority.CRITICAL, 8); // backlog 8 / limit 4 = 2x
    Permit refused = shedder.tryAcquire(Priority.HIGH);
    assertEquals(Duration.ofSeconds(6), refused.retryAfter());
    assertEquals(6, refused.retryAfterSeconds());
    held.forEach(Permit::onSuccess);
  }

  @Test
  void acquireThrowsTheTypedRefusal() {
    LoadShedder shedder = fixed(1);
    Permit held = shedder.acquire(Priority.HIGH);
    ShedException e = assertThrows(ShedException.class, () -> shedder.acquire(Priority.HIGH));
    assertEquals(ShedReason.LIMIT, e.reason());
    held.onSuccess();
  }

  @Test
  void admittedPermitHasNoRefusal() {
    LoadShedder shedder = fixed(1);
    Permit permit = shedder.tryAcquire(Priority.HIGH);
    assertNull(permit.reason());
    assertEquals(Duration.ZERO, permit.retryAfter());
    assertEquals(0, permit.retryAfterSeconds());
    IllegalStateException e = assertThrows(IllegalStateException.class, permit::toException);
    assertEquals("permit was admitted, not refused", e.getMessage());
    permit.onSuccess();
  }

  @Test
  void latencyIsMeasuredWithTheClock() {
    LoadShedder shedder = fixed(10);
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    Permit permit = shedder.tryAcquire(Priority.HIGH);
    clock.advance(Duration.ofMillis(30));
    permit.onSuccess();
    assertEquals(1.0, sink.value("headroom.shed.completed", "outcome", "success"));
    Permit dropped = shedder.tryAcquire(Priority.HIGH);
    dropped.onDropped(5_000_000L);
    assertEquals(1.0, sink.value("headroom.shed.completed", "outcome", "dropped"));
  }

  @Test
  void metricsUnderHeadroomShed() {
    LoadShedder shedder = fixed(2);
    RecordingMeterSink sink = new RecordingMeterSink();
    shedder.describeMeters(sink);
    Permit a = shedder.tryAcquire(Priority.LOW);
    shedder.tryAcquire(Priority.LOW);
    shedder.tryAcquire(Priority.LOW);
    Permit c = shedder.tryAcquire(Priority.CRITICAL);
    assertEquals(2.0, sink.value("headroom.shed.inflight", "name", "api"));
    assertEquals(0.0, sink.value("headroom.shed.waiting", "name", "api"));
    assertEquals(2.0, sink.value("headroom.shed.limit", "name", "api"));
    assertEquals(1.0, sink.value("headroom.shed.admitted", "priority", "low"));
    assertEquals(1.0, sink.value("headroom.shed.admitted", "priority", "critical"));
    assertEquals(2.0, sink.value("headroom.shed.rejected", "priority", "low", "reason", "limit"));
    assertEquals(0.0,
        sink.value("headroom.shed.rejected", "priority", "high", "reason", "queue_full"));
    a.onSuccess();
    c.onSuccess();
    assertEquals(0.0, sink.value("headroom.shed.inflight", "name", "api"));
    assertEquals(0.0, sink.value("headroom.shed.bands.open", "name", "api"));
    // fixed(2): HIGH 1 (floor 1.9), NORMAL 1, LOW 1 (never below 1).
    assertEquals(1.0, sink.value("headroom.shed.capacity", "priority", "high"));
    assertEquals(1.0, sink.value("headroom.shed.capacity", "priority", "low"));
    assertEquals(4 + 3 + 4 + 4 * 5 + 3, sink.declared().size());
    assertEquals("seconds", sink.declared().get(sink.declared().size() - 1).id().baseUnit());
  }

  @Test
  void bindsToMicrometer() {
    LoadShedder shedder = fixed(4);
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new dev.headroom.core.metrics.HeadroomMeterBinder(shedder).bindTo(registry);
    Permit permit = shedder.tryAcquire(Priority.HIGH);
    clock.advance(Duration.ofMillis(250));
    permit.onSuccess();
    shedder.tryAcquire(Priority.CRITICAL);
    assertEquals(1.0, registry.get("headroom.shed.inflight").tag("name", "api").gauge().value());
    assertEquals(4.0, registry.get("headroom.shed.limit").gauge().value());
    assertEquals(1.0, registry.get("headroom.shed.admitted").tag("priority", "high")
        .functionCounter().count());
    io.micrometer.core.instrument.FunctionTimer success = registry.get("headroom.shed.completed")
        .tag("outcome", "success").functionTimer();
    assertEquals(1.0, success.count());
    assertEquals(0.25, success.totalTime(java.util.concurrent.TimeUnit.SECONDS), 1e-9);
  }

  @Test
  void customSharesAreUsed() {
    LoadShedder shedder = LoadShedder.builder("api").limit(LimitPolicy.fixed(100))
        .share(Priority.LOW, 0.1).share(Priority.NORMAL, 0.1).share(Priority.HIGH, 1.0)
        .clock(clock).build();
    assertEquals(10, shedder.capacity(Priority.LOW));
    assertEquals(10, shedder.capacity(Priority.NORMAL));
    assertEquals(100, shedder.capacity(Priority.HIGH));
    assertEquals(1.0, shedder.share(Priority.HIGH));
    assertEquals(Double.POSITIVE_INFINITY, shedder.share(Priority.CRITICAL));
  }

  @Test
  void tinyLimitsStillAdmitOneOfEachPriority() {
    LoadShedder shedder = fixed(1);
    assertEquals(1, shedder.capacity(Priority.LOW));
    Permit low = shedder.tryAcquire(Priority.LOW);
    assertTrue(low.isAdmitted());
    assertFalse(shedder.tryAcquire(Priority.HIGH).isAdmitted());
    low.onSuccess();
  }

  @Test
  void nullPriorityIsRefusedWithTheSharedMessage() {
    LoadShedder shedder = fixed(1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> shedder.tryAcquire(null));
    assertEquals("priority must be non-null (was null)", e.getMessage());
  }

  @Test
  void negativeCallerLatencyIsRejected() {
    LoadShedder shedder = fixed(1);
    Permit permit = shedder.tryAcquire(Priority.HIGH);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> permit.onSuccess(-1));
    assertEquals("latencyNanos must be >= 0 (was -1)", e.getMessage());
    assertFalse(permit.isCompleted());
    permit.onSuccess(1);
    ShedInvariants.checkDrained(shedder);
  }

  @Test
  void toStringShowsState() {
    LoadShedder shedder = fixed(3);
    Permit permit = shedder.tryAcquire(Priority.HIGH);
    assertEquals("LoadShedder[api, inFlight=1, waiting=0, limit=3]", shedder.toString());
    assertEquals("Permit[HIGH, admitted]", permit.toString());
    permit.onSuccess();
    assertEquals("Permit[HIGH, admitted, completed]", permit.toString());
    assertSame(Priority.HIGH, permit.priority());
  }

  // ------------------------------------------------------------------ builder validation

  @Test
  void builderRejectsBadInputWithNamedErrors() {
    assertMessage(IllegalArgumentException.class, "name must be non-blank (was \" \")",
        () -> LoadShedder.builder(" "));
    LoadShedder.Builder b = LoadShedder.builder("api");
    assertMessage(IllegalArgumentException.class, "share(LOW) must be in (0, 1] (was 0)",
        () -> b.share(Priority.LOW, 0.0));
    assertMessage(IllegalArgumentException.class, "share(HIGH) must be in (0, 1] (was 1.5)",
        () -> b.share(Priority.HIGH, 1.5));
    assertMessage(IllegalArgumentException.class,
        "priority must be HIGH, NORMAL or LOW (CRITICAL is never shed) (was CRITICAL)",
        () -> b.share(Priority.CRITICAL, 0.5));
    assertMessage(IllegalArgumentException.class, "maxWait must be >= 0 (was PT-0.001S)",
        () -> b.maxWait(Duration.ofMillis(-1)));
    assertMessage(IllegalArgumentException.class, "queueCapacity must be in [2, 1048576] (was 1)",
        () -> b.queueCapacity(1));
    assertMessage(IllegalArgumentException.class, "queueDelayTarget must be > 0 (was PT0S)",
        () -> b.queueDelayTarget(Duration.ZERO));
    assertMessage(IllegalArgumentException.class, "limit must be non-null (was null)",
        () -> b.limit(null));
    b.limit(LimitPolicy.fixed(3));
    assertMessage(IllegalStateException.class, "limit was already set to Fixed[limit=3]",
        () -> b.limit(LimitPolicy.fixed(4)));
    b.share(Priority.LOW, 0.5);
    assertMessage(IllegalStateException.class, "share(LOW) was already set to 0.5",
        () -> b.share(Priority.LOW, 0.6));
    b.atomicCompletion(true);
    assertMessage(IllegalStateException.class, "atomicCompletion was already set to true",
        () -> b.atomicCompletion(false));
  }

  @Test
  void sharesMustBeOrdered() {
    assertMessage(IllegalArgumentException.class, "share(NORMAL) must be >= share(LOW) 0.9 "
        + "(was 0.8)", () -> LoadShedder.builder("api").share(Priority.LOW, 0.9).build());
    assertMessage(IllegalArgumentException.class, "share(HIGH) must be >= share(NORMAL) 1 "
        + "(was 0.95)", () -> LoadShedder.builder("api").share(Priority.NORMAL, 1.0).build());
  }

  @Test
  void queueOptionsNeedAWait() {
    assertMessage(IllegalStateException.class, "queueCapacity needs maxWait > 0 (was unset)",
        () -> LoadShedder.builder("api").queueCapacity(8).build());
    assertMessage(IllegalStateException.class, "queueDelayTarget needs maxWait > 0 (was PT0S)",
        () -> LoadShedder.builder("api").maxWait(Duration.ZERO)
            .queueDelayTarget(Duration.ofMillis(1)).build());
  }

  @Test
  void limitPoliciesRejectBadInputWithNamedErrors() {
    assertMessage(IllegalArgumentException.class, "limit must be > 0 (was 0)",
        () -> LimitPolicy.fixed(0));
    assertMessage(IllegalArgumentException.class, "minLimit must be <= maxLimit (5) (was 10)",
        () -> LimitPolicy.gradient().minLimit(10).maxLimit(5).build());
    assertMessage(IllegalArgumentException.class, "minLimit must be <= maxLimit (5) (was 10)",
        () -> LimitPolicy.aimd().minLimit(10).maxLimit(5).initialLimit(5).build());
    assertMessage(IllegalArgumentException.class, "initialLimit must be in [10, 20] (was 30)",
        () -> LimitPolicy.aimd().minLimit(10).maxLimit(20).initialLimit(30).build());
    assertMessage(IllegalArgumentException.class, "backoffRatio must be in (0, 1) (was 1)",
        () -> LimitPolicy.aimd().backoffRatio(1.0));
    assertMessage(IllegalArgumentException.class, "smoothing must be in (0, 1] (was 0)",
        () -> LimitPolicy.gradient().smoothing(0.0));
    assertMessage(IllegalArgumentException.class, "tolerance must be in [1, 100] (was 0.5)",
        () -> LimitPolicy.gradient().tolerance(0.5));
    assertMessage(IllegalArgumentException.class, "latencyThreshold must be >= 0 (was PT-1S)",
        () -> LimitPolicy.aimd().latencyThreshold(Duration.ofSeconds(-1)));
    assertMessage(IllegalArgumentException.class, "window must be > 0 (was PT0S)",
        () -> LimitPolicy.gradient().window(Duration.ZERO));
    assertMessage(IllegalStateException.class, "minSamples was already set to 3",
        () -> LimitPolicy.gradient().minSamples(3).minSamples(4));
  }

  @Test
  void policyDefaults() {
    LimitPolicy.Gradient gradient = LimitPolicy.gradient().build();
    assertEquals(20, gradient.initialLimit());
    assertEquals(1, gradient.minLimit());
    assertEquals(1000, gradient.maxLimit());
    assertEquals(Duration.ofMillis(100), gradient.window());
    LimitPolicy.Aimd aimd = LimitPolicy.aimd().minLimit(50).build();
    assertEquals(50, aimd.initialLimit());
    assertEquals(Duration.ZERO, aimd.latencyThreshold());
    assertEquals(7, LimitPolicy.fixed(7).initialLimit());
    assertEquals(20, LoadShedder.builder("x").build().limit());
  }

  static <T extends Throwable> void assertMessage(Class<T> type, String message,
      org.junit.jupiter.api.function.Executable call) {
    T e = assertThrows(type, call);
    assertEquals(message, e.getMessage());
  }
}
