package dev.headroom.budget;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The one daemon thread that polls pod-count sources and re-evaluates sizers when no scheduler
 * is given. Created on first use (class initialisation is the lock); cancelled tasks are removed
 * at once so that closed sources leave nothing behind.
 */
final class BudgetScheduler {

  private BudgetScheduler() {}

  private static final class Holder {
    static final ScheduledExecutorService INSTANCE = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "headroom-budget");
        t.setDaemon(true);
        return t;
      });
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }

  static ScheduledExecutorService shared() {
    return Holder.INSTANCE;
  }
}
