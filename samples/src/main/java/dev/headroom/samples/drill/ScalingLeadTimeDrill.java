package dev.headroom.samples.drill;

import dev.headroom.budget.PoolBudget;
import dev.headroom.core.ManualClock;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * Scaling lead time: a queue's arrivals jump from 6 to 83 messages a second (5,000 a minute)
 * in front of 5 pods that each work off 2 a second. Three fleets, each a discrete-time model
 * (one step per virtual second) driven by a real {@link ReplicaAdvisor} evaluated every 15 s (the
 * HPA's sync period), with pods ready 30 s after they are asked for:
 *
 * <ul>
 *   <li>without Headroom: a CPU-style signal, each pod's busy fraction averaged over 1-minute
 *       periods and published 5 s after a period ends (CloudWatch's way), target 70%;
 *   <li>peer: KEDA-style queue depth, target 24 messages per pod, no cap, pools of 10;
 *   <li>Headroom: the same queue depth, with the advice capped by the database's
 *       {@link PoolBudget} and each pod's pool sized from that budget.
 * </ul>
 *
 * <p>The database allows 100 connections (3 reserved for superusers, 5 kept for operators); the
 * service was declared for at most 30 replicas. A pool fills to its size when its pod starts
 * (HikariCP's default {@code minimumIdle}); once the database is full, a starting pod gets no
 * connection and works off nothing, as the connection-wall scenario shows on the real
 * PostgreSQL. Measured: when each fleet first asks for more pods, how many pods can work, the
 * backlog, and the connections the fleet's pools ask for.
 */
public final class ScalingLeadTimeDrill implements DrillScenario {

  static final int BASELINE_PODS = 5;
  static final double PER_POD_RATE = 2.0;
  static final double BASELINE_RATE = 6.0;
  static final double SPIKE_RATE = 5_000 / 60.0;
  static final int SPIKE_START = 60;
  static final int END = 420;
  static final int EVALUATE_EVERY = 15;
  static final int BOOT_SECONDS = 30;
  static final int NAIVE_POOL = 10;
  static final int DB_MAX_CONNECTIONS = 100;

  @Override
  public String name() {
    return "scaling";
  }

  /** What kind of signal a fleet scales on. */
  enum Kind { CPU, QUEUE, QUEUE_CAPPED }

  /** One fleet's run, per second. */
  static final class Fleet {
    final Kind kind;
    final double[] pods = new double[END];
    final double[] backlog = new double[END];
    final double[] connections = new double[END];
    final double[] working = new double[END];
    final double[] served = new double[END];
    int firstScaleOut = -1;
    int drainedAt = -1;
    double peakBacklog;
    double peakConnections;
    String lastReason = "";

    Fleet(Kind kind) {
      this.kind = kind;
    }
  }

  static PoolBudget budget() {
    return PoolBudget.builder().maxConnections(DB_MAX_CONNECTIONS).superuserReservedConnections(3)
        .adminHeadroom(5)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(30).build()).build();
  }

  static Fleet run(Kind kind) {
    Fleet f = new Fleet(kind);
    ManualClock clock = new ManualClock();
    PoolBudget budget = budget();
    double[] backlog = {0};
    double[] publishedCpu = {Double.NaN};
    int[] asked = {BASELINE_PODS};
    DoubleSupplier reading = kind == Kind.CPU ? () -> publishedCpu[0] : () -> backlog[0];
    Signal signal = kind == Kind.CPU
        ? Signal.perPod("cpu", "percent", 70, reading)
        : Signal.fleetTotal("remittance-queue", "messages", 24, reading);
    ReplicaAdvisor.Builder b = ReplicaAdvisor.builder("remittance-" + kind.name().toLowerCase(
        Locale.ROOT)).signal(signal).currentReplicas(() -> asked[0])
        .minReplicas(BASELINE_PODS).maxReplicas(60).clock(clock);
    if (kind == Kind.QUEUE_CAPPED) {
      b.database("remittance-db", budget, "remittance");
    }
    ReplicaAdvisor advisor = b.build();
    ArrayDeque<int[]> starting = new ArrayDeque<>(); // {ready at, pods}
    int ready = BASELINE_PODS;
    double busySum = 0;
    int busyN = 0;
    List<double[]> periods = new ArrayList<>(); // {published at, average percent}
    for (int t = 0; t < END; t++) {
      while (!starting.isEmpty() && starting.peekFirst()[0] <= t) {
        ready += starting.pollFirst()[1];
      }
      ready = Math.min(ready, asked[0]); // scale-in takes effect at once
      int pool = kind == Kind.QUEUE_CAPPED
          ? budget.maxPoolSizeFor("remittance", Math.max(1, asked[0])) : NAIVE_POOL;
      // Pods whose pools the database can hold; the rest met the wall and work off nothing.
      int working = Math.min(ready, budget.available() / pool);
      double rate = t < SPIKE_START ? BASELINE_RATE : SPIKE_RATE;
      backlog[0] += rate;
      double served = Math.min(backlog[0], working * PER_POD_RATE);
      backlog[0] -= served;
      busySum += served / (ready * PER_POD_RATE);
      busyN++;
      if ((t + 1) % 60 == 0) {
        periods.add(new double[] {t + 1 + 5, 100 * busySum / busyN});
        busySum = 0;
        busyN = 0;
      }
      for (double[] p : periods) {
        if (p[0] <= t) {
          publishedCpu[0] = p[1];
        }
      }
      clock.advance(1_000_000_000L);
      if (t % EVALUATE_EVERY == 0) {
        ReplicaAdvice advice = advisor.evaluate();
        int desired = advice.desiredReplicas();
        if (desired > asked[0]) {
          if (t >= SPIKE_START && f.firstScaleOut < 0) {
            f.firstScaleOut = t - SPIKE_START;
          }
          starting.addLast(new int[] {t + BOOT_SECONDS, desired - asked[0]});
        } else if (desired < asked[0]) {
          int drop = asked[0] - desired;
          while (drop > 0 && !starting.isEmpty()) {
            int[] last = starting.peekLast();
            int take = Math.min(drop, last[1]);
            last[1] -= take;
            drop -= take;
            if (last[1] == 0) {
              starting.pollLast();
            }
          }
        }
        asked[0] = desired;
        f.lastReason = advice.reason();
      }
      f.pods[t] = asked[0];
      f.working[t] = working;
      f.served[t] = served;
      f.backlog[t] = backlog[0];
      int poolNow = kind == Kind.QUEUE_CAPPED
          ? budget.maxPoolSizeFor("remittance", Math.max(1, asked[0])) : NAIVE_POOL;
      f.connections[t] = asked[0] * (double) poolNow;
      f.peakBacklog = Math.max(f.peakBacklog, backlog[0]);
      f.peakConnections = Math.max(f.peakConnections, f.connections[t]);
      if (t > SPIKE_START && f.drainedAt < 0 && f.peakBacklog > 0 && backlog[0] < 1) {
        f.drainedAt = t - SPIKE_START;
      }
    }
    return f;
  }

  @Override
  public DrillResult run(DrillOptions options) {
    Fleet cpu = run(Kind.CPU);
    Fleet queue = run(Kind.QUEUE);
    Fleet capped = run(Kind.QUEUE_CAPPED);
    PoolBudget budget = budget();
    DrillResult out = new DrillResult(name(),
        "arrivals jump from 6 to 83 messages/s in front of 5 pods working off 2/s each",
        "discrete-time model (1 s steps, no randomness) driving the real ReplicaAdvisor every"
            + " 15 s; pods ready 30 s after they are asked for; database max_connections "
            + DB_MAX_CONNECTIONS + ", budget " + budget.available() + " for the service",
        "CPU signal (1-min average, 5 s late, target 70%)",
        "queue depth, uncapped, pools of " + NAIVE_POOL);
    out.add(new Comparison("first scale-out after the spike began (s)", false,
        cpu.firstScaleOut, queue.firstScaleOut, capped.firstScaleOut));
    out.add(new Comparison("pods working (with database connections) at the end", true,
        cpu.working[END - 1], queue.working[END - 1], capped.working[END - 1]));
    out.add(new Comparison("messages worked off per second at the end (83 arrive)", true,
        cpu.served[END - 1], queue.served[END - 1], capped.served[END - 1]));
    out.add(new Comparison("peak backlog (messages)", false, Math.round(cpu.peakBacklog),
        Math.round(queue.peakBacklog), Math.round(capped.peakBacklog)));
    out.add(new Comparison("peak connections the pools ask for (the service's budget is "
        + budget.available() + ")", false, cpu.peakConnections, queue.peakConnections,
        capped.peakConnections));
    out.note("backlog drained (s after the spike began): CPU " + drained(cpu) + ", queue depth"
        + " uncapped " + drained(queue) + ", Headroom " + drained(capped) + "; 42 pods are needed"
        + " and the database can serve 30: Headroom asks for what the database can hold");
    out.note("Headroom's last advice: " + capped.lastReason);
    double[] x = new double[END];
    for (int t = 0; t < END; t++) {
      x[t] = t;
    }
    out.chart(Chart.lines("Pods working (with database connections), and what the peer asks for",
        "time (s)", "pods", List.of(
        new Series("without: CPU signal, working", "#d62728", true, x, cpu.working),
        new Series("peer: queue depth uncapped, asked for", "#ffbb78", true, x, queue.pods),
        new Series("peer: queue depth uncapped, working", "#ff7f0e", true, x, queue.working),
        new Series("Headroom: capped by the database budget, working", "#1f77b4", false, x,
            capped.working))).band(SPIKE_START, END, "5,000 messages/min"));
    out.chart(Chart.lines("Backlog on the queue", "time (s)", "messages waiting", List.of(
        new Series("without: CPU signal", "#d62728", true, x, cpu.backlog),
        new Series("peer: queue depth, uncapped", "#ff7f0e", true, x, queue.backlog),
        new Series("Headroom: queue depth, capped", "#1f77b4", false, x, capped.backlog)))
        .band(SPIKE_START, END, "5,000 messages/min"));
    out.chart(Chart.lines("Connections the fleet's pools ask for", "time (s)", "connections",
        List.of(
            new Series("without: CPU signal, pools of 10", "#d62728", true, x, cpu.connections),
            new Series("peer: queue depth, pools of 10", "#ff7f0e", true, x, queue.connections),
            new Series("Headroom: capped, pools sized by the budget", "#1f77b4", false, x,
                capped.connections),
            new Series("database budget for the service", "#7f7f7f", true,
                new double[] {0, END - 1},
                new double[] {budget.available(), budget.available()})))
        .band(SPIKE_START, END, "5,000 messages/min"));
    return out;
  }

  private static String drained(Fleet f) {
    return f.drainedAt < 0 ? "not within " + (END - SPIKE_START) + " s" : f.drainedAt + " s";
  }
}
