package dev.headroom.budget;

/**
 * A static pool size that can open more connections than its service's budget once the service
 * scales to its declared maximum of pods: the assumption nobody wrote down. Returned by
 * {@link PoolBudget#checkStaticPool(String, int)}, logged and published as a metric by
 * {@link PoolSizer} at start-up.
 *
 * <p>Thread-safety: immutable.
 *
 * @param service the service's name
 * @param staticPoolSize the pool size each pool of each pod is configured with
 * @param poolsPerPod the pools each pod runs
 * @param maxReplicas the HPA's {@code maxReplicas}
 * @param maxSurge the rollout surge in pods
 * @param demand the connections the static size can open at the declared maximum:
 *     {@code staticPoolSize x poolsPerPod x (maxReplicas + maxSurge)}
 * @param share the service's share of the budget
 * @param excess {@code demand - share}, {@code > 0}
 * @param firstPodOverBudget the first pod (counting from 1) whose pools no longer fit in the
 *     share when every pool is full
 * @param budgetedPoolSize the per-pod maximum pool size the budget allows at the declared maximum
 */
public record StaticPoolFinding(String service, int staticPoolSize, int poolsPerPod,
    int maxReplicas, int maxSurge, long demand, int share, long excess, int firstPodOverBudget,
    int budgetedPoolSize) {

  /**
   * Describes the finding in one sentence with every number, for the start-up log.
   *
   * @return the description
   */
  public String message() {
    return "service \"" + service + "\": a static pool size of " + staticPoolSize
        + (poolsPerPod == 1 ? "" : " x " + poolsPerPod + " pools") + " per pod over "
        + (maxReplicas + maxSurge) + " pods (maxReplicas " + maxReplicas + " + surge " + maxSurge
        + ") can open " + demand + " connections, " + excess + " more than its budget of "
        + share + "; pod " + firstPodOverBudget + " is the first that does not fit;"
        + " the budget allows " + budgetedPoolSize + " per pod at " + (maxReplicas + maxSurge)
        + " pods";
  }
}
