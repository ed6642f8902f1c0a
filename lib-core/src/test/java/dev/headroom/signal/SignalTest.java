package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SignalTest {

  @Test
  void aValidReadingIsRememberedAndDated() {
    ManualClock clock = new ManualClock();
    AtomicReference<Double> value = new AtomicReference<>(42.0);
    Signal s = Signal.builder("orders-queue").unit("messages").targetPerPod(10)
        .fleetTotal(value::get).clock(clock).build();
    assertFalse(s.hasValue());
    assertTrue(Double.isNaN(s.lastValue()));
    clock.advance(Duration.ofSeconds(3));
    assertEquals(Duration.ofSeconds(3), s.age(), "age counts from the build before any reading");

    assertEquals(42.0, s.read());
    assertEquals(Duration.ZERO, s.age());
    clock.advance(Duration.ofSeconds(7));
    assertEquals(42.0, s.lastValue());
    assertEquals(Duration.ofSeconds(7), s.age());
    assertEquals(SignalScope.FLEET_TOTAL, s.scope());
    assertEquals("messages", s.unit());
    assertEquals(10.0, s.targetPerPod());
  }

  @Test
  void nonFiniteNegativeAndThrowingReadingsAreSkippedAndCounted() {
    ManualClock clock = new ManualClock();
    AtomicReference<Double> value = new AtomicReference<>(5.0);
    Signal s = Signal.builder("api-waiting").targetPerPod(10).perPod(() -> {
      Double v = value.get();
      if (v == null) {
        throw new IllegalStateException("gone");
      }
      return v;
    }).clock(clock).build();
    assertEquals(5.0, s.read());
    clock.advance(Duration.ofSeconds(1));

    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY}) {
      value.set(bad);
      assertTrue(Double.isNaN(s.read()));
    }
    value.set(-1.0);
    assertTrue(Double.isNaN(s.read()));
    value.set(null);
    assertTrue(Double.isNaN(s.read()));

    assertEquals(3, s.invalidCount(Signal.InvalidReason.NON_FINITE));
    assertEquals(1, s.invalidCount(Signal.InvalidReason.NEGATIVE));
    assertEquals(1, s.invalidCount(Signal.InvalidReason.ERROR));
    assertEquals(5, s.invalidCount());
    assertEquals("gone", s.lastError().getMessage());
    assertEquals(5.0, s.lastValue(), "the last valid reading stays");
    assertEquals(Duration.ofSeconds(1), s.age(), "and ages");

    value.set(-0.0);
    assertEquals(0.0, s.read());
    assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(s.lastValue()));
  }

  @Test
  void metersExportOnlyValidReadings() {
    ManualClock clock = new ManualClock();
    AtomicReference<Double> value = new AtomicReference<>(7.0);
    Signal s = Signal.builder("api-waiting").unit("requests").targetPerPod(10)
        .perPod(value::get).clock(clock).build();
    RecordingMeterSink sink = new RecordingMeterSink();
    s.describeMeters(sink);
    String[] tags = {"name", "api-waiting", "unit", "requests", "scope", "per_pod"};
    assertEquals(7.0, sink.value("headroom.signal.value", tags));
    assertEquals(10.0, sink.value("headroom.signal.target", tags));
    value.set(Double.NaN);
    clock.advance(Duration.ofMillis(2500));
    assertEquals(7.0, sink.value("headroom.signal.value", tags), "NaN is never exported");
    assertEquals(2.5, sink.value("headroom.signal.age", "name", "api-waiting"));
    assertEquals(1.0, sink.value("headroom.signal.invalid", "name", "api-waiting",
        "reason", "non_finite"));
    assertEquals(0.0, sink.value("headroom.signal.invalid", "name", "api-waiting",
        "reason", "negative"));
  }

  @Test
  void badConfigurationFailsWithTheSharedMessage() {
    assertEquals("targetPerPod must be finite and > 0 (was 0)",
        assertThrows(IllegalArgumentException.class,
            () -> Signal.builder("q").targetPerPod(0)).getMessage());
    assertEquals("targetPerPod must be finite and > 0 (was -5)",
        assertThrows(IllegalArgumentException.class,
            () -> Signal.perPod("q", "items", -5, () -> 1)).getMessage());
    assertEquals("targetPerPod must be finite and > 0 (was NaN)",
        assertThrows(IllegalArgumentException.class,
            () -> Signal.builder("q").perPod(() -> 1).build()).getMessage());
    assertEquals("name must be 1 to 63 of [a-z0-9_-], starting and ending with a letter or"
            + " digit (was \"Orders.Queue\")",
        assertThrows(IllegalArgumentException.class,
            () -> Signal.builder("Orders.Queue")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Signal.builder("-q"));
    assertThrows(IllegalArgumentException.class, () -> Signal.builder("q".repeat(64)));
    assertEquals("unit must be 1 to 32 of [A-Za-z0-9_%/.-] (was \"two words\")",
        assertThrows(IllegalArgumentException.class,
            () -> Signal.builder("q").unit("two words")).getMessage());
    assertEquals("reading must be set with perPod(...) or fleetTotal(...)",
        assertThrows(IllegalStateException.class,
            () -> Signal.builder("q").targetPerPod(1).build()).getMessage());
    assertEquals("reading was already set to PER_POD",
        assertThrows(IllegalStateException.class,
            () -> Signal.builder("q").perPod(() -> 1).fleetTotal(() -> 2)).getMessage());
  }

  @Test
  void fleetValueScalesPerPodReadingsByThePodCount() {
    Signal perPod = Signal.perPod("a", "requests", 10, () -> 3);
    Signal fleet = Signal.fleetTotal("b", "messages", 10, () -> 3);
    assertEquals(15.0, perPod.fleetValue(3, 5));
    assertEquals(3.0, fleet.fleetValue(3, 5));
    assertSame(SignalScope.PER_POD, perPod.scope());
    assertEquals("Signal[a, per_pod, target 10 requests per pod]", perPod.toString());
  }
}
