package dev.headroom.signal;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.shed.ShedReason;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.LongSupplier;

/**
 * The usual signals, built from the getters Headroom's primitives and the JDK already have.
 *
 * <table>
 *   <caption>Built-in signals</caption>
 *   <tr><th>factory</th><th>reading</th><th>scope</th><th>unit</th></tr>
 *   <tr><td>{@link #shedderWaiting}</td><td>{@link LoadShedder#waiting()}</td>
 *       <td>per pod</td><td>requests</td></tr>
 *   <tr><td>{@link #shedderUtilisation}</td>
 *       <td>{@link LoadShedder#inFlight()} / {@link LoadShedder#limit()}</td>
 *       <td>per pod</td><td>ratio</td></tr>
 *   <tr><td>{@link #shedderRefusedRate}</td>
 *       <td>refusals per second over the last 10 to 20 s, every priority and reason</td>
 *       <td>per pod</td><td>requests/s</td></tr>
 *   <tr><td>{@link #executorQueue}</td><td>the executor's queue size</td>
 *       <td>per pod</td><td>tasks</td></tr>
 *   <tr><td>{@link #executorUtilisation}</td>
 *       <td>active threads / maximum pool size</td><td>per pod</td><td>ratio</td></tr>
 *   <tr><td>{@link #rate}</td><td>per-second rate of any counter</td>
 *       <td>either</td><td>yours</td></tr>
 * </table>
 *
 * <p>Adapters' readings plug in as one lambda: a consumer group's lag is
 * {@code Signal.fleetTotal("orders-lag", "records", 1_000, monitor::totalLag)}
 * ({@code ConsumerLagMonitor}, headroom-kafka), a JDBC pool's waiting threads
 * {@code Signal.perPod("orders-db-waiting", "threads", 2, dataSource::waiting)}
 * ({@code BudgetedDataSource}, headroom-jdbc), and an SQS queue's depth comes from
 * {@code SqsQueueDepth.signal(...)} (headroom-aws).
 *
 * <p>Thread-safety: stateless; the signals it returns are thread-safe.
 */
public final class Signals {

  /** The window of {@link #shedderRefusedRate}: rates span 10 to 20 seconds. */
  public static final Duration REFUSED_RATE_WINDOW = Duration.ofSeconds(10);

  private Signals() {}

  /**
   * Requests waiting for a slot in a shedder's queues: a queue-depth signal, this pod's own.
   *
   * @param name the signal's name
   * @param shedder the shedder
   * @param targetPerPod waiting requests one pod may carry, {@code > 0}
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal shedderWaiting(String name, LoadShedder shedder, double targetPerPod) {
    Checks.requireNonNull("shedder", shedder);
    return Signal.builder(name).unit("requests").targetPerPod(targetPerPod)
        .description("Requests waiting in shedder '" + shedder.name() + "'")
        .perPod(shedder::waiting).build();
  }

  /**
   * A shedder's in-flight requests over its current concurrency limit: a utilisation signal,
   * this pod's own. With an adaptive limit the ratio rises both when load rises and when the
   * limit shrinks because latency rose, both reasons to add pods.
   *
   * @param name the signal's name
   * @param shedder the shedder
   * @param targetPerPod the utilisation one pod should run at, in {@code (0, 1]}, e.g. 0.7
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal shedderUtilisation(String name, LoadShedder shedder,
      double targetPerPod) {
    Checks.requireNonNull("shedder", shedder);
    Checks.requireFraction("targetPerPod", targetPerPod);
    return Signal.builder(name).unit("ratio").targetPerPod(targetPerPod)
        .description("In-flight over the concurrency limit of shedder '" + shedder.name() + "'")
        .perPod(() -> {
          int limit = shedder.limit();
          return limit <= 0 ? Double.NaN : (double) shedder.inFlight() / limit;
        }).build();
  }

  /**
   * Requests a shedder refused per second (every priority and reason), over the last 10 to 20
   * seconds: overload that the in-flight count, capped by the limit, cannot show.
   *
   * @param name the signal's name
   * @param shedder the shedder
   * @param targetPerPod refusals per second one pod may carry, {@code > 0}
   * @param clock the clock that times the rate
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal shedderRefusedRate(String name, LoadShedder shedder, double targetPerPod,
      NanoClock clock) {
    Checks.requireNonNull("shedder", shedder);
    Priority[] priorities = Priority.values();
    ShedReason[] reasons = ShedReason.values();
    LongSupplier refused = () -> {
      long sum = 0;
      for (Priority p : priorities) {
        for (ShedReason r : reasons) {
          sum += shedder.rejected(p, r);
        }
      }
      return sum;
    };
    return rate(name, "requests/s", targetPerPod, SignalScope.PER_POD, refused,
        REFUSED_RATE_WINDOW, clock);
  }

  /**
   * Tasks waiting in an executor's queue, this pod's own.
   *
   * @param name the signal's name
   * @param executor the executor
   * @param targetPerPod queued tasks one pod may carry, {@code > 0}
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal executorQueue(String name, ThreadPoolExecutor executor,
      double targetPerPod) {
    Checks.requireNonNull("executor", executor);
    return Signal.builder(name).unit("tasks").targetPerPod(targetPerPod)
        .description("Tasks queued in an executor")
        .perPod(() -> executor.getQueue().size()).build();
  }

  /**
   * Active threads over an executor's maximum pool size, this pod's own. Reading it takes the
   * executor's main lock briefly ({@link ThreadPoolExecutor#getActiveCount()}).
   *
   * @param name the signal's name
   * @param executor the executor
   * @param targetPerPod the utilisation one pod should run at, in {@code (0, 1]}
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal executorUtilisation(String name, ThreadPoolExecutor executor,
      double targetPerPod) {
    Checks.requireNonNull("executor", executor);
    Checks.requireFraction("targetPerPod", targetPerPod);
    return Signal.builder(name).unit("ratio").targetPerPod(targetPerPod)
        .description("Active threads over the maximum pool size of an executor")
        .perPod(() -> (double) executor.getActiveCount() / executor.getMaximumPoolSize())
        .build();
  }

  /**
   * The per-second rate of a monotonically increasing counter (messages consumed, requests
   * refused), over the last one to two {@code window}s.
   *
   * @param name the signal's name
   * @param unit the rate's unit, e.g. {@code "messages/s"}
   * @param targetPerPod the rate one pod should carry, {@code > 0}
   * @param scope whether the counter is this pod's or the fleet's
   * @param counter reads the counter; cheap and thread-safe
   * @param window how far back the rate looks at least, {@code > 0}
   * @param clock the clock that times the rate
   * @return the signal
   * @throws IllegalArgumentException if an argument is null or out of range
   */
  public static Signal rate(String name, String unit, double targetPerPod, SignalScope scope,
      LongSupplier counter, Duration window, NanoClock clock) {
    Signal.Builder b = Signal.builder(name).unit(unit).targetPerPod(targetPerPod).clock(
        Checks.requireNonNull("clock", clock));
    Checks.requireNonNull("scope", scope);
    Checks.requireNonNull("counter", counter);
    Checks.requirePositive("window", window);
    CounterRate rate = new CounterRate(counter, clock, window.toNanos());
    return scope == SignalScope.PER_POD ? b.perPod(rate).build() : b.fleetTotal(rate).build();
  }
}
