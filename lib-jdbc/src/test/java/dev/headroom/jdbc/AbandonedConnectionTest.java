package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AbandonedConnectionTest {

  @Test
  void anUnclosedConnectionKeepsItsPermitByDefault() throws SQLException {
    FakePool pool = new FakePool();
    BudgetedDataSource ds = BudgetedDataSource.builder("leaky", pool).maxPoolSize(2)
        .acquireTimeout(Duration.ZERO).build();
    borrowAndDrop(ds);
    System.gc();
    assertEquals(1, ds.inUse(), "held, like the pool's own connection; inUse() shows the leak");
    assertEquals(0, ds.reclaimedCount());
  }

  @Test
  void reclaimsAnUnreachableUnclosedConnection() throws Exception {
    FakePool pool = new FakePool();
    BudgetedDataSource ds = BudgetedDataSource.builder("leaky", pool).maxPoolSize(2)
        .acquireTimeout(Duration.ZERO).reclaimAbandoned(true).build();
    borrowAndDrop(ds);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (ds.reclaimedCount() == 0 && System.nanoTime() - deadline < 0) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(1, ds.reclaimedCount());
    assertEquals(0, ds.inUse());
    assertEquals(1, pool.returned.get(), "the pool's connection went back");
  }

  @Test
  void aClosedTrackedConnectionIsNotReclaimedAgain() throws Exception {
    FakePool pool = new FakePool();
    BudgetedDataSource ds = BudgetedDataSource.builder("tidy", pool).maxPoolSize(2)
        .acquireTimeout(Duration.ZERO).reclaimAbandoned(true).build();
    for (int i = 0; i < 100; i++) {
      Connection c = ds.getConnection();
      c.close();
      c.close();
    }
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(0, ds.reclaimedCount());
    assertEquals(0, ds.inUse());
    assertEquals(100, pool.closeCalls.get());
    assertTrue(ds.getConnection() != null);
  }

  private static void borrowAndDrop(BudgetedDataSource ds) throws SQLException {
    ds.getConnection(); // never closed, never referenced again
  }
}
