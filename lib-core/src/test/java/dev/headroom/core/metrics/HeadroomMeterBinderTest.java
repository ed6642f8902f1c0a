package dev.headroom.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class HeadroomMeterBinderTest {

  /** A primitive with one meter of each kind, reading live state. */
  static final class Gadget implements Instrumented {
    final LongAdder calls = new LongAdder();
    final AtomicLong inFlight = new AtomicLong();
    final LongAdder loads = new LongAdder();
    final LongAdder loadNanos = new LongAdder();

    @Override
    public void describeMeters(MeterSink sink) {
      MeterId base = MeterId.of("headroom.gadget.calls").tag("name", "g1");
      sink.counter(base.tag("outcome", "success").description("Calls"), calls::sum);
      sink.gauge(MeterId.of("headroom.gadget.inflight").tag("name", "g1"), inFlight::get);
      sink.timer(MeterId.of("headroom.gadget.load").tag("name", "g1"), loads::sum, loadNanos::sum);
    }
  }

  @Test
  void registersFunctionMetersThatReadLiveState() {
    Gadget gadget = new Gadget();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new HeadroomMeterBinder(gadget).bindTo(registry);

    gadget.calls.add(3);
    gadget.inFlight.set(7);
    gadget.loads.add(2);
    gadget.loadNanos.add(3_000_000_000L);

    FunctionCounter counter = registry.get("headroom.gadget.calls")
        .tags("name", "g1", "outcome", "success").functionCounter();
    assertEquals(3.0, counter.count());
    assertEquals("Calls", counter.getId().getDescription());
    Gauge gauge = registry.get("headroom.gadget.inflight").tag("name", "g1").gauge();
    assertEquals(7.0, gauge.value());
    FunctionTimer timer = registry.get("headroom.gadget.load").functionTimer();
    assertEquals(2.0, timer.count());
    assertEquals(3.0, timer.totalTime(TimeUnit.SECONDS), 1e-9);
  }

  @Test
  void metersSurviveGarbageCollectionOfTheReaders() {
    Gadget gadget = new Gadget();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new HeadroomMeterBinder(gadget).bindTo(registry);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    gadget.calls.add(5);
    gadget.inFlight.set(1);
    gadget.loads.add(1);
    assertEquals(5.0, registry.get("headroom.gadget.calls").functionCounter().count());
    assertEquals(1.0, registry.get("headroom.gadget.inflight").gauge().value());
    assertEquals(1.0, registry.get("headroom.gadget.load").functionTimer().count());
  }

  @Test
  void noopSinkAcceptsEverything() {
    new Gadget().describeMeters(MeterSink.NOOP);
  }

  @Test
  void recordingSinkReadsByNameAndTags() {
    Gadget gadget = new Gadget();
    RecordingMeterSink sink = new RecordingMeterSink();
    gadget.describeMeters(sink);
    gadget.calls.increment();
    assertEquals(1.0, sink.value("headroom.gadget.calls", "outcome", "success"));
    assertEquals(3, sink.declared().size());
  }

  @Test
  void rejectsNullSources() {
    assertEquals("sources[1] must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> new HeadroomMeterBinder(new Gadget(), null)).getMessage());
    assertEquals("registry must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> new HeadroomMeterBinder().bindTo(null)).getMessage());
  }
}
