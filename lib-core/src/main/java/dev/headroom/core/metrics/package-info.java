/**
 * The metrics seam: primitives implement {@link dev.headroom.core.metrics.Instrumented} and
 * describe pull-based meters to a {@link dev.headroom.core.metrics.MeterSink};
 * {@link dev.headroom.core.metrics.HeadroomMeterBinder} binds them to Micrometer. Unbound
 * primitives pay nothing for metrics.
 */
package dev.headroom.core.metrics;
