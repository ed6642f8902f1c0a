package dev.headroom.shed;

/**
 * Computes the next concurrency limit from one window of samples. Package-private: users pick
 * a {@link LimitPolicy}; this is its executable form.
 *
 * <p>Thread-safety: {@link #next} is called by one thread at a time, the window owner in
 * {@link LoadShedder} (ownership is a CAS on a flag, released with a release store, so each
 * owner sees the state the previous owner left, including {@link Gradient}'s estimates).
 * Instances are not otherwise shared.
 */
abstract class LimitController {

  final int minLimit;
  final int maxLimit;
  final long windowNanos;
  final int minSamples;

  LimitController(int minLimit, int maxLimit, long windowNanos, int minSamples) {
    this.minLimit = minLimit;
    this.maxLimit = maxLimit;
    this.windowNanos = windowNanos;
    this.minSamples = minSamples;
  }

  static LimitController of(LimitPolicy policy) {
    if (policy instanceof LimitPolicy.Fixed fixed) {
      return new Fixed(fixed.limit());
    }
    if (policy instanceof LimitPolicy.Aimd aimd) {
      return new Aimd(aimd);
    }
    return new Gradient((LimitPolicy.Gradient) policy);
  }

  /** Whether completions must record the window minimum latency and maximum in-flight. */
  abstract boolean adaptive();

  /**
   * One sample window, filled by the window owner and reused (no allocation per window).
   */
  static final class Window {
    /** Successful completions. */
    long successes;
    /** Their total latency. */
    long successNanos;
    /** Dropped completions (timeouts, overload answers). */
    long drops;
    /** Their total latency, up to the drop. */
    long dropNanos;
    /** The smallest success latency, {@code Long.MAX_VALUE} if none. */
    long minNanos;
    /** The largest in-flight count seen at a completion. */
    int maxInFlight;
    /** Requests refused (or timed out waiting) in the window. */
    long refused;
    /** Requests asked for in the window (admitted or refused), by priority ordinal. */
    final long[] offered = new long[Priority.values().length];
    /** The window's length in nanoseconds, {@code >= 1}. */
    long nanos = 1L;

    /** The mean success latency, 0 if none. */
    double meanNanos() {
      return successes == 0 ? 0.0 : successNanos / (double) successes;
    }
  }

  /**
   * Returns the next limit, within {@code [minLimit, maxLimit]}.
   *
   * @param current the current (unrounded) limit
   * @param window the closed window
   */
  abstract double next(double current, Window window);

  final double clamp(double value) {
    return Math.max(minLimit, Math.min(maxLimit, value));
  }

  /** Whether the limit was in use: in-flight reached at least half of it. */
  static boolean busy(double current, int maxInFlight) {
    return maxInFlight * 2.0 >= current;
  }

  static final class Fixed extends LimitController {
    Fixed(int limit) {
      super(limit, limit, 100_000_000L, 1);
    }

    @Override
    boolean adaptive() {
      return false;
    }

    @Override
    double next(double current, Window window) {
      return current;
    }
  }

  static final class Aimd extends LimitController {
    private final int increase;
    private final double backoffRatio;
    private final long latencyThresholdNanos;

    Aimd(LimitPolicy.Aimd policy) {
      super(policy.minLimit(), policy.maxLimit(), policy.window().toNanos(),
          policy.minSamples());
      this.increase = policy.increase();
      this.backoffRatio = policy.backoffRatio();
      this.latencyThresholdNanos = policy.latencyThreshold().toNanos();
    }

    @Override
    boolean adaptive() {
      return true;
    }

    @Override
    double next(double current, Window w) {
      boolean slow = latencyThresholdNanos > 0 && w.successes > 0
          && w.meanNanos() > latencyThresholdNanos;
      if (w.drops > 0 || slow) {
        return clamp(current * backoffRatio);
      }
      if (w.successes > 0 && busy(current, w.maxInFlight)) {
        return clamp(current + increase);
      }
      return clamp(current);
    }
  }

  static final class Gradient extends LimitController {
    /**
     * How far above the concurrency its throughput needs at the quiet latency an overloaded
     * limit may grow while the slack serves a priority whose whole demand fits: the bands' top
     * non-CRITICAL priority asks for fewer calls than the backend completes, and only its
     * bursts are refused. The calls above the backend's parallelism queue inside it and absorb
     * those bursts (HIGH at 10x on 20-40 slots, whose demand is 90% of the capacity, got 91.1%
     * of its ideal on average; 87.4% with {@link #TIGHT_CARRY} everywhere).
     */
    static final double CARRY = 1.3;

    /**
     * The same bound where even the top priority asks for more than the backend completes:
     * slack then buys it nothing, only queueing in the backend, and walks the limit towards
     * the collapse point. In the incident (50 slots, 15x) the limit settles at 60.6 instead of
     * 68.4, the p99 of CRITICAL and HIGH falls from 78.8 and 79.1 ms to 69.6 and 70.3 (a fixed
     * limit of 60 chosen knowing the backend: 69.7 and 71.0), and no long 20x spike of 50
     * collapsed a 20-25 slot backend (1, 2, 1 and 0 runs before). 1.1 cost HIGH at 40 slots
     * and 20x 9% of its ideal; 1.2 let one run collapse.
     */
    static final double TIGHT_CARRY = 1.15;

    private final double tolerance;
    private final double backoffRatio;
    private final double smoothing;

    /** The no-load latency estimate (ns); 0 until the first window. Owner-only state below. */
    private double baseline;
    /** The window mean latency, smoothed (EWMA, weight one half). */
    private double smoothed;
    /** The smoothed absolute change of the window mean: the noise margin's scale. */
    private double deviation;
    /** The highest limit at which a busy window stayed within tolerance. */
    private double healthy;
    /** Doubling while demand is refused and latency is within tolerance. */
    private boolean slowStart = true;
    /** The limit when the current run of decreases began; 0 when not decreasing. */
    private double declineFrom;
    /** The smoothed latency when it began. */
    private double declinePeak;
    /** The latency of the last born-busy probe level; 0 when not probing. */
    private double probeRef;
    /** Whether the next probe window is skipped (it mixes two levels). */
    private boolean probeHold;
    /** Consecutive windows, after the limit was halved, whose latency did not come down. */
    private int notHelped;
    /** The drop share a "not load" verdict accepted; it fades as the drops do. */
    private double acceptedDrops;
    /** The window drop share, smoothed (EWMA, weight one half). */
    private double dropShare;
    /** Windows after the cut whose latency came down, but not by half. */
    private int helped;
    /** Drops and completions in the current run of decreases. */
    private long declineDrops;
    private long declineN;
    /** The longest mean latency of a window's drops seen: about the callers' deadline. */
    private double dropLatency;
    /** Nanoseconds left during which a verdict's baseline is not lowered. */
    private long settle;
    /** Nanoseconds of windows closed since the limit reached half of where the decline began. */
    private long drained;
    /**
     * The quiet latency (ns): the window mean, averaged (weight 0.1) over windows that refused
     * no more requests than they completed and followed a smoothed latency within tolerance of
     * the baseline; 0 until the first. Unlike the baseline, a running minimum, it is not biased
     * low by noise. The window is chosen by the latency before it, not by its own: chosen by
     * its own mean, only the lucky windows of a spread-out service time passed (with sigma 0.8
     * the quiet latency read 0.9 of the mean service time), the throughput's concurrency was
     * underestimated by as much, and the limit was held a tenth below a 100-slot backend's
     * parallelism (HIGH at 10x, 100 slots, sigma 0.8: 47% of its ideal with a tighter carry).
     */
    private double quiet;
    /**
     * The concurrency the window's completions needed at the quiet latency (throughput times
     * quiet latency, by Little's law), smoothed (weight one half); 0 until {@link #quiet} is
     * known. Under overload it is the concurrency the backend really serves in parallel.
     */
    private double carried;
    /**
     * What the top non-CRITICAL priority with demand and CRITICAL ask for, in calls per call
     * completed, smoothed (weight 0.2); 0 until the first overloaded window.
     */
    private double topDemand;

    Gradient(LimitPolicy.Gradient policy) {
      super(policy.minLimit(), policy.maxLimit(), policy.window().toNanos(),
          policy.minSamples());
      this.tolerance = policy.tolerance();
      this.backoffRatio = policy.backoffRatio();
      this.smoothing = policy.smoothing();
    }

    @Override
    boolean adaptive() {
      return true;
    }

    /** The no-load latency estimate in nanoseconds, 0 before the first window. */
    long baselineNanos() {
      return (long) baseline;
    }

    @Override
    double next(double current, Window w) {
      long n = w.successes + w.drops;
      if (n == 0) {
        return clamp(current);
      }
      // Dropped requests count at the latency they were dropped at: a timeout is the
      // shortest the request would have taken, so the mean is a lower bound when drops exist.
      // Drops a "not load" verdict accepted (calls that hang whatever the load) are left out,
      // up to their expected number plus two binomial deviations: how many of them fall in a
      // window is chance, and one 1.5 s timeout among ten 10 ms answers would multiply the
      // mean by fifteen. Beyond that allowance drops count again, so overload still shows.
      double all = (w.successNanos + (double) w.dropNanos) / n;
      double mean = all;
      if (w.drops > 0) {
        double dropMean = w.dropNanos / (double) w.drops;
        dropLatency = Math.max(dropLatency, dropMean);
        double expected = n * acceptedDrops;
        double allowance = acceptedDrops == 0 ? 0.0
            : expected + 2.0 * Math.sqrt(expected * (1.0 - acceptedDrops)) + 1.0;
        long left = Math.min(w.drops, (long) allowance);
        if (left > 0 && left < n) {
          mean = (w.successNanos + (w.drops - left) * dropMean) / (n - left);
        }
      }
      double share = w.drops / (double) n;
      dropShare = 0.5 * dropShare + 0.5 * share;
      if (dropShare < acceptedDrops) {
        acceptedDrops += 0.05 * (dropShare - acceptedDrops); // fewer drops now: forget slowly
      }
      boolean censored = w.drops * 2 > n; // most requests gave up: the mean is the timeout
      double previous = smoothed;
      smoothed = previous == 0 ? mean : 0.5 * previous + 0.5 * mean;
      deviation = previous == 0 ? 0.0 : 0.8 * deviation + 0.2 * Math.abs(mean - previous);
      boolean busy = w.refused > 0 || busy(current, w.maxInFlight);
      if (baseline > 0 && w.refused <= n && !censored && w.successes > 0
          && previous > 0 && previous <= tolerance * baseline) {
        quiet = quiet == 0 ? mean : quiet + 0.1 * (mean - quiet);
      }
      if (quiet > 0) {
        double now = (w.successes * quiet + w.dropNanos) / w.nanos;
        carried = carried == 0 ? now : 0.5 * carried + 0.5 * now;
      }
      if (baseline == 0) {
        if (censored) {
          smoothed = 0; // no reference latency and nearly everything times out: back off
          return clamp(current * backoffRatio);
        }
        baseline = smoothed;
        if (w.refused > 0 && w.maxInFlight >= 0.9 * current) {
          // Born busy: the first latency is a loaded one. Halve the limit while that keeps
          // lowering latency by a fifth; the baseline follows it down.
          probeRef = mean;
          probeHold = true;
          return clamp(current * 0.5);
        }
      }
      if (probeRef > 0) {
        if (probeHold) {
          probeHold = false; // the window after a halving mixes both levels: judge the next
          return clamp(current);
        }
        if (mean < 0.8 * probeRef && current * 0.5 >= minLimit) {
          probeRef = mean;
          probeHold = true;
          baseline = Math.min(baseline, mean);
          return clamp(current * 0.5);
        }
        // Latency stopped falling with the limit: this window's is the unloaded one. Not the
        // lowest seen while probing: the first window, which set the baseline, holds only the
        // calls that completed within it, the short ones (20 ms where a spread-out service time
        // averaged 27), and a baseline that low ended slow start at the first noisy window.
        probeRef = 0;
        baseline = mean;
        smoothed = mean;
        slowStart = true;
      }
      if (settle > 0) {
        settle -= w.nanos; // a verdict's new normal is not second-guessed while it settles
      } else if (smoothed < baseline) {
        baseline = smoothed; // faster than ever: that is the no-load latency
      } else if (!busy && !censored) {
        // With the limit not in use the latency is not queueing behind it: let the estimate
        // follow, slowly, a dependency that became slower at low load.
        baseline += 0.05 * (smoothed - baseline);
      }
      if (!busy) {
        declineFrom = 0; // no evidence about load either way: hold the limit
        return clamp(current);
      }
      // The noise margin widens the band by twice the window-to-window change, at most a
      // quarter of it; in slow start the latest window alone decides (growth doubles, so the
      // smoothed mean would lag a full step behind).
      // The band is measured from the quiet latency where it is above the baseline. The
      // baseline is a running minimum of window means and drifts to the luckiest of them: with
      // a spread-out service time (sigma 0.8) it settled at 0.65 of the mean, the band at the
      // mean itself, and every noisy window read as overload. Each decrease then stuck, since
      // a limit below the load refuses more than it completes and the overload bound held it:
      // at 1x after a 2 s spike of 20x, a 50-slot backend's limit fell to 1 (10% served).
      double ref = Math.max(baseline, quiet);
      double high = tolerance * ref + Math.min(2 * deviation, 0.25 * tolerance * ref);
      // A window more than twice above the band is a jump, not noise: it decides alone.
      double latency = slowStart || mean > 2 * high ? Math.max(smoothed, mean) : smoothed;
      if (slowStart && latency > high && smoothed <= high && previous <= high) {
        // One window above the band after a steady run: hold and let the next one confirm,
        // so that a noisy window (a burst of timeouts) does not end slow start.
        return clamp(current);
      }
      if (latency <= high) {
        declineFrom = 0;
        // At most the limit in force: in-flight above it is CRITICAL's excess (never shed), a
        // burst the backend took once, not a limit it was tested at; remembered, it let the
        // limit jump there in one window (25 to 31 for 20 slots collapsing above 30) and
        // collapse the backend in 1 of 7 long 20x spikes.
        healthy = Math.max(healthy, Math.min(w.maxInFlight, current));
        boolean full = w.maxInFlight >= 0.9 * current;
        if (!full && w.refused * 100 < n + w.refused) {
          // Room left, or refusals too rare to be worth more concurrency: demand is met, so
          // slow start is over (as TCP leaves it at its threshold); from here growth is gentle.
          slowStart = false;
          return clamp(current);
        }
        // The bands' top non-CRITICAL priority with demand: the calls it and CRITICAL ask for
        // against those the backend completed (smoothed: at 90% of the capacity a window of
        // 100 calls crosses 1 by chance).
        long top = w.offered[0];
        for (int p = 1; p < w.offered.length; p++) {
          if (w.offered[p] > 0) {
            top += w.offered[p];
            break;
          }
        }
        double ratio = top / (double) n;
        topDemand = topDemand == 0 ? ratio : topDemand + 0.2 * (ratio - topDemand);
        double carry = topDemand >= 1.0 ? TIGHT_CARRY : CARRY;
        // Two slots of slack at least: a small limit's top band is a slot below it (HIGH may
        // fill floor(0.95 x limit)), so the concurrency carried never came within the bound of
        // the limit and a limit of 2-7 was held whatever the latency: a guard's limit that fell
        // to 2 during hangs stayed there through the recovery (9.5% served, where a bare
        // deadline served 99.9%).
        double held = (w.successNanos + (double) w.dropNanos) / w.nanos;
        if (w.refused > n && dropShare < 0.02 && carried > 0 && current >= carry * carried
            && current >= carried + 2 && current <= 3.0 * held) {
          // Overloaded (more refused than served) and already `carry` times the concurrency the
          // throughput needs at the quiet latency: more would buy no throughput, only queueing
          // in the backend, and walk the limit towards where contention collapses it (which
          // CRITICAL, never shed, would then sustain). Only where that count is sound: few
          // drops (hung calls and deadlines hold slots whatever the load), and the calls that
          // completed held at least a third of the limit on average (Little's law closes; a
          // limit full of calls that have not answered yet says nothing about throughput).
          return clamp(current);
        }
        // Grow with the demand seen (offered / served, at most double), but multiplicatively
        // only back up to the concurrency already seen healthy, or while still in slow start:
        // a limit that was never reached has never been tested.
        double grown = current * Math.min(2.0, (n + w.refused) / (double) n);
        if (current < healthy) {
          return clamp(Math.max(current + 1, Math.min(grown, healthy)));
        }
        if (slowStart) {
          return clamp(Math.max(current + 1, grown));
        }
        return clamp(current + Math.max(1.0, smoothing * Math.sqrt(current)));
      }
      // Latency above tolerance while the limit is in use.
      slowStart = false;
      healthy *= 0.9; // what was fine before may not be now (capacity lost): forget slowly
      boolean starts = declineFrom == 0;
      if (starts) {
        declineFrom = current;
        declinePeak = Math.max(latency, mean);
        notHelped = 0;
        helped = 0;
        drained = 0;
        declineDrops = 0;
        declineN = 0;
      }
      declineDrops += w.drops;
      declineN += n;
      if (starts) {
        // The run of decreases begins with this window.
      } else if (current > 0.5 * declineFrom + 1) {
        // Judge "helped" against the worst seen before the halving, raw: the smoothed mean
        // lags a sudden rise by a window.
        declinePeak = Math.max(declinePeak, Math.max(latency, mean));
      } else if (current <= 0.5 * declineFrom + 1
          && (drained += w.nanos) - w.nanos < declinePeak) {
        // The calls admitted before the cut are still completing and carry the latency of
        // the old level: judge only windows that began one peak latency after the cut.
        return clamp(current);
      } else if (current <= 0.5 * declineFrom + 1) {
        // The limit was halved. If latency did not come down with it, the load is not what
        // makes it high (a slow replica, a new code path): accept it as the new normal and
        // give back the concurrency taken away (a censored window's mean, a lower bound, is
        // evidence of that too). If it did come down, the load is the cause:
        // a new run of decreases starts here, again down to half at most before judging.
        if (w.maxInFlight > 1.5 * current + 1) {
          // The cut did not lower the concurrency: work the limit does not govern (CRITICAL,
          // never shed) holds the slots, so whether latency came down says nothing yet. Hold
          // at half rather than conclude "not load" and open the limit into a collapse. And
          // judge only windows that begin one collapse latency after it ends: the calls
          // admitted during it carry its latency, and read as "latency did not come down" they
          // gave back, by Little's law at that latency, several times the backend's capacity
          // (124 for 20 slots), where the next spike would find the limit.
          drained = 0;
          declinePeak = Math.max(declinePeak, Math.max(mean, dropLatency));
          return clamp(current);
        }
        // How far the drops alone move a window's mean by chance: each is about one deadline
        // in a mean of a few dozen calls, and how many fall in a window is binomial, at the
        // share of the whole run of decreases (a window without a drop is chance too where a
        // fifth of the calls hang). A mean below the peak by less than twice that is no
        // evidence that latency came down.
        double dropShareOfRun = Math.max(share, declineDrops / (double) declineN);
        double dropNanosEach = w.drops > 0 ? w.dropNanos / (double) w.drops : dropLatency;
        double noise = dropShareOfRun < 1.0
            ? dropNanosEach * Math.sqrt(dropShareOfRun * (1.0 - dropShareOfRun) / n) : 0.0;
        double judged = mean + 2.0 * noise;
        if (judged >= 0.8 * declinePeak) {
          helped = 0;
          // Two windows within a fifth of the peak, or one at the peak or above: not helped.
          notHelped += judged >= declinePeak ? 2 : 1;
          if (notHelped >= 2) {
            baseline = Math.max(smoothed, mean);
            double runShare = declineDrops / (double) declineN;
            if (runShare > acceptedDrops && w.successes > 0) {
              // The drops did not come down either: they too are the new normal. Accept
              // their share, and take as the baseline the latency without them.
              acceptedDrops = runShare;
              baseline = w.successNanos / (double) w.successes;
              smoothed = baseline;
            }
            // The first answers after the limit opens up are the fast ones (the slow and the
            // timed-out come later, a timeout only one deadline after its call was admitted):
            // for two of these latencies, or two deadlines if longer, do not lower the
            // baseline, or the windows before the first timeouts would undo the verdict.
            if (quiet > 0) {
              quiet = Math.max(quiet, baseline); // the new normal's latency is the quiet one
            }
            settle = (long) (2 * Math.max(baseline, dropLatency));
            // Give back what was taken, or what the demand needs at the latency now accepted
            // (Little's law: offered calls per second times the time each held its slot, a
            // drop until it was dropped), if that is more.
            double offeredPerNano = (n + w.refused) / (double) w.nanos;
            double restore = Math.max(declineFrom, offeredPerNano * all);
            declineFrom = 0;
            slowStart = true;
            return clamp(restore);
          }
          return clamp(current); // hold at half while the verdict is out
        }
        if (censored) {
          // A censored mean is a lower bound: enough to say latency did not come down (above),
          // not enough to say it did.
          return clamp(current);
        }
        if (judged >= 0.5 * declinePeak && ++helped < 2) {
          // Lower, but not by half: one window of a few calls, some of them timeouts, is
          // noisy; the next must confirm before the load is blamed and the limit halved again.
          return clamp(current);
        }
        notHelped = 0;
        helped = 0;
        drained = 0;
        declineFrom = current;
        declinePeak = Math.max(latency, mean);
        declineDrops = w.drops;
        declineN = n;
      }
      // A run of decreases stops at half of where it began until the verdict: below that, a
      // slow dependency's windows fill so slowly (they wait for minSamples) that the verdict
      // would take seconds while nearly every call is refused.
      double floor = 0.5 * declineFrom;
      double gradient = high / latency;
      if (gradient < 0.5) {
        return clamp(Math.max(floor, current * 0.5));
      }
      return clamp(Math.max(floor, current * (0.5 + 0.5 * gradient)));
    }
  }
}
