/**
 * An adaptive circuit breaker whose recovery ramps: {@link dev.headroom.breaker.CircuitBreaker}
 * trips on a failure rate judged over the newest calls of a sliding time window (consecutive
 * failures where the volume is too low for a rate, an optional slow-call rate), rejects at once
 * while open (with an open duration that backs off on relapses in which no probe succeeded),
 * and then lets a growing fraction of calls through (by default 1%, 50%, 100%, each step passing
 * as soon as its probes are confidently healthy) instead of flipping from a handful of probes
 * to all traffic. {@link dev.headroom.breaker.BreakerRegistry} holds
 * one breaker per dependency or host, sharing one {@link dev.headroom.breaker.BreakerConfig}.
 *
 * <p>The permission and outcome path takes no lock and allocates nothing while the breaker is
 * closed.
 */
package dev.headroom.breaker;
