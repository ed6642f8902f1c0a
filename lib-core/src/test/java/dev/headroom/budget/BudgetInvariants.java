package dev.headroom.budget;

import java.util.Collection;

/**
 * The invariants of the budget, shared by the unit tests and the properties so that they check
 * the same thing. Each method throws {@link AssertionError} with the numbers when one breaks.
 */
public final class BudgetInvariants {

  private BudgetInvariants() {}

  /**
   * Checks a budget's allocations: shares within what is available, at least one connection per
   * pool per pod, every pod count up to the maximum within the share, sizes monotone in the pod
   * count, minimum idle within the maximum.
   *
   * @param budget the budget
   */
  public static void checkAllocations(PoolBudget budget) {
    long shares = 0;
    for (PoolBudget.Allocation a : budget.allocations()) {
      PoolBudget.Service s = a.service();
      shares += a.share();
      require(a.share() >= (long) s.maxPods() * s.poolsPerPod(), "share below one per pool per"
          + " pod", a);
      require(a.maxPoolSize() >= 1, "max pool size below 1", a);
      require(a.minIdle() >= 1 && a.minIdle() <= a.maxPoolSize(), "min idle out of range", a);
      require(a.maxPoolSize() <= s.poolSizeCeiling(), "above the ceiling", a);
      int previous = Integer.MAX_VALUE;
      for (int pods = 1; pods <= s.maxPods(); pods++) {
        int size = budget.maxPoolSizeFor(s.name(), pods);
        require(size >= 1, "size below 1 at " + pods + " pods", a);
        require((long) size * pods * s.poolsPerPod() <= a.share(),
            "size " + size + " x " + pods + " pods x " + s.poolsPerPod() + " pools over the"
                + " share", a);
        require(size <= previous, "size grew with the pod count at " + pods, a);
        require(size >= a.minIdle(), "size below min idle at " + pods + " pods", a);
        previous = size;
      }
      require(previous == a.maxPoolSize(), "size at max pods differs from the allocation", a);
    }
    require(shares <= budget.available(), "shares " + shares + " over available "
        + budget.available(), budget);
    if (budget.pooler().isEmpty()) {
      require(budget.available() == budget.maxConnections() - budget.superuserReservedConnections()
          - budget.reservedConnections() - budget.adminHeadroom() - budget.otherClients(),
          "available is not max - reserved - headroom - others", budget);
    }
  }

  /**
   * Checks that the pools of the pods holding connections fit in the share.
   *
   * @param share the service's share
   * @param poolsPerPod pools per pod
   * @param maxPoolSizes the maximum pool size of each pod holding connections (0 during a pod's
   *     start-up hold)
   * @param context what to print on failure
   */
  public static void checkWithinShare(int share, int poolsPerPod,
      Collection<Integer> maxPoolSizes, Object context) {
    long sum = 0;
    for (int size : maxPoolSizes) {
      require(size >= 0, "a pod's size below 0", context);
      sum += (long) size * poolsPerPod;
    }
    require(sum <= share, maxPoolSizes.size() + " pods hold " + sum + " > share " + share
        + " (sizes " + maxPoolSizes + ")", context);
  }

  private static void require(boolean condition, String what, Object context) {
    if (!condition) {
      throw new AssertionError(what + ": " + context);
    }
  }
}
