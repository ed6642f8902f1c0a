/**
 * Priority load shedding with an adaptive concurrency limit.
 *
 * <p>A {@link dev.headroom.shed.LoadShedder} admits a request while the number in flight is
 * below that request's {@link dev.headroom.shed.Priority priority}'s share of a concurrency
 * limit. The limit is fixed or adapts to measured latency ({@link dev.headroom.shed.LimitPolicy}:
 * AIMD or a gradient controller). {@code CRITICAL} is always admitted; {@code LOW} is shed
 * first. Optionally a request waits a bounded time in a per-priority FIFO queue, served highest
 * priority first, and a standing queue is shed CoDel-style. A refused request gets a
 * {@link dev.headroom.shed.ShedReason} and a Retry-After hint; an admitted one gets a
 * {@link dev.headroom.shed.Permit} that it completes once with its outcome.
 *
 * <p>Admission and release are lock-free. In-flight, waiting and limit are plain getters for
 * the scaling-signal layer, and meters under {@code headroom.shed.*}.
 */
package dev.headroom.shed;
