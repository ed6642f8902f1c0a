/**
 * The connection budget: how many connections each pod of each service may open against a
 * shared database so that the sum over every pod stays within {@code max_connections}, as the
 * services scale.
 *
 * <ul>
 *   <li>{@link dev.headroom.budget.PoolBudget}: the arithmetic, from the database's limits and
 *       each service's declared maximum of pods, with an explanation and a check of existing
 *       static pool sizes ({@link dev.headroom.budget.StaticPoolFinding});
 *   <li>{@link dev.headroom.budget.PodCountSource}: how many pods run now (fixed, environment,
 *       pushed by a watcher through {@link dev.headroom.budget.PushedPodCountSource}, any
 *       polled supplier through {@link dev.headroom.budget.PolledPodCountSource}); the
 *       Kubernetes watch lives in {@code headroom-kubernetes};
 *   <li>{@link dev.headroom.budget.PoolSizer}: one pod's live pool size, resized by a rule that
 *       keeps the sum within the budget at every moment, with the count late by up to a bound
 *       and above the declared maximum (wait before the first connection, shrink at once, grow
 *       late).
 * </ul>
 */
package dev.headroom.budget;
