package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoolBudgetTest {

  /** The seed: max_connections 500, HPA to 95 pods, a 25% rollout surge, 10 for admins. */
  static PoolBudget seed() {
    return PoolBudget.builder()
        .maxConnections(500)
        .superuserReservedConnections(3)
        .reservedConnections(0)
        .adminHeadroom(10)
        .service(PoolBudget.Service.builder("enrollment").maxReplicas(95).maxSurgePercent(25)
            .build())
        .build();
  }

  @Test
  void theSeedWorkedThrough() {
    PoolBudget budget = seed();
    assertEquals(487, budget.databaseAvailable());
    assertEquals(487, budget.available());
    PoolBudget.Allocation a = budget.allocation("enrollment");
    assertEquals(24, a.service().maxSurge(), "25% of 95 rounded up, as Kubernetes does");
    assertEquals(119, a.service().maxPods());
    assertEquals(487, a.share());
    assertEquals(4, a.maxPoolSize(), "floor(487 / 119)");
    assertEquals(4, a.minIdle());
    // Fewer pods, bigger pools: 487 / (20 + 24) at the old 20 pods, 487 / 95 without the surge.
    assertEquals(11, budget.maxPoolSizeFor("enrollment", 44));
    assertEquals(5, budget.maxPoolSizeFor("enrollment", 95));
    assertEquals(487, budget.maxPoolSizeFor("enrollment", 1));
    BudgetInvariants.checkAllocations(budget);
  }

  @Test
  void theSeedsStaticPoolOfFivePlusTenOverflowIsReported() {
    StaticPoolFinding f = seed().checkStaticPool("enrollment", 15).orElseThrow();
    assertEquals(new StaticPoolFinding("enrollment", 15, 1, 95, 24, 1785, 487, 1298, 33, 4), f);
    assertEquals("service \"enrollment\": a static pool size of 15 per pod over 119 pods"
        + " (maxReplicas 95 + surge 24) can open 1785 connections, 1298 more than its budget of"
        + " 487; pod 33 is the first that does not fit; the budget allows 4 per pod at 119 pods",
        f.message());
    assertEquals(Optional.empty(), seed().checkStaticPool("enrollment", 4));
    assertTrue(seed().checkStaticPool("enrollment", 5).isPresent(), "5 x 119 = 595 > 487");
  }

  @Test
  void theSeedExplained() {
    assertEquals(String.join("\n",
        "max_connections 500",
        "  - superuser_reserved_connections 3",
        "  - reserved_connections 0",
        "  - admin and migration headroom 10",
        "  - other clients 0",
        "  = 487 available at the database",
        "one connection per pool per pod at the declared maximum: 119; spare 487 - 119 = 368,"
            + " split by weight",
        "enrollment: max pods 95 + surge 24 = 119, 1 pool per pod, weight 1 of 1",
        "  share 119 + floor(368 x 1 / 1) = 487",
        "  per-pod maximum pool size floor(487 / (119 x 1)) = 4; 476 connections at 119 pods",
        "  per-pod minimum idle 4",
        "total at the declared maximum 476 of 487 (11 unused by rounding)", ""),
        seed().explain());
  }

  @Test
  void aProxyHoldingTwentyRealConnectionsForTwoThousandFiveHundredClients() {
    PoolBudget budget = PoolBudget.builder().maxConnections(500).adminHeadroom(10)
        .pooler(new PoolBudget.Pooler("rds-proxy", PoolBudget.PoolerMode.TRANSACTION, 20, 2500))
        .service(PoolBudget.Service.builder("enrollment").maxReplicas(95).maxSurgePercent(25)
            .build())
        .build();
    assertEquals(487, budget.databaseAvailable());
    assertEquals(2500, budget.available());
    assertEquals(21, budget.allocation("enrollment").maxPoolSize(), "floor(2500 / 119)");
    assertTrue(budget.explain().contains("rds-proxy (transaction mode) holds 20 server"
        + " connections of those 487 and accepts 2500 client connections\n"), budget.explain());
    BudgetInvariants.checkAllocations(budget);
  }

  @Test
  void aSessionModePoolerBudgetsItsServerConnections() {
    PoolBudget budget = PoolBudget.builder().maxConnections(500)
        .pooler(new PoolBudget.Pooler("pgbouncer", PoolBudget.PoolerMode.SESSION, 200, 2500))
        .service(PoolBudget.Service.builder("api").maxReplicas(40).build())
        .build();
    assertEquals(200, budget.available());
    assertEquals(5, budget.allocation("api").maxPoolSize());
    assertTrue(budget.explain().contains("services share min(200, 2500) = 200"));
  }

  @Test
  void aPoolerThatOpensMoreThanTheDatabaseAcceptsIsRejected() {
    PoolBudget.Builder b = PoolBudget.builder().maxConnections(100)
        .pooler(new PoolBudget.Pooler("pgbouncer", PoolBudget.PoolerMode.TRANSACTION, 98, 1000))
        .service(PoolBudget.Service.builder("api").maxReplicas(4).build());
    assertEquals("pooler.serverConnections must be <= the database's available connections 97"
        + " (max_connections 100 - superuser reserved 3 - reserved 0 - admin headroom 0 - other"
        + " clients 0 = 97) (was 98)",
        assertThrows(IllegalArgumentException.class, b::build).getMessage());
  }

  @Test
  void weightsSplitWhatIsLeftAfterOneConnectionPerPod() {
    PoolBudget budget = PoolBudget.builder().maxConnections(500).otherClients(20)
        .service(PoolBudget.Service.builder("enrollment").maxReplicas(95).maxSurge(5).weight(3)
            .build())
        .service(PoolBudget.Service.builder("reports").maxReplicas(10).poolsPerPod(2).build())
        .build();
    // 500 - 3 - 20 = 477; floors 100 and 20; spare 357 split 3:1 -> 267 and 89.
    assertEquals(100 + 267, budget.allocation("enrollment").share());
    assertEquals(20 + 89, budget.allocation("reports").share());
    assertEquals(3, budget.allocation("enrollment").maxPoolSize());
    assertEquals(5, budget.allocation("reports").maxPoolSize(), "109 / (10 pods x 2 pools)");
    assertEquals(List.of("enrollment", "reports"),
        budget.allocations().stream().map(a -> a.service().name()).toList());
    BudgetInvariants.checkAllocations(budget);
  }

  @Test
  void theCeilingCapsWhatAFewPodsMayOpen() {
    PoolBudget budget = PoolBudget.builder().maxConnections(500)
        .service(PoolBudget.Service.builder("api").maxReplicas(4).poolSizeCeiling(20).build())
        .build();
    assertEquals(20, budget.allocation("api").maxPoolSize());
    assertEquals(20, budget.maxPoolSizeFor("api", 1));
    assertTrue(budget.explain().contains("= 124, capped at the ceiling 20"), budget.explain());
  }

  @Test
  void evenOneConnectionPerPodThatDoesNotFitIsRejectedWithTheNumbers() {
    PoolBudget.Builder b = PoolBudget.builder().maxConnections(100).adminHeadroom(5)
        .service(PoolBudget.Service.builder("enrollment").maxReplicas(95).maxSurge(5).build());
    assertEquals("connections available to services must be >= one per pool per pod at the"
        + " declared maximum (was 92 for 100 pools: max_connections 100 - superuser reserved 3"
        + " - reserved 0 - admin headroom 5 - other clients 0 = 92; enrollment 100 pods x 1"
        + " pool)", assertThrows(IllegalArgumentException.class, b::build).getMessage());
  }

  @Test
  void reservedAboveMaxIsRejected() {
    PoolBudget.Builder b = PoolBudget.builder().maxConnections(100).reservedConnections(90)
        .adminHeadroom(7)
        .service(PoolBudget.Service.builder("api").maxReplicas(1).build());
    assertEquals("superuserReservedConnections + reservedConnections + adminHeadroom +"
        + " otherClients must be < maxConnections 100 (was 3 + 90 + 7 + 0 = 100)",
        assertThrows(IllegalArgumentException.class, b::build).getMessage());
  }

  @Test
  void negativeAndZeroLimitsAreRejectedAsTheyAreSet() {
    assertEquals("maxConnections must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.builder().maxConnections(0))
        .getMessage());
    assertEquals("maxConnections must be > 0 (was -500)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.builder().maxConnections(-500))
        .getMessage());
    assertEquals("superuserReservedConnections must be >= 0 (was -1)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolBudget.builder().superuserReservedConnections(-1)).getMessage());
    assertEquals("reservedConnections must be >= 0 (was -2)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.builder().reservedConnections(-2))
        .getMessage());
    assertEquals("adminHeadroom must be >= 0 (was -3)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.builder().adminHeadroom(-3))
        .getMessage());
    assertEquals("otherClients must be >= 0 (was -4)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.builder().otherClients(-4))
        .getMessage());
  }

  @Test
  void zeroPodsAndOtherBadServiceSettingsAreRejected() {
    assertEquals("maxReplicas must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").maxReplicas(0)).getMessage());
    assertEquals("maxReplicas must be > 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> new PoolBudget.Service("api", -1, 0, 1, 1, 10)).getMessage());
    assertEquals("maxSurge must be >= 0 (was -1)", assertThrows(IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").maxSurge(-1)).getMessage());
    assertEquals("maxSurgePercent must be >= 0 (was -25)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").maxSurgePercent(-25)).getMessage());
    assertEquals("weight must be finite and > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.Service.builder("api").weight(0))
        .getMessage());
    assertEquals("weight must be finite and > 0 (was NaN)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").weight(Double.NaN)).getMessage());
    assertEquals("poolsPerPod must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").poolsPerPod(0)).getMessage());
    assertEquals("poolSizeCeiling must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class,
        () -> PoolBudget.Service.builder("api").poolSizeCeiling(0)).getMessage());
    assertEquals("name must be non-blank (was \" \")", assertThrows(
        IllegalArgumentException.class, () -> PoolBudget.Service.builder(" ")).getMessage());
    assertEquals("maxReplicas of service \"api\" must be set", assertThrows(
        IllegalStateException.class, () -> PoolBudget.Service.builder("api").build())
        .getMessage());
  }

  @Test
  void repeatedAndConflictingSettingsAreRejected() {
    assertEquals("maxConnections was already set to 500", assertThrows(
        IllegalStateException.class,
        () -> PoolBudget.builder().maxConnections(500).maxConnections(400)).getMessage());
    assertEquals("maxSurge was already set to 5", assertThrows(IllegalStateException.class,
        () -> PoolBudget.Service.builder("api").maxSurge(5).maxSurgePercent(25)).getMessage());
    assertEquals("maxSurgePercent was already set to 25", assertThrows(
        IllegalStateException.class,
        () -> PoolBudget.Service.builder("api").maxSurgePercent(25).maxSurge(5)).getMessage());
    PoolBudget.Service api = PoolBudget.Service.builder("api").maxReplicas(2).build();
    assertEquals("service name must be unique (was \"api\")", assertThrows(
        IllegalArgumentException.class,
        () -> PoolBudget.builder().service(api).service(api)).getMessage());
  }

  @Test
  void missingSettingsAreReportedAtBuild() {
    assertEquals("maxConnections must be set", assertThrows(IllegalStateException.class,
        () -> PoolBudget.builder().build()).getMessage());
    assertEquals("at least one service must be added", assertThrows(IllegalStateException.class,
        () -> PoolBudget.builder().maxConnections(10).build()).getMessage());
  }

  @Test
  void queriesNameTheServicesThereAre() {
    PoolBudget budget = seed();
    assertEquals("service must be one of [enrollment] (was \"billing\")", assertThrows(
        IllegalArgumentException.class, () -> budget.allocation("billing")).getMessage());
    assertEquals("pods must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> budget.maxPoolSizeFor("enrollment", 0)).getMessage());
    assertEquals("pods must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> budget.fitsOnePerPool("enrollment", 0)).getMessage());
    assertEquals("poolSizePerPod must be > 0 (was 0)", assertThrows(
        IllegalArgumentException.class, () -> budget.checkStaticPool("enrollment", 0))
        .getMessage());
  }

  @Test
  void aboveTheDeclaredMaximumEveryPoolShrinksToTheShareOfTheLiveCount() {
    PoolBudget budget = seed(); // share 487, declared maximum 119 pods
    assertEquals(4, budget.maxPoolSizeFor("enrollment", 119));
    assertEquals(4, budget.maxPoolSizeFor("enrollment", 120), "487 / 120");
    assertEquals(2, budget.maxPoolSizeFor("enrollment", 200), "487 / 200");
    assertEquals(1, budget.maxPoolSizeFor("enrollment", 487));
    assertTrue(budget.fitsOnePerPool("enrollment", 487));
    assertEquals(1, budget.maxPoolSizeFor("enrollment", 488), "a pool cannot be smaller");
    assertFalse(budget.fitsOnePerPool("enrollment", 488));
    for (int pods = 1; pods <= 487; pods++) {
      assertTrue((long) budget.maxPoolSizeFor("enrollment", pods) * pods <= 487, "at " + pods);
    }
  }

  @Test
  void defaultsArePostgresqlsOwn() {
    PoolBudget budget = PoolBudget.builder().maxConnections(100)
        .service(PoolBudget.Service.builder("api").maxReplicas(1).build()).build();
    assertEquals(3, budget.superuserReservedConnections());
    assertEquals(0, budget.reservedConnections());
    assertEquals(0, budget.adminHeadroom());
    assertEquals(0, budget.otherClients());
    assertEquals(Optional.empty(), budget.pooler());
    assertEquals(97, budget.available());
    PoolBudget.Service api = budget.services().get(0);
    assertEquals(0, api.maxSurge());
    assertEquals(1.0, api.weight());
    assertEquals(1, api.poolsPerPod());
    assertEquals(Integer.MAX_VALUE, api.poolSizeCeiling());
  }
}
