package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The invariants of a {@link BudgetedDataSource} over a {@link FakePool}, shared by the close
 * paths hammer test and the stateful property: every borrowed connection that was ended by any
 * path released exactly one permit and closed the pool's connection exactly once.
 */
final class WrapperInvariants {

  private WrapperInvariants() {}

  static void check(BudgetedDataSource ds, FakePool pool, long borrowed, long ended, int limit) {
    assertEquals(limit, ds.maxPoolSize(), "limit");
    assertEquals(borrowed, ds.acquiredCount(), "acquired");
    assertEquals(borrowed, pool.borrowed.get(), "borrowed from the pool");
    assertEquals(borrowed - ended, ds.inUse(), "in use = borrowed - ended");
    assertEquals(ended, pool.closeCalls.get(), "each pool connection closed exactly once");
    assertEquals(ended, pool.returned.get(), "each pool connection returned once");
    assertEquals(0, ds.waiting(), "nobody waiting");
  }
}
