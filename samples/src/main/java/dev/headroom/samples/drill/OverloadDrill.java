package dev.headroom.samples.drill;

import dev.headroom.core.ManualClock;
import dev.headroom.core.NanoClock;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Overload, 1x -> 15x -> 1x with priorities, replayed in lib-core's {@code OverloadScenario}
 * (virtual time, seeded): no limit (the naive service), a hand-tuned fixed limit of 60 (the
 * bulkhead a user would size by hand), and a {@link LoadShedder} at its defaults.
 *
 * <p>The figures come from the simulator's own result. The in-flight time series is read from
 * each run's shedder through its clock: the simulator advances a {@link ManualClock}, the
 * shedder reads time through a wrapper that samples {@link LoadShedder#inFlight()} every
 * 100 ms of virtual time. The run without a limit is sampled through a shedder whose limit
 * admits everything (a million); the drill checks its goodput equals the unlimited run's.
 */
public final class OverloadDrill implements DrillScenario {

  static final String SIM = "dev.headroom.sim.overload.OverloadScenario";
  /** Virtual nanoseconds between samples. */
  static final long SAMPLE_NANOS = 100_000_000L;
  /** A limit that admits every request of the replay. */
  static final int ADMIT_ALL = 1_000_000;

  @Override
  public String name() {
    return "overload";
  }

  /** A shedder's view over time, sampled as the simulator moves its clock. */
  static final class Sampled implements NanoClock {
    final ManualClock clock;
    final List<Integer> inFlight = new ArrayList<>();
    LoadShedder shedder;
    long next;

    Sampled(ManualClock clock) {
      this.clock = clock;
    }

    @Override
    public long nanoTime() {
      long now = clock.nanoTime();
      while (shedder != null && now >= next) {
        inFlight.add(shedder.inFlight());
        next += SAMPLE_NANOS;
      }
      return now;
    }
  }

  /** The simulator's result of one run (an {@code OverloadScenario.Result}). */
  record Result(Object raw) {

    double goodput(String phase, Priority priority) {
      return (double) Simulators.call(raw.getClass(), raw, "goodput", new Class<?>[] {
          Simulators.type(SIM + "$Phase"), Priority.class}, phase(phase), priority);
    }

    double latencyMillis(String phase, Priority priority, double quantile) {
      return (double) Simulators.call(raw.getClass(), raw, "latencyMillis", new Class<?>[] {
          Simulators.type(SIM + "$Phase"), Priority.class, double.class}, phase(phase), priority,
          quantile);
    }

    double goodput(String phase) {
      return (double) Simulators.call(raw.getClass(), raw, "goodput", new Class<?>[] {
          Simulators.type(SIM + "$Phase")}, phase(phase));
    }

    @SuppressWarnings("unchecked")
    List<Integer> limits() {
      return (List<Integer>) Simulators.field(raw.getClass(), raw, "limits");
    }

    @Override
    public String toString() {
      return raw.toString();
    }

    private static Object phase(String name) {
      return Simulators.constant(SIM + "$Phase", name);
    }
  }

  /** One configuration's run: the simulator's result and the sampled in-flight series. */
  record Run(Result result, List<Integer> inFlight) {}

  /** The incident's scenario: the simulator's defaults. */
  static Object scenario() {
    Class<?> type = Simulators.type(SIM);
    Object builder = Simulators.call(type, null, "builder", new Class<?>[0]);
    return Simulators.call(builder.getClass(), builder, "build", new Class<?>[0]);
  }

  static Result simulate(Object scenario, long seed, Function<ManualClock, LoadShedder> factory) {
    return new Result(Simulators.call(scenario.getClass(), scenario, "run",
        new Class<?>[] {long.class, Function.class}, seed, factory));
  }

  static double ideal(Object scenario, Priority p) {
    return (double) Simulators.call(scenario.getClass(), scenario, "idealDuringSpike",
        new Class<?>[] {Priority.class}, p);
  }

  static Run run(Object scenario, long seed,
      Function<LoadShedder.Builder, LoadShedder.Builder> configure) {
    Sampled[] holder = new Sampled[1];
    Result r = simulate(scenario, seed, clock -> {
      Sampled s = new Sampled(clock);
      holder[0] = s;
      LoadShedder shedder = configure.apply(LoadShedder.builder("drill").clock(s)).build();
      s.shedder = shedder;
      return shedder;
    });
    return new Run(r, holder[0].inFlight);
  }

  @Override
  public DrillResult run(DrillOptions options) {
    Object scenario = scenario();
    long seed = options.seed();
    Result nothing = simulate(scenario, seed, clock -> null);
    Run unlimited = run(scenario, seed, b -> b.limit(LimitPolicy.fixed(ADMIT_ALL)));
    Run fixed = run(scenario, seed, b -> b.limit(LimitPolicy.fixed(60)));
    Run headroom = run(scenario, seed, b -> b);

    DrillResult out = new DrillResult(name(),
        "a 15x spike for 20 s on a 50-slot backend that collapses above 75 in flight",
        "virtual-time simulator (lib-core OverloadScenario: Poisson arrivals, lognormal 20 ms"
            + " service, processor sharing, 2 s client timeout), seed " + seed,
        "no limit", "fixed limit 60 (hand-tuned bulkhead)");
    for (Priority p : new Priority[] {Priority.CRITICAL, Priority.HIGH}) {
      out.add(new Comparison(p + " goodput during the spike (%)", true,
          pct(nothing.goodput("SPIKE", p)), pct(fixed.result().goodput("SPIKE", p)),
          pct(headroom.result().goodput("SPIKE", p))));
    }
    out.add(new Comparison("goodput at 1x before the spike (%)", true,
        pct(nothing.goodput("BEFORE")), pct(fixed.result().goodput("BEFORE")),
        pct(headroom.result().goodput("BEFORE"))));
    out.add(new Comparison("goodput at 1x, from 5 s after the spike (%)", true,
        pct(nothing.goodput("AFTER")), pct(fixed.result().goodput("AFTER")),
        pct(headroom.result().goodput("AFTER"))));
    out.note(String.format(Locale.ROOT, "NORMAL and LOW during the spike (their ideal is 0:"
            + " capacity goes to CRITICAL and HIGH first): without %.1f%% and %.1f%%, peer"
            + " %.1f%% and %.1f%%, Headroom %.1f%% and %.1f%%",
        pct(nothing.goodput("SPIKE", Priority.NORMAL)), pct(nothing.goodput("SPIKE", Priority.LOW)),
        pct(fixed.result().goodput("SPIKE", Priority.NORMAL)),
        pct(fixed.result().goodput("SPIKE", Priority.LOW)),
        pct(headroom.result().goodput("SPIKE", Priority.NORMAL)),
        pct(headroom.result().goodput("SPIKE", Priority.LOW))));
    out.note(String.format(Locale.ROOT, "ideal during the spike (strict priority): CRITICAL"
            + " %.1f%%, HIGH %.1f%%, NORMAL %.1f%%, LOW %.1f%%",
        pct(ideal(scenario, Priority.CRITICAL)),
        pct(ideal(scenario, Priority.HIGH)),
        pct(ideal(scenario, Priority.NORMAL)),
        pct(ideal(scenario, Priority.LOW))));
    for (Priority p : new Priority[] {Priority.CRITICAL, Priority.HIGH}) {
      out.add(new Comparison(p + " p99 latency during the spike (ms)", false,
          nothing.latencyMillis("SPIKE", p, 0.99),
          fixed.result().latencyMillis("SPIKE", p, 0.99),
          headroom.result().latencyMillis("SPIKE", p, 0.99)));
    }
    out.note("latency is what a caller of a good request waited: admission, queueing in the"
        + " backend and service; a request past the 2 s client timeout is not good and not"
        + " counted");
    boolean same = unlimited.result().toString().replaceAll("limit every second:.*", "")
        .equals(nothing.toString().replaceAll("limit every second:.*", ""));
    out.note("the in-flight series of 'no limit' is sampled through a shedder with limit "
        + ADMIT_ALL + "; its goodput " + (same ? "equals" : "DIFFERS FROM")
        + " the run without a shedder");

    List<Series> lines = new ArrayList<>();
    lines.add(series("without: no limit, in flight", "#d62728", true, unlimited.inFlight()));
    lines.add(series("peer: fixed limit 60, in flight", "#ff7f0e", true, fixed.inFlight()));
    lines.add(series("Headroom defaults: in flight", "#1f77b4", false, headroom.inFlight()));
    lines.add(series("Headroom defaults: limit", "#2ca02c", false, headroom.result().limits()));
    double seconds = unlimited.inFlight().size() / 10.0;
    lines.add(new Series("backend collapses above 75", "#7f7f7f", true,
        new double[] {0, seconds}, new double[] {75, 75}));
    int peak = unlimited.inFlight().stream().mapToInt(Integer::intValue).max().orElse(0);
    out.chart(Chart.lines(String.format(Locale.ROOT,
            "Requests in flight at the backend (no limit peaks at %,d: clipped)", peak),
            "virtual time (s)", "requests in flight", lines).clipAt(200)
        .band(10, 30, "15x spike"));

    List<String> groups = new ArrayList<>();
    for (Priority p : Priority.values()) {
      groups.add(p + " in spike");
    }
    groups.add("all, 1x after");
    out.chart(Chart.bars("Goodput: share of offered requests answered within 2 s",
        "goodput (%)", groups, List.of(
            bars("without: no limit", "#d62728", nothing),
            bars("peer: fixed limit 60", "#ff7f0e", fixed.result()),
            bars("Headroom defaults", "#1f77b4", headroom.result()))));
    return out;
  }

  private static Series bars(String name, String color, Result r) {
    double[] y = new double[5];
    for (Priority p : Priority.values()) {
      y[p.ordinal()] = pct(r.goodput("SPIKE", p));
    }
    y[4] = pct(r.goodput("AFTER"));
    return new Series(name, color, false, new double[] {0, 1, 2, 3, 4}, y);
  }

  static Series series(String name, String color, boolean dashed, List<Integer> values) {
    double[] x = new double[values.size()];
    double[] y = new double[values.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = i / 10.0;
      y[i] = values.get(i);
    }
    return new Series(name, color, dashed, x, y);
  }

  static double pct(double share) {
    return Math.round(share * 1000) / 10.0;
  }
}
