package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link PoolSizer} against a reference model of its rule that keeps the whole history and
 * recomputes from scratch, over random sequences of count changes, unknown counts, clock steps
 * and refreshes. The sizer trims its history as it goes; the model never does.
 */
class PoolSizerModelProperties {

  /** The rule, written from its definition: nothing trimmed, nothing cached. */
  static int modelSizedFor(List<long[]> history, long start, long now, long window,
      int maxReplicas, int surge) {
    // history: {atNanos, pods or -1 for unknown}, in order of arrival; the first is at start.
    // An unknown count stands for max(maxReplicas, the last count seen before it).
    List<Long> values = new ArrayList<>();
    long last = 0;
    for (long[] o : history) {
      long v = o[1] < 0 ? Math.max(maxReplicas, last) : o[1];
      values.add(v);
      last = v;
    }
    boolean young = now - start < window;
    int baseline = -1;
    for (int i = 0; i < history.size(); i++) {
      if (now - history.get(i)[0] >= window) {
        baseline = i;
      }
    }
    long count;
    long previous;
    int from;
    if (young || baseline < 0) {
      count = maxReplicas;
      previous = maxReplicas;
      from = 0;
    } else {
      count = values.get(baseline);
      previous = count;
      from = baseline + 1;
    }
    for (int i = from; i < values.size(); i++) {
      count += Math.max(0, values.get(i) - previous);
      previous = values.get(i);
    }
    return (int) Math.max(1, count + surge);
  }

  @Property(tries = 300)
  void theSizerFollowsTheModel(
      @ForAll @IntRange(min = 1, max = 30) int maxReplicas,
      @ForAll @IntRange(min = 0, max = 5) int surge,
      @ForAll @IntRange(min = 0, max = 10) int windowSeconds,
      @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 99) Integer> ops) {
    PoolBudget budget = SizerProperties.budget(maxReplicas, surge, 1, 3 * maxReplicas);
    ManualClock clock = new ManualClock(0);
    SettablePodCountSource source = new SettablePodCountSource(1 + ops.get(0) % maxReplicas);
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    try {
      PoolSizer sizer = PoolSizer.builder().budget(budget).service("svc").podCountSource(source)
          .holdWindow(Duration.ofSeconds(windowSeconds)).clock(clock).scheduler(scheduler)
          .build();
      long window = Duration.ofSeconds(windowSeconds).toNanos();
      List<long[]> history = new ArrayList<>();
      long start = clock.nanoTime();
      history.add(new long[] {start, source.currentPods().getAsInt()});
      for (int op : ops) {
        if (op < 40) {
          clock.advance(Duration.ofMillis(250L * (1 + op % 12)));
          sizer.refresh();
        } else if (op < 90) {
          int pods = op % (2 * maxReplicas + 1); // above the declared maximum too
          if (source.currentPods().equals(OptionalInt.of(pods))) {
            continue;
          }
          source.set(pods);
          history.add(new long[] {clock.nanoTime(), pods});
        } else if (source.currentPods().isPresent()) {
          source.set(OptionalInt.empty());
          history.add(new long[] {clock.nanoTime(), -1});
        }
        int expected = modelSizedFor(history, start, clock.nanoTime(), window, maxReplicas,
            surge);
        assertEquals(expected, sizer.sizedForPods(), "at " + clock.nanoTime() + " after "
            + history.size() + " observations");
        assertEquals(budget.maxPoolSizeFor("svc", expected), sizer.maxPoolSize());
        assertEquals(Math.min(budget.allocation("svc").minIdle(), sizer.maxPoolSize()),
            sizer.minIdle(), "minimum idle never above the maximum");
      }
      sizer.close();
    } finally {
      scheduler.shutdownNow();
    }
  }
}
