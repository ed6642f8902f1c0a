package dev.headroom.cache;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** An executor that holds tasks until the test runs them, so refreshes happen when told. */
final class ManualExecutor implements Executor {

  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

  @Override
  public synchronized void execute(Runnable command) {
    tasks.add(command);
  }

  synchronized int pending() {
    return tasks.size();
  }

  /** Runs every queued task, including ones queued while running; returns how many ran. */
  int runAll() {
    int ran = 0;
    while (true) {
      Runnable next;
      synchronized (this) {
        next = tasks.poll();
      }
      if (next == null) {
        return ran;
      }
      next.run();
      ran++;
    }
  }
}
