package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** {@link PoolBudget}'s arithmetic over random databases and services. */
class PoolBudgetProperties {

  @Property(tries = 300)
  void aBudgetEitherFitsOneConnectionPerPoolPerPodOrIsRejected(
      @ForAll @IntRange(min = 1, max = 2000) int maxConnections,
      @ForAll @IntRange(min = 0, max = 10) int superuserReserved,
      @ForAll @IntRange(min = 0, max = 10) int reserved,
      @ForAll @IntRange(min = 0, max = 20) int adminHeadroom,
      @ForAll @IntRange(min = 0, max = 50) int otherClients,
      @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 1, max = 200) Integer> replicas,
      @ForAll @Size(min = 4, max = 4) List<@IntRange(min = 0, max = 30) Integer> surges,
      @ForAll @Size(min = 4, max = 4) List<@IntRange(min = 1, max = 3) Integer> pools,
      @ForAll @Size(min = 4, max = 4) List<@DoubleRange(min = 0.1, max = 10) Double> weights,
      @ForAll @Size(min = 4, max = 4) List<@IntRange(min = 1, max = 60) Integer> ceilings) {
    PoolBudget.Builder builder = PoolBudget.builder().maxConnections(maxConnections)
        .superuserReservedConnections(superuserReserved).reservedConnections(reserved)
        .adminHeadroom(adminHeadroom).otherClients(otherClients);
    long floors = 0;
    for (int i = 0; i < replicas.size(); i++) {
      PoolBudget.Service s = PoolBudget.Service.builder("s" + i).maxReplicas(replicas.get(i))
          .maxSurge(surges.get(i)).poolsPerPod(pools.get(i)).weight(weights.get(i))
          .poolSizeCeiling(ceilings.get(i)).build();
      floors += (long) s.maxPods() * s.poolsPerPod();
      builder.service(s);
    }
    int available = maxConnections - superuserReserved - reserved - adminHeadroom - otherClients;
    if (available <= 0 || floors > available) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
      assertTrue(e.getMessage().contains("maxConnections " + maxConnections)
          || e.getMessage().contains("max_connections " + maxConnections), e.getMessage());
      return;
    }
    PoolBudget budget = builder.build();
    assertEquals(available, budget.available());
    BudgetInvariants.checkAllocations(budget);
    // Rounding leaves less than one connection per service unused before the ceilings.
    long shares = budget.allocations().stream().mapToLong(PoolBudget.Allocation::share).sum();
    assertTrue(available - shares < replicas.size() + 1, available + " vs " + shares);
  }
}
