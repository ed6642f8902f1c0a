package dev.headroom.core.metrics;

/**
 * A primitive that can describe its meters to a {@link MeterSink}.
 *
 * <p>Implementations call the sink once per meter, every time {@link #describeMeters} is called,
 * with functions that read live state. They must not cache the sink.
 *
 * <p>Thread-safety: {@link #describeMeters} may be called from any thread, at any time.
 */
@FunctionalInterface
public interface Instrumented {

  /**
   * Describes every meter of this primitive.
   *
   * @param sink where to declare them
   */
  void describeMeters(MeterSink sink);
}
