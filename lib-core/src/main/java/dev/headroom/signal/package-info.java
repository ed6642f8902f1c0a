/**
 * Scaling signals and replica advice: tell the autoscaler the truth early enough to matter.
 *
 * <p>A {@link dev.headroom.signal.Signal} is a named, cheap, thread-safe reading with a unit and
 * a per-pod target: a queue's depth, a consumer group's lag, a shedder's waiting requests, its
 * in-flight over its limit. {@link dev.headroom.signal.Signals} builds the usual ones from the
 * primitives' getters; a signal of your own is one lambda.
 *
 * <p>A {@link dev.headroom.signal.ReplicaAdvisor} turns signals into a replica count with the
 * Kubernetes HPA's algorithm (tolerance, maximum over signals, immediate scale-out, scale-down
 * stabilisation), caps it by what the databases' connection budgets were sized for and holds it
 * while a dependency's breaker is open; each {@link dev.headroom.signal.ReplicaAdvice} says why.
 *
 * <p>Exporters: every signal and advisor is {@link dev.headroom.core.metrics.Instrumented}
 * (Micrometer gauges {@code headroom.signal.*} and {@code headroom.advice.*}, for Prometheus,
 * KEDA's prometheus scaler and the HPA through prometheus-adapter), and
 * {@link dev.headroom.signal.KedaMetricsEndpoint} answers KEDA's metrics-api scaler on the JDK's
 * HTTP server. The AWS adapter publishes the same signals to CloudWatch.
 */
package dev.headroom.signal;
