package dev.headroom.shed;

import dev.headroom.core.ManualClock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.LongToDoubleFunction;

/**
 * A deterministic discrete-event simulation in virtual time: Poisson arrivals of mixed
 * priorities, an optional {@link LoadShedder} in front, and a backend whose latency rises with
 * concurrency.
 *
 * <p>The backend is processor sharing over {@code cores}: each request needs {@code work} of
 * service (uniform in [0.8, 1.2] x the mean); with {@code n} requests inside, each progresses at
 * {@code min(1, cores / n)}. Up to {@code cores} concurrent requests it answers in the unloaded
 * time; beyond, every request slows down in proportion, and its throughput stays
 * {@code cores / work}. A client gives up after {@code timeout}: the backend stops working on
 * that request and the shedder's permit is completed with {@code onDropped}. Good put is a
 * request answered within the timeout.
 *
 * <p>The simulation is exact for processor sharing (virtual-finish-tag method) and runs on one
 * thread with a seeded random source, so every run gives the same numbers.
 */
final class OverloadSimulation {

  /** Offered share of each priority, by ordinal. */
  static final double[] MIX = {0.01, 0.03, 0.26, 0.70};

  static final long MS = 1_000_000L;

  final long meanWorkNanos;
  final long timeoutNanos;
  /** Cores at a given virtual time (ns since start). */
  final LongToDoubleFunction cores;
  /** Offered load at a given virtual time, as a multiple of capacity at {@code baseCores}. */
  final LongToDoubleFunction load;
  final double baseCores;
  final long seed;

  OverloadSimulation(long meanWorkNanos, long timeoutNanos, double baseCores,
      LongToDoubleFunction cores, LongToDoubleFunction load, long seed) {
    this.meanWorkNanos = meanWorkNanos;
    this.timeoutNanos = timeoutNanos;
    this.baseCores = baseCores;
    this.cores = cores;
    this.load = load;
    this.seed = seed;
  }

  /** Per-priority outcome counts and latencies of good requests, from {@code measureFrom}. */
  static final class Result {
    final Map<Priority, long[]> counts = new EnumMap<>(Priority.class); // offered, good, shed, late
    final Map<Priority, List<Long>> latencies = new EnumMap<>(Priority.class);
    /** The shedder's limit sampled every 100 ms of virtual time. */
    final List<Integer> limits = new ArrayList<>();

    Result() {
      for (Priority p : Priority.values()) {
        counts.put(p, new long[4]);
        latencies.put(p, new ArrayList<>());
      }
    }

    double goodput(Priority p) {
      long[] c = counts.get(p);
      return c[0] == 0 ? 1.0 : c[1] / (double) c[0];
    }

    double shedFraction(Priority p) {
      long[] c = counts.get(p);
      return c[0] == 0 ? 0.0 : c[2] / (double) c[0];
    }

    long p99(Priority p) {
      long[] sorted = latencies.get(p).stream().mapToLong(Long::longValue).toArray();
      if (sorted.length == 0) {
        return Long.MAX_VALUE;
      }
      Arrays.sort(sorted);
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
    }

    /** The mean sampled limit between two sample indexes (100 ms each). */
    double meanLimit(int from, int to) {
      return limits.subList(from, to).stream().mapToInt(Integer::intValue).average()
          .orElseThrow();
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      for (Priority p : Priority.values()) {
        long[] c = counts.get(p);
        s.append(String.format("%s offered=%d good=%.3f shed=%.3f late=%d p99=%.1fms%n", p,
            c[0], goodput(p), shedFraction(p), c[3], p99(p) / 1e6));
      }
      if (!limits.isEmpty()) {
        s.append("limit every second: ");
        for (int i = 0; i < limits.size(); i += 10) {
          s.append(limits.get(i)).append(' ');
        }
        s.append('\n');
      }
      return s.toString();
    }
  }

  private static final class Request {
    final Priority priority;
    final long start;
    final double finishTag;
    final Permit permit;
    final boolean measured;
    boolean done;

    Request(Priority priority, long start, double finishTag, Permit permit, boolean measured) {
      this.priority = priority;
      this.start = start;
      this.finishTag = finishTag;
      this.permit = permit;
      this.measured = measured;
    }
  }

  /**
   * Runs the simulation.
   *
   * @param shedder the shedder, driven by {@code clock}; null to run without one
   * @param clock the shedder's clock, advanced with virtual time
   * @param durationNanos how long to simulate
   * @param measureFromNanos outcomes of requests arriving before this are not counted
   */
  Result run(LoadShedder shedder, ManualClock clock, long durationNanos, long measureFromNanos) {
    SplittableRandom random = new SplittableRandom(seed);
    Result result = new Result();
    PriorityQueue<Request> byFinish =
        new PriorityQueue<>((a, b) -> Double.compare(a.finishTag, b.finishTag));
    PriorityQueue<Request> byDeadline =
        new PriorityQueue<>((a, b) -> Long.compare(a.start, b.start));
    long now = 0;
    double virtual = 0; // service received by a request present since the start
    int active = 0;
    long nextArrival = 0;
    long nextSample = 0;
    while (now < durationNanos) {
      double rate = active == 0 ? 1.0 : Math.min(1.0, cores.applyAsDouble(now) / active);
      while (!byFinish.isEmpty() && byFinish.peek().done) {
        byFinish.poll();
      }
      while (!byDeadline.isEmpty() && byDeadline.peek().done) {
        byDeadline.poll();
      }
      long finishAt = byFinish.isEmpty() ? Long.MAX_VALUE
          : now + (long) Math.ceil((byFinish.peek().finishTag - virtual) / rate);
      long deadlineAt = byDeadline.isEmpty() ? Long.MAX_VALUE
          : byDeadline.peek().start + timeoutNanos;
      long next = Math.min(Math.min(nextArrival, nextSample), Math.min(finishAt, deadlineAt));
      next = Math.max(next, now);
      virtual += (next - now) * rate;
      if (shedder != null) {
        clock.advance(next - now);
      }
      now = next;
      if (now >= durationNanos) {
        break;
      }
      if (now == nextSample) {
        result.limits.add(shedder == null ? 0 : shedder.limit());
        nextSample += 100 * MS;
      } else if (now == finishAt) {
        Request r = byFinish.poll();
        r.done = true;
        active--;
        long latency = now - r.start;
        if (r.permit != null) {
          r.permit.onSuccess(latency);
        }
        if (r.measured) {
          result.counts.get(r.priority)[1]++;
          result.latencies.get(r.priority).add(latency);
        }
      } else if (now == deadlineAt) {
        Request r = byDeadline.poll();
        r.done = true;
        active--;
        if (r.permit != null) {
          r.permit.onDropped(now - r.start);
        }
        if (r.measured) {
          result.counts.get(r.priority)[3]++;
        }
      } else {
        Priority priority = pick(random.nextDouble());
        boolean measured = now >= measureFromNanos && now < durationNanos - timeoutNanos;
        if (measured) {
          result.counts.get(priority)[0]++;
        }
        double offeredPerNano =
            load.applyAsDouble(now) * baseCores / (double) meanWorkNanos;
        nextArrival = now + Math.max(1L,
            (long) (-Math.log(1.0 - random.nextDouble()) / offeredPerNano));
        long work = (long) (meanWorkNanos * (0.8 + 0.4 * random.nextDouble()));
        Permit permit = null;
        if (shedder != null) {
          permit = shedder.tryAcquire(priority);
          if (!permit.isAdmitted()) {
            if (measured) {
              result.counts.get(priority)[2]++;
            }
            continue;
          }
        }
        Request r = new Request(priority, now, virtual + work, permit, measured);
        active++;
        byFinish.add(r);
        byDeadline.add(r);
      }
    }
    return result;
  }

  private static Priority pick(double u) {
    double acc = 0;
    for (Priority p : Priority.values()) {
      acc += MIX[p.ordinal()];
      if (u < acc) {
        return p;
      }
    }
    return Priority.LOW;
  }
}
