package dev.headroom.core.metrics;

import dev.headroom.core.Checks;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Binds Headroom primitives to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * new HeadroomMeterBinder(breaker, shedder, cache).bindTo(registry);
 * }</pre>
 *
 * <p>Counters become {@link FunctionCounter}s, gauges {@link Gauge}s and timers
 * {@link FunctionTimer}s, each reading the primitive's own state when the registry is scraped.
 * The registered meters hold strong references to the primitives: a bound primitive stays
 * reported until the registry removes its meters, instead of silently reading NaN once a weak
 * reference is collected.
 *
 * <p>Thread-safety: immutable; {@link #bindTo} may be called for several registries.
 */
public final class HeadroomMeterBinder implements MeterBinder {

  private final List<Instrumented> sources;

  /**
   * Creates a binder for the given primitives.
   *
   * @param sources the primitives to bind
   * @throws IllegalArgumentException if {@code sources} or any element is null
   */
  public HeadroomMeterBinder(Instrumented... sources) {
    Checks.requireNonNull("sources", sources);
    for (int i = 0; i < sources.length; i++) {
      Checks.requireNonNull("sources[" + i + "]", sources[i]);
    }
    this.sources = List.of(sources);
  }

  /**
   * Registers every meter of every primitive in {@code registry}.
   *
   * @param registry the registry
   * @throws IllegalArgumentException if {@code registry} is null
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Checks.requireNonNull("registry", registry);
    MeterSink sink = new RegistrySink(registry);
    for (Instrumented source : sources) {
      source.describeMeters(sink);
    }
  }

  /** Translates each declaration into a Micrometer function meter. */
  private static final class RegistrySink implements MeterSink {
    private final MeterRegistry registry;

    RegistrySink(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public void counter(MeterId id, LongSupplier count) {
      // Micrometer holds the state object weakly and the function strongly. The registry is
      // the state object (it outlives its meters) and the function captures the reader, so a
      // reader nobody else references is not collected while the meter is registered.
      FunctionCounter.builder(id.name(), registry, r -> (double) count.getAsLong())
          .description(emptyToNull(id.description()))
          .baseUnit(emptyToNull(id.baseUnit()))
          .tags(tags(id))
          .register(registry);
    }

    @Override
    public void gauge(MeterId id, DoubleSupplier value) {
      Gauge.builder(id.name(), value, DoubleSupplier::getAsDouble)
          .description(emptyToNull(id.description()))
          .baseUnit(emptyToNull(id.baseUnit()))
          .tags(tags(id))
          .strongReference(true)
          .register(registry);
    }

    @Override
    public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
      // Same reasoning as for counters: the registry is the weakly held state object.
      FunctionTimer.builder(id.name(), registry, r -> count.getAsLong(),
              r -> (double) totalNanos.getAsLong(), TimeUnit.NANOSECONDS)
          .description(emptyToNull(id.description()))
          .tags(tags(id))
          .register(registry);
    }

    private static Tags tags(MeterId id) {
      return Tags.of(id.tags().toArray(new String[0]));
    }

    private static String emptyToNull(String s) {
      return s.isEmpty() ? null : s;
    }
  }
}
