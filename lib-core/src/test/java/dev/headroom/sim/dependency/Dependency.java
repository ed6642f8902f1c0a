package dev.headroom.sim.dependency;

import dev.headroom.core.Checks;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A dependency that follows a phase script over virtual time. In each phase a call's latency is
 * lognormal (the phase's median, sigma {@value #SIGMA}); a share of calls hangs for
 * {@value #HANG_SECONDS} s; a share fails fast (a 503 after 1 ms).
 *
 * <p>Capacity: a phase may have a limited number of concurrent slots. Each phase is its own
 * server pool: a call holds a slot of the phase it started in, until it answers or its caller
 * abandons it (a timeout frees the slot). Over capacity, a call fails fast (a 503 after 1 ms)
 * rather than queueing: a recovering server that refuses what it cannot take is the common case
 * (connection limits, load balancers), and it keeps the model free of hidden queues.
 *
 * <p>Thread-safety: confined to the simulation's thread.
 */
final class Dependency {

  /** The lognormal sigma of every phase. */
  static final double SIGMA = 0.3;
  /** How long a hung call takes. */
  static final long HANG_SECONDS = 10;
  static final long HANG_NANOS = HANG_SECONDS * 1_000_000_000L;
  /** How long a fast failure (a 503) takes. */
  static final long ERROR_NANOS = 1_000_000L;

  /**
   * One phase of the script.
   *
   * @param name shown in reports
   * @param durationNanos how long the phase lasts
   * @param medianNanos the median latency of an answered call
   * @param hangShare the share of calls that hang
   * @param errorShare the share of calls that fail fast
   * @param capacity concurrent slots, 0 for unlimited
   */
  record Phase(String name, long durationNanos, long medianNanos, double hangShare,
      double errorShare, int capacity) {
    Phase {
      Checks.requirePositive("durationNanos", durationNanos);
      Checks.requirePositive("medianNanos", medianNanos);
      Checks.requireInRange("hangShare", hangShare, 0.0, true, 1.0, true);
      Checks.requireInRange("errorShare", errorShare, 0.0, true, 1.0, true);
      Checks.requireNonNegative("capacity", capacity);
    }

    static Phase healthy(String name, double seconds, double medianMillis) {
      return new Phase(name, nanos(seconds), millis(medianMillis), 0.0, 0.0, 0);
    }

    static Phase outage(String name, double seconds) {
      return new Phase(name, nanos(seconds), millis(20), 0.0, 1.0, 0);
    }

    Phase withCapacity(int slots) {
      return new Phase(name, durationNanos, medianNanos, hangShare, errorShare, slots);
    }
  }

  /** What the dependency does with one call. */
  enum Kind { ANSWER, HANG, ERROR, FULL }

  private final List<Phase> phases;
  private final long[] starts;
  private final int[] inUse;

  Dependency(List<Phase> phases) {
    Checks.requireArgument(!phases.isEmpty(), "phases", "not empty", phases);
    this.phases = List.copyOf(phases);
    this.starts = new long[phases.size() + 1];
    for (int i = 0; i < phases.size(); i++) {
      starts[i + 1] = starts[i] + phases.get(i).durationNanos();
    }
    this.inUse = new int[phases.size()];
  }

  static Dependency of(Phase... phases) {
    return new Dependency(new ArrayList<>(List.of(phases)));
  }

  List<Phase> phases() {
    return phases;
  }

  long start(int phase) {
    return starts[phase];
  }

  long end() {
    return starts[phases.size()];
  }

  /** The phase at {@code t} nanoseconds since the start (the last phase after the end). */
  int phaseAt(long t) {
    for (int i = phases.size() - 1; i > 0; i--) {
      if (t >= starts[i]) {
        return i;
      }
    }
    return 0;
  }

  /**
   * Starts a call at {@code t}: decides its fate and its duration, and takes a slot unless it
   * is refused for capacity.
   *
   * @return the kind; the duration is written to {@code duration[0]}
   */
  Kind call(long t, SplittableRandom random, long[] duration) {
    int i = phaseAt(t);
    Phase p = phases.get(i);
    double u = random.nextDouble();
    double latency = p.medianNanos() * Math.exp(SIGMA * random.nextGaussian());
    if (p.capacity() > 0 && inUse[i] >= p.capacity()) {
      duration[0] = ERROR_NANOS;
      return Kind.FULL;
    }
    inUse[i]++;
    if (u < p.errorShare()) {
      duration[0] = ERROR_NANOS;
      return Kind.ERROR;
    }
    if (u < p.errorShare() + p.hangShare()) {
      duration[0] = HANG_NANOS;
      return Kind.HANG;
    }
    duration[0] = Math.max(1L, (long) latency);
    return Kind.ANSWER;
  }

  /** Frees the slot of a call started at {@code t} (it answered or its caller gave up). */
  void release(long t) {
    inUse[phaseAt(t)]--;
  }

  static long nanos(double seconds) {
    return Math.round(seconds * 1e9);
  }

  static long millis(double millis) {
    return Math.round(millis * 1e6);
  }
}
