package dev.headroom.cache;

import dev.headroom.core.ManualClock;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on a {@link ManualClock}: tasks run when the test calls {@link #runDue()}
 * after moving the clock, in due-time order (ties in scheduling order). Together they run a
 * cache, loader timeouts included, in virtual time.
 */
final class ManualScheduler implements Scheduler {

  private record Task(long due, long seq, Runnable run, boolean[] cancelled) {}

  private final ManualClock clock;
  private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) ->
      a.due != b.due ? Long.compare(a.due - b.due, 0) : Long.compare(a.seq, b.seq));
  private long seq;

  ManualScheduler(ManualClock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized Scheduled schedule(long delayNanos, Runnable task) {
    boolean[] cancelled = new boolean[1];
    tasks.add(new Task(clock.nanoTime() + Math.max(0L, delayNanos), seq++, task, cancelled));
    return () -> {
      synchronized (this) {
        cancelled[0] = true;
      }
    };
  }

  /** Runs every task due by now, including ones they schedule for now; returns how many ran. */
  int runDue() {
    int ran = 0;
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due - clock.nanoTime() > 0) {
          return ran;
        }
        tasks.poll();
        if (next.cancelled[0]) {
          continue;
        }
      }
      next.run.run();
      ran++;
    }
  }

  /** Tasks scheduled and neither run nor cancelled. */
  synchronized int pending() {
    int n = 0;
    for (Task t : tasks) {
      if (!t.cancelled[0]) {
        n++;
      }
    }
    return n;
  }
}
