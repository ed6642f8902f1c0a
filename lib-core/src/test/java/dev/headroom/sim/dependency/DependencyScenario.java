package dev.headroom.sim.dependency;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.ManualClock;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import dev.headroom.shed.LimitPolicy;
import java.time.Duration;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A deterministic replay of callers in front of a {@link Dependency}: Poisson arrivals at a
 * fixed rate, a pool of blocking worker threads, and a client deadline per call.
 *
 * <p>Model: an event loop over virtual time (a priority queue ordered by time, ties by
 * sequence), the breaker's clock a {@link ManualClock} moved to each event, one seeded
 * {@link SplittableRandom}. A call needs a free worker, else it is lost (a failure for the
 * user). A call holds its worker until the dependency answers or the deadline passes, whichever
 * is first; at the deadline the caller abandons the call (which frees its dependency slot). With
 * the {@code BREAKER} client a rejected call fails fast and frees its worker at once; an admitted
 * call is reported with {@code onSuccess} (answered in time) or {@code onFailure} (a 503, a
 * refusal for capacity, or the deadline) with its duration. Goodput is counted per phase of the
 * arrival time: the share of offered calls that succeeded within the deadline.
 *
 * <p>Same inputs, same seed: the same result, byte for byte. With {@code -Dsim.trace=true} the
 * breaker's transitions are printed with their virtual time.
 */
final class DependencyScenario {

  /**
   * The caller in front of the dependency: a bare deadline; a breaker on its defaults; a
   * {@link Guard} with the default breaker, the default gradient limit and the scenario's
   * deadline fixed; the same guard with the adaptive deadline, its ceiling the scenario's
   * deadline.
   */
  /**
   * Who calls the dependency: a bare deadline, the breaker alone, a guard with the gradient
   * limit and a fixed or adaptive deadline, or a guard without a limit (breaker and adaptive
   * deadline, as {@code HeadroomHttpClient} builds by default).
   */
  enum Client { BARE, BREAKER, GUARD_FIXED, GUARD_ADAPTIVE, GUARD_NO_LIMIT, RESILIENCE4J }

  private static final long DEFAULT_DEADLINE_NANOS = 1_500_000_000L;
  private static final int ARRIVAL = 0;
  private static final int DONE = 1;

  private final Dependency dependency;
  private final double ratePerSecond;
  private final int workers;
  private final long deadlineNanos;
  private final long markNanos;

  /**
   * @param dependency the phase script
   * @param ratePerSecond Poisson arrival rate
   * @param workers blocking worker threads
   * @param markNanos the instant from which first trip and first rejection are measured
   */
  DependencyScenario(Dependency dependency, double ratePerSecond, int workers, long markNanos) {
    this(dependency, ratePerSecond, workers, DEFAULT_DEADLINE_NANOS, markNanos);
  }

  DependencyScenario(Dependency dependency, double ratePerSecond, int workers, long deadlineNanos,
      long markNanos) {
    this.dependency = dependency;
    this.ratePerSecond = ratePerSecond;
    this.workers = workers;
    this.deadlineNanos = deadlineNanos;
    this.markNanos = markNanos;
  }

  Dependency dependency() {
    return dependency;
  }

  /** What one run measured. */
  static final class Result {
    final long[] offered;
    final long[] succeeded;
    final long[] opens;
    /** Calls that reached the dependency, per phase of their arrival. */
    final long[] sent;
    long firstRejection = -1L;
    long firstTrip = -1L;

    Result(int phases) {
      offered = new long[phases];
      succeeded = new long[phases];
      opens = new long[phases];
      sent = new long[phases];
    }

    double goodput(int phase) {
      return offered[phase] == 0 ? 1.0 : (double) succeeded[phase] / offered[phase];
    }

    /** Seconds from the mark to the first rejection, or NaN if none. */
    double firstRejectionSeconds() {
      return firstRejection < 0 ? Double.NaN : firstRejection / 1e9;
    }

    /** Seconds from the mark to the first trip (the breaker stops sending), or NaN. */
    double firstTripSeconds() {
      return firstTrip < 0 ? Double.NaN : firstTrip / 1e9;
    }
  }

  private static final class Event {
    final long time;
    final long seq;
    final int type;
    final long start;
    final long permit;
    final boolean success;
    final boolean releaseSlot;
    final GuardPermit guardPermit;
    final boolean answered;

    Event(long time, long seq, int type, long start, long permit, boolean success,
        boolean releaseSlot) {
      this(time, seq, type, start, permit, success, releaseSlot, null, false);
    }

    Event(long time, long seq, int type, long start, long permit, boolean success,
        boolean releaseSlot, GuardPermit guardPermit, boolean answered) {
      this.time = time;
      this.seq = seq;
      this.type = type;
      this.start = start;
      this.permit = permit;
      this.success = success;
      this.releaseSlot = releaseSlot;
      this.guardPermit = guardPermit;
      this.answered = answered;
    }
  }

  /** The failure a caller reports for a 503, a refusal for capacity or a timeout. */
  static final class DependencyFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DependencyFailure() {
      super("dependency failed", null, false, false);
    }
  }

  private static final DependencyFailure FAILURE = new DependencyFailure();

  /**
   * Runs the scenario once.
   *
   * @param client the caller
   * @param seed the random seed
   * @return the measurements
   */
  Result run(Client client, long seed) {
    int phases = dependency.phases().size();
    Result r = new Result(phases);
    SplittableRandom random = new SplittableRandom(seed);
    ManualClock clock = new ManualClock();
    long origin = clock.nanoTime();
    Guard guard = null;
    if (client == Client.GUARD_FIXED || client == Client.GUARD_ADAPTIVE
        || client == Client.GUARD_NO_LIMIT) {
      Guard.Builder g = Guard.builder("dependency").clock(clock)
          .breaker(BreakerConfig.defaults())
          .deadline(client == Client.GUARD_FIXED
              ? DeadlinePolicy.fixed(Duration.ofNanos(deadlineNanos))
              : DeadlinePolicy.adaptive().ceiling(Duration.ofNanos(deadlineNanos)).build());
      if (client != Client.GUARD_NO_LIMIT) {
        g.limit(LimitPolicy.gradient().build());
      }
      guard = g.build();
    }
    io.github.resilience4j.circuitbreaker.CircuitBreaker peer = client == Client.RESILIENCE4J
        ? resilience4j(clock) : null;
    long[] peerOpens = new long[1];
    if (peer != null) {
      peer.getEventPublisher().onStateTransition(event -> {
        if (event.getStateTransition().getToState()
            == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN) {
          peerOpens[0]++;
        }
      });
    }
    CircuitBreaker breaker = client == Client.BREAKER
        ? CircuitBreaker.builder("dependency").clock(clock).build()
        : guard != null ? guard.breaker() : null;
    if (breaker != null && Boolean.getBoolean("sim.trace")) {
      breaker.addListener(new dev.headroom.breaker.BreakerListener() {
        @Override
        public void onTransition(CircuitBreaker b, BreakerState from, BreakerState to) {
          System.out.printf(Locale.ROOT, "%.3f %s -> %s%n", (clock.nanoTime() - origin) / 1e9,
              from, to);
        }

        @Override
        public void onRampStep(CircuitBreaker b, int step, double fraction) {
          System.out.printf(Locale.ROOT, "%.3f step %d%n", (clock.nanoTime() - origin) / 1e9,
              step);
        }
      });
    }
    PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.time != b.time
        ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    long seq = 0L;
    long end = dependency.end();
    double meanGap = 1e9 / ratePerSecond;
    queue.add(new Event(nextGap(random, meanGap), seq++, ARRIVAL, 0L, 0L, false, false));
    int free = workers;
    long[] duration = new long[1];
    int lastPhase = 0;
    long opensAtPhaseStart = 0L;
    long opensAtMark = -1L;
    long now = 0L;
    // With -Dsim.trace=true a guard's limit, in-flight, breaker and deadline every 250 ms.
    boolean trace = Boolean.getBoolean("sim.trace") && guard != null;
    long nextTrace = 0L;
    while (!queue.isEmpty()) {
      Event e = queue.poll();
      if (trace && e.time >= nextTrace) {
        System.out.printf(Locale.ROOT, "%6.2f limit %4d inFlight %4d workers busy %4d breaker %s"
            + " deadline %s%n", e.time / 1e9, guard.limit() == null ? -1 : guard.limit().limit(),
            guard.limit() == null ? -1 : guard.limit().inFlight(), workers - free,
            guard.breaker().state(), guard.deadline());
        nextTrace += 250_000_000L;
      }
      clock.advance(e.time - now);
      now = e.time;
      if ((peer != null || breaker != null) && opensAtMark < 0 && now >= markNanos) {
        opensAtMark = peer != null ? peerOpens[0] : breaker.transitionCount(BreakerState.OPEN);
      }
      if (e.type == ARRIVAL) {
        long next = now + nextGap(random, meanGap);
        if (next < end) {
          queue.add(new Event(next, seq++, ARRIVAL, 0L, 0L, false, false));
        }
        int phase = dependency.phaseAt(now);
        r.offered[phase]++;
        if (free == 0) {
          continue; // lost: no worker
        }
        long permit = 0L;
        if (guard != null) {
          GuardPermit gp = guard.tryAcquire();
          if (!gp.isAdmitted()) {
            if (now >= markNanos && r.firstRejection < 0) {
              r.firstRejection = now - markNanos;
            }
            continue; // fails fast, the worker is free at once
          }
          free--;
          r.sent[phase]++;
          long timeout = gp.timeoutNanos();
          Dependency.Kind kind = dependency.call(now, random, duration);
          boolean answered = duration[0] < timeout;
          long doneAt = now + (answered ? duration[0] : timeout);
          boolean success = answered && kind == Dependency.Kind.ANSWER;
          queue.add(new Event(doneAt, seq++, DONE, now, 0L, success,
              kind != Dependency.Kind.FULL, gp, answered));
          continue;
        }
        if (peer != null) {
          if (!peer.tryAcquirePermission()) {
            if (now >= markNanos && r.firstRejection < 0) {
              r.firstRejection = now - markNanos;
            }
            continue; // fails fast, the worker is free at once
          }
        } else if (breaker != null) {
          permit = breaker.tryAcquire();
          if (permit == CircuitBreaker.REJECTED) {
            if (now >= markNanos && r.firstRejection < 0) {
              r.firstRejection = now - markNanos;
            }
            continue; // fails fast, the worker is free at once
          }
        }
        free--;
        r.sent[phase]++;
        Dependency.Kind kind = dependency.call(now, random, duration);
        boolean answered = duration[0] < deadlineNanos;
        long doneAt = now + (answered ? duration[0] : deadlineNanos);
        boolean success = answered && kind == Dependency.Kind.ANSWER;
        queue.add(new Event(doneAt, seq++, DONE, now, permit, success,
            kind != Dependency.Kind.FULL));
      } else {
        free++;
        if (e.releaseSlot) {
          dependency.release(e.start);
        }
        if (e.success) {
          r.succeeded[dependency.phaseAt(e.start)]++;
        }
        if (e.guardPermit != null) {
          if (e.success) {
            e.guardPermit.onSuccess();
          } else if (!e.answered) {
            e.guardPermit.onTimeout();
          } else {
            e.guardPermit.onFailure(FAILURE);
          }
        } else if (peer != null) {
          if (e.success) {
            peer.onSuccess(now - e.start, java.util.concurrent.TimeUnit.NANOSECONDS);
          } else {
            peer.onError(now - e.start, java.util.concurrent.TimeUnit.NANOSECONDS, FAILURE);
          }
        } else if (breaker != null) {
          if (e.success) {
            breaker.onSuccess(e.permit, now - e.start);
          } else {
            breaker.onFailure(e.permit, now - e.start, FAILURE);
          }
        }
      }
      if (peer != null || breaker != null) {
        long opens = peer != null ? peerOpens[0] : breaker.transitionCount(BreakerState.OPEN);
        int phase = dependency.phaseAt(now);
        if (phase != lastPhase) {
          lastPhase = phase;
          opensAtPhaseStart = opens;
        }
        r.opens[phase] = opens - opensAtPhaseStart;
        if (opensAtMark >= 0 && r.firstTrip < 0 && opens > opensAtMark) {
          r.firstTrip = now - markNanos;
        }
      }
    }
    assert clock.nanoTime() - origin == now;
    return r;
  }

  /**
   * Resilience4j's circuit breaker with its defaults (a count window of 100 calls, trip at a
   * 50% failure rate once 100 calls are in it, 60 s open, 10 calls half open), on the
   * scenario's virtual clock.
   */
  static io.github.resilience4j.circuitbreaker.CircuitBreaker resilience4j(ManualClock clock) {
    java.time.Clock virtual = new java.time.Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return java.time.Instant.ofEpochSecond(0L, clock.nanoTime());
      }
    };
    return io.github.resilience4j.circuitbreaker.CircuitBreaker.of("dependency",
        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom().clock(virtual)
            .currentTimestampFunction(c -> clock.nanoTime(),
                java.util.concurrent.TimeUnit.NANOSECONDS)
            .build());
  }

  private static long nextGap(SplittableRandom random, double meanGap) {
    return Math.max(1L, (long) (-Math.log(1.0 - random.nextDouble()) * meanGap));
  }

  /** Formats a goodput as a percentage with one decimal. */
  static String pct(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100.0);
  }
}
