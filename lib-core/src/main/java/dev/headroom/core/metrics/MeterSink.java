package dev.headroom.core.metrics;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Where an {@link Instrumented} primitive describes its meters: the seam between Headroom's core
 * and a metrics system.
 *
 * <p>Every meter is pull-based: the primitive keeps its own counters (striped adders and atomics
 * it needs anyway for its getters) and hands the sink functions that read them. Nothing is
 * pushed on a hot path, so an unbound primitive pays nothing for metrics and a bound one pays
 * only when the registry is scraped. {@link HeadroomMeterBinder} implements this seam for
 * Micrometer; {@link #NOOP} ignores everything.
 *
 * <p>Thread-safety: implementations are called from the thread that binds, and, by a primitive
 * whose set of meters grows (a consumer-lag monitor that measures a new partition), later from
 * that primitive's own thread, so they must accept declarations from any thread. The functions
 * they receive are read from scrape threads and must be safe for that.
 */
public interface MeterSink {

  /** A sink that ignores every meter. */
  MeterSink NOOP = new MeterSink() {
    @Override
    public void counter(MeterId id, LongSupplier count) {}

    @Override
    public void gauge(MeterId id, DoubleSupplier value) {}

    @Override
    public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {}
  };

  /**
   * Declares a monotonically increasing count.
   *
   * @param id the meter's identity
   * @param count reads the current total; never decreases
   */
  void counter(MeterId id, LongSupplier count);

  /**
   * Declares a value that goes up and down (in-flight, limit, state, lag).
   *
   * @param id the meter's identity
   * @param value reads the current value
   */
  void gauge(MeterId id, DoubleSupplier value);

  /**
   * Declares a timer kept as a count of events and their total duration.
   *
   * @param id the meter's identity; its base unit is seconds
   * @param count reads the number of timed events; never decreases
   * @param totalNanos reads the summed duration in nanoseconds; never decreases
   */
  void timer(MeterId id, LongSupplier count, LongSupplier totalNanos);
}
