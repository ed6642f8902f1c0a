package dev.headroom.samples;

import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.LongAdder;

/**
 * The README's metrics example: any {@link Instrumented} primitive is bound to Micrometer with
 * one {@link HeadroomMeterBinder}. Prints the registered meters.
 */
public final class MetricsExample {

  private MetricsExample() {}

  /**
   * Binds an instrumented counter to a registry and prints what the registry sees.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    LongAdder requests = new LongAdder();
    Instrumented source = sink -> sink.counter(
        MeterId.of("headroom.sample.requests").tag("name", "demo"), requests::sum);

    // tag::bind[]
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new HeadroomMeterBinder(source).bindTo(registry);
    // end::bind[]
    requests.add(3);

    for (Meter meter : registry.getMeters()) {
      System.out.println(meter.getId().getName() + " " + meter.getId().getTags() + " = "
          + meter.measure().iterator().next().getValue());
    }
  }
}
