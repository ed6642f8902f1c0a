package dev.headroom.sim.overload;

import dev.headroom.core.Checks;
import dev.headroom.core.ManualClock;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A deterministic replay of an overload incident in virtual time: Poisson arrivals of mixed
 * priorities at 1x, then a spike, then 1x again, in front of a backend that collapses when it is
 * given too much concurrent work.
 *
 * <p>The backend is processor sharing over {@code slots}: each request needs a lognormal amount
 * of service (median {@code medianMs}, shape {@code sigma}); with {@code n} requests inside, each
 * progresses at {@code min(1, slots / n)}, so up to {@code slots} requests it answers in the
 * unloaded time and beyond that every request slows in proportion. Above {@code collapseAt}
 * requests in flight the backend also wastes work on contention (lock convoys, cache thrash,
 * GC): its total service rate is multiplied by {@code (collapseAt / n)^2}, so throughput falls
 * as concurrency grows. A client gives up after {@code timeout}; the backend then stops
 * working on that request (its slot is freed) and the shedder's permit is completed with
 * {@code onDropped}. Goodput is the share of offered requests answered within the timeout.
 *
 * <p>Without a limit this backend has the metastable failure of real ones: once the spike has
 * pushed concurrency past the collapse point, even the 1x load that follows keeps more than
 * {@code collapseAt} requests inside, and goodput stays near zero until the load stops.
 *
 * <p>The simulation runs on one thread with a seeded random source and virtual time on a
 * {@link ManualClock} that the shedder reads, so every run with the same inputs gives the same
 * numbers.
 */
public final class OverloadScenario {

  /** Nanoseconds per millisecond. */
  public static final long MS = 1_000_000L;

  /** How many times faster than the others the hits of a bimodal service time are served. */
  static final double HIT_SPEEDUP = 20.0;

  /** Offered share of each priority, by ordinal (CRITICAL, HIGH, NORMAL, LOW). */
  public static final double[] MIX = {0.05, 0.15, 0.40, 0.40};

  final int slots;
  final double collapseAt;
  final double medianMs;
  final double sigma;
  final double hitShare;
  final double baseLoad;
  final double spike;
  final long timeoutNanos;
  final long beforeNanos;
  final long spikeNanos;
  final long afterNanos;
  final long rampNanos;

  private OverloadScenario(Builder b) {
    this.slots = b.slots;
    this.collapseAt = b.collapseAt > 0 ? b.collapseAt : 1.5 * b.slots;
    this.medianMs = b.medianMs;
    this.sigma = b.sigma;
    this.hitShare = b.hitShare;
    this.baseLoad = b.baseLoad;
    this.spike = b.spike;
    this.timeoutNanos = b.timeoutMs * MS;
    this.beforeNanos = b.beforeSeconds * 1000 * MS;
    this.spikeNanos = b.spikeSeconds * 1000 * MS;
    this.afterNanos = b.afterSeconds * 1000 * MS;
    this.rampNanos = b.rampSeconds * 1000 * MS;
  }

  /**
   * Starts a scenario with the incident's defaults: 50 slots collapsing above 75, service time
   * lognormal with median 20 ms and sigma 0.5, base load 45% of capacity, a 15x spike, a 2 s
   * client timeout, 10 s before, 20 s of spike, 20 s after.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The mean service time in nanoseconds. */
  double meanServiceNanos() {
    return (hitShare / HIT_SPEEDUP + 1.0 - hitShare) * medianMs * MS
        * Math.exp(sigma * sigma / 2);
  }

  /** Requests per second the backend completes when exactly busy. */
  public double capacityPerSecond() {
    return slots / (meanServiceNanos() / 1e9);
  }

  /**
   * The ideal goodput of a priority during the spike: capacity given to priorities in order,
   * each served fully before the next gets anything.
   *
   * @param priority the priority
   * @return its ideal share of its offered load
   */
  public double idealDuringSpike(Priority priority) {
    double left = 1.0 / (baseLoad * spike); // capacity as a fraction of the offered load
    for (Priority p : Priority.values()) {
      double offered = MIX[p.ordinal()];
      double served = Math.min(offered, left);
      left -= served;
      if (p == priority) {
        return served / offered;
      }
    }
    throw new AssertionError(priority);
  }

  /** The phases goodput is reported for. */
  public enum Phase {
    /** 1x, before the spike. */
    BEFORE,
    /** During the spike. */
    SPIKE,
    /** 1x, from 5 s after the spike ended. */
    AFTER
  }

  /** Outcomes per phase and priority, and the limit sampled every 100 ms. */
  public static final class Result {
    final long[][] offered = new long[3][4];
    final long[][] good = new long[3][4];
    final long[][] shed = new long[3][4];
    /** The latency of every good request, by phase and priority, in nanoseconds. */
    final long[][][] latencies = new long[3][4][64];
    final int[][] latencyCount = new int[3][4];
    /** The limit every 100 ms. */
    public final List<Integer> limits = new ArrayList<>();

    void recordLatency(int phase, int priority, long nanos) {
      long[] a = latencies[phase][priority];
      int n = latencyCount[phase][priority];
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, 2 * n);
        latencies[phase][priority] = a;
      }
      a[n] = nanos;
      latencyCount[phase][priority] = n + 1;
    }

    /**
     * A quantile of the latency of a priority's good requests in a phase (admission, queueing
     * in the backend and service: what the caller waited).
     *
     * @param phase the phase
     * @param priority the priority
     * @param quantile in (0, 1], e.g. 0.99
     * @return milliseconds, or NaN if no request of that priority succeeded in the phase
     */
    public double latencyMillis(Phase phase, Priority priority, double quantile) {
      int n = latencyCount[phase.ordinal()][priority.ordinal()];
      if (n == 0) {
        return Double.NaN;
      }
      long[] sorted = java.util.Arrays.copyOf(latencies[phase.ordinal()][priority.ordinal()], n);
      java.util.Arrays.sort(sorted);
      int index = Math.max(0, (int) Math.ceil(quantile * n) - 1);
      return sorted[index] / 1e6;
    }

    /**
     * The goodput of a priority in a phase.
     *
     * @param phase the phase
     * @param priority the priority
     * @return good / offered, 1 if nothing was offered
     */
    public double goodput(Phase phase, Priority priority) {
      long o = offered[phase.ordinal()][priority.ordinal()];
      return o == 0 ? 1.0 : good[phase.ordinal()][priority.ordinal()] / (double) o;
    }

    /**
     * The goodput of all priorities in a phase.
     *
     * @param phase the phase
     * @return good / offered over all priorities
     */
    public double goodput(Phase phase) {
      long o = 0;
      long g = 0;
      for (int p = 0; p < 4; p++) {
        o += offered[phase.ordinal()][p];
        g += good[phase.ordinal()][p];
      }
      return o == 0 ? 1.0 : g / (double) o;
    }

    /**
     * The share of a priority's offered requests that were refused in a phase.
     *
     * @param phase the phase
     * @param priority the priority
     * @return shed / offered
     */
    public double shed(Phase phase, Priority priority) {
      long o = offered[phase.ordinal()][priority.ordinal()];
      return o == 0 ? 0.0 : shed[phase.ordinal()][priority.ordinal()] / (double) o;
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      for (Phase phase : Phase.values()) {
        s.append(phase).append(':');
        for (Priority p : Priority.values()) {
          s.append(String.format(" %s %.1f%%", p, 100 * goodput(phase, p)));
        }
        s.append('\n');
      }
      s.append("limit every second:");
      for (int i = 0; i < limits.size(); i += 10) {
        s.append(' ').append(limits.get(i));
      }
      return s.append('\n').toString();
    }
  }

  private static final class Request {
    final int priority;
    final int phase;
    final long start;
    final double finishTag;
    final Permit permit;
    boolean done;

    Request(int priority, int phase, long start, double finishTag, Permit permit) {
      this.priority = priority;
      this.phase = phase;
      this.start = start;
      this.finishTag = finishTag;
      this.permit = permit;
    }
  }

  /**
   * Runs the incident once.
   *
   * @param seed the random seed
   * @param shedderFactory builds the shedder under test from the simulation's clock; a factory
   *     returning null runs without one
   * @return the outcomes
   */
  public Result run(long seed, Function<ManualClock, LoadShedder> shedderFactory) {
    ManualClock clock = new ManualClock(0);
    LoadShedder shedder = shedderFactory.apply(clock);
    SplittableRandom random = new SplittableRandom(seed);
    Result result = new Result();
    PriorityQueue<Request> byFinish =
        new PriorityQueue<>((a, b) -> Double.compare(a.finishTag, b.finishTag));
    ArrayDeque<Request> byStart = new ArrayDeque<>(); // deadlines in arrival order
    long end = beforeNanos + spikeNanos + afterNanos;
    double baseRatePerNano = baseLoad * capacityPerSecond() / 1e9;
    double mu = Math.log(medianMs * MS);
    long now = 0;
    double virtual = 0; // service received by a request present since the start
    int active = 0;
    long nextArrival = 0;
    long nextSample = 0;
    while (true) {
      double rate = progressRate(active);
      while (!byFinish.isEmpty() && byFinish.peek().done) {
        byFinish.poll();
      }
      while (!byStart.isEmpty() && byStart.peekFirst().done) {
        byStart.pollFirst();
      }
      long finishAt = byFinish.isEmpty() ? Long.MAX_VALUE
          : now + (long) Math.ceil((byFinish.peek().finishTag - virtual) / rate);
      long deadlineAt = byStart.isEmpty() ? Long.MAX_VALUE
          : byStart.peekFirst().start + timeoutNanos;
      long next = Math.max(now,
          Math.min(Math.min(nextArrival, nextSample), Math.min(finishAt, deadlineAt)));
      if (next >= end) {
        break;
      }
      virtual += (next - now) * rate;
      clock.advance(next - now);
      now = next;
      if (now == finishAt) {
        Request r = byFinish.poll();
        r.done = true;
        active--;
        long latency = now - r.start;
        if (r.permit != null) {
          r.permit.onSuccess(latency);
        }
        if (r.phase >= 0) {
          result.good[r.phase][r.priority]++;
          result.recordLatency(r.phase, r.priority, latency);
        }
      } else if (now == deadlineAt) {
        Request r = byStart.pollFirst();
        r.done = true;
        active--;
        if (r.permit != null) {
          r.permit.onDropped(now - r.start);
        }
      } else if (now == nextArrival) {
        int priority = pick(random.nextDouble());
        int phase = phaseAt(now, end);
        if (phase >= 0) {
          result.offered[phase][priority]++;
        }
        double multiple = multipleAt(now);
        nextArrival = now + Math.max(1L,
            (long) (-Math.log(1.0 - random.nextDouble()) / (baseRatePerNano * multiple)));
        double draw = gaussian(random);
        double work = hitShare > 0 && random.nextDouble() < hitShare
            ? Math.exp(mu - Math.log(HIT_SPEEDUP) + sigma * draw) : Math.exp(mu + sigma * draw);
        Permit permit = null;
        if (shedder != null) {
          permit = shedder.tryAcquire(Priority.values()[priority]);
          if (!permit.isAdmitted()) {
            if (phase >= 0) {
              result.shed[phase][priority]++;
            }
            continue;
          }
        }
        Request r = new Request(priority, phase, now, virtual + work, permit);
        active++;
        byFinish.add(r);
        byStart.addLast(r);
      } else {
        result.limits.add(shedder == null ? 0 : shedder.limit());
        nextSample += 100 * MS;
      }
    }
    return result;
  }

  /**
   * The offered load at a moment, as a multiple of the base load: 1 outside the spike; inside
   * it, {@code spike}, reached by a linear ramp over the first {@code ramp} seconds and left by
   * one over the last (a step without a ramp).
   */
  double multipleAt(long now) {
    long into = now - beforeNanos;
    if (into < 0 || into >= spikeNanos) {
      return 1.0;
    }
    if (rampNanos == 0) {
      return spike;
    }
    double up = Math.min(1.0, (into + 1) / (double) rampNanos);
    double down = Math.min(1.0, (spikeNanos - into) / (double) rampNanos);
    return 1.0 + (spike - 1.0) * Math.min(up, down);
  }

  /**
   * HIGH's ideal goodput over the whole spike phase when the load ramps: at each moment the
   * capacity goes to the priorities in order, and the moments count by HIGH's arrivals.
   *
   * @return HIGH's ideal share of its offered load during the spike phase
   */
  public double idealHighOverTheSpike() {
    double served = 0;
    double offered = 0;
    int steps = 10_000;
    for (int i = 0; i < steps; i++) {
      double m = multipleAt(beforeNanos + (long) ((i + 0.5) * spikeNanos / steps));
      double left = Math.max(0.0, 1.0 / (baseLoad * m) - MIX[0]);
      served += m * Math.min(MIX[1], left);
      offered += m * MIX[1];
    }
    return served / offered;
  }

  /** Service progress per request per nanosecond with {@code n} requests inside. */
  private double progressRate(int n) {
    if (n <= slots) {
      return 1.0;
    }
    double share = slots / (double) n;
    if (n > collapseAt) {
      double waste = collapseAt / n;
      share *= waste * waste;
    }
    return share;
  }

  /** The phase a request arriving at {@code t} is counted in, -1 if none. */
  private int phaseAt(long t, long end) {
    if (t >= end - timeoutNanos) {
      return -1; // its outcome might fall after the end
    }
    if (t < beforeNanos) {
      return t >= 2_000 * MS ? Phase.BEFORE.ordinal() : -1; // 2 s of warm-up
    }
    if (t < beforeNanos + spikeNanos) {
      return Phase.SPIKE.ordinal();
    }
    return t >= beforeNanos + spikeNanos + 5_000 * MS ? Phase.AFTER.ordinal() : -1;
  }

  private static int pick(double u) {
    double acc = 0;
    for (int p = 0; p < 3; p++) {
      acc += MIX[p];
      if (u < acc) {
        return p;
      }
    }
    return 3;
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; one of the pair is enough here.
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Builds an {@link OverloadScenario}; every setter has the incident's default. */
  public static final class Builder {
    int slots = 50;
    double collapseAt;
    double medianMs = 20;
    double sigma = 0.5;
    double hitShare;
    double baseLoad = 0.45;
    double spike = 15;
    long timeoutMs = 2_000;
    long beforeSeconds = 10;
    long spikeSeconds = 20;
    long afterSeconds = 20;
    long rampSeconds;

    /**
     * @param value seconds over which the load ramps up to the spike at its start and back down
     *     at its end (default 0: a step); at most half the spike
     * @return this
     */
    public Builder ramp(long value) {
      rampSeconds = Checks.requireNonNegative("ramp", value);
      return this;
    }

    /** @param value concurrent service slots @return this */
    public Builder slots(int value) {
      slots = value;
      return this;
    }

    /** @param value in-flight above which throughput collapses (default 1.5 x slots) @return this */
    public Builder collapseAt(double value) {
      collapseAt = value;
      return this;
    }

    /** @param value median service time in ms @return this */
    public Builder medianMs(double value) {
      medianMs = value;
      return this;
    }

    /**
     * @param value the share of requests served 20 times faster than the rest (a cache hit),
     *     the rest lognormal as set; default 0 (a service time that is lognormal alone)
     * @return this
     */
    public Builder hits(double value) {
      hitShare = Checks.requireInRange("hits", value, 0.0, true, 1.0, false);
      return this;
    }

    /** @param value lognormal shape of the service time @return this */
    public Builder sigma(double value) {
      sigma = value;
      return this;
    }

    /** @param value base load as a fraction of capacity @return this */
    public Builder baseLoad(double value) {
      baseLoad = value;
      return this;
    }

    /** @param value the spike as a multiple of the base load @return this */
    public Builder spike(double value) {
      spike = value;
      return this;
    }

    /** @param value the client timeout in ms @return this */
    public Builder timeoutMs(long value) {
      timeoutMs = value;
      return this;
    }

    /**
     * @param before seconds at 1x before the spike
     * @param during seconds of spike
     * @param after seconds at 1x after it
     * @return this
     */
    public Builder phases(long before, long during, long after) {
      beforeSeconds = before;
      spikeSeconds = during;
      afterSeconds = after;
      return this;
    }

    /** @return the scenario */
    public OverloadScenario build() {
      Checks.requireArgument(2 * rampSeconds <= spikeSeconds, "ramp",
          "at most half the spike (" + spikeSeconds + " s)", rampSeconds);
      return new OverloadScenario(this);
    }
  }
}
