/**
 * An adaptive circuit breaker whose recovery ramps: {@link dev.headroom.breaker.CircuitBreaker}
 * trips on consecutive failures, a failure rate or a slow-call rate over a sliding time window,
 * rejects at once while open (with an open duration that backs off on each relapse), and then
 * lets a growing fraction of calls through (by default 1%, 10%, 50%, 100%) instead of flipping
 * from a handful of probes to all traffic. {@link dev.headroom.breaker.BreakerRegistry} holds
 * one breaker per dependency or host, sharing one {@link dev.headroom.breaker.BreakerConfig}.
 *
 * <p>The permission and outcome path takes no lock and allocates nothing while the breaker is
 * closed.
 */
package dev.headroom.breaker;
