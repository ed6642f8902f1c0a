/**
 * One dependency's composed call path: {@link dev.headroom.guard.Guard} puts a circuit breaker,
 * a concurrency limit and a fixed or adaptive deadline ({@link dev.headroom.guard.DeadlinePolicy})
 * around each call, in one documented order, with the permit accounting inside.
 */
package dev.headroom.guard;
