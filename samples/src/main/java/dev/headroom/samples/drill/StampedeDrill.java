package dev.headroom.samples.drill;

import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Stampede: a fleet of 100 pods, each with its own cache, 3,000 reads/s over 50 Zipf keys (one
 * hot key), every cache filled at the same moment by a deploy, an origin limited to 500
 * calls/s answering 429 beyond. Replayed in lib-core's fleet simulator (virtual time, seeded):
 * Caffeine with {@code expireAfterWrite} (without Headroom), Caffeine with
 * {@code refreshAfterWrite} (the peer), and {@code HeadroomCache} at its defaults.
 */
public final class StampedeDrill implements DrillScenario {

  static final String SIM = "dev.headroom.cache.";

  @Override
  public String name() {
    return "stampede";
  }

  /** What one cache strategy did. */
  record Run(String strategy, long peak, long calls, long rejected, long reads, long waited,
      long failed, long stale) {}

  static Run of(Object result) {
    return new Run((String) Simulators.get(result, "strategy"),
        (long) Simulators.get(result, "peakOriginPerSecond"),
        (long) Simulators.get(result, "originCalls"), (long) Simulators.get(result, "rejected"),
        (long) Simulators.get(result, "reads"), (long) Simulators.get(result, "waited"),
        (long) Simulators.get(result, "failed"), (long) Simulators.get(result, "stale"));
  }

  @Override
  public DrillResult run(DrillOptions options) {
    Class<?> sim = Simulators.type(SIM + "FleetSimulation");
    Class<?> scenarioType = Simulators.type(SIM + "FleetSimulation$Scenario");
    Object incident = Simulators.field(Simulators.type(SIM + "FleetSimulationTest"), null,
        "INCIDENT");
    // The incident's shape with the drill's seed.
    Object scenario;
    try {
      var ctor = scenarioType.getDeclaredConstructors()[0];
      ctor.setAccessible(true);
      scenario = ctor.newInstance(Simulators.get(incident, "name"),
          Simulators.get(incident, "pods"), Simulators.get(incident, "keys"),
          Simulators.get(incident, "readsPerSecond"), Simulators.get(incident, "ttl"),
          Simulators.get(incident, "loadMillis"), Simulators.get(incident, "originLimit"),
          options.seed());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("FleetSimulation.Scenario's constructor changed: " + e, e);
    }
    Run expire = of(Simulators.call(sim, null, "caffeine",
        new Class<?>[] {scenarioType, boolean.class}, scenario, false));
    Run refresh = of(Simulators.call(sim, null, "caffeine",
        new Class<?>[] {scenarioType, boolean.class}, scenario, true));
    UnaryOperator<Object> defaults = b -> b;
    Run headroom = of(Simulators.call(sim, null, "headroom",
        new Class<?>[] {scenarioType, String.class, UnaryOperator.class}, scenario,
        "Headroom, defaults", defaults));
    long limit = (long) Simulators.get(scenario, "originLimit");
    DrillResult out = new DrillResult(name(),
        (String) Simulators.call(scenarioType, scenario, "describe", new Class<?>[0])
            + ", every cache filled by one deploy",
        "virtual-time simulator (lib-core FleetSimulation: real Caffeine and HeadroomCache"
            + " instances on one manual clock), seed " + options.seed(),
        expire.strategy(), refresh.strategy());
    out.add(new Comparison("origin calls in the busiest second (limit " + limit + ")", false,
        expire.peak(), refresh.peak(), headroom.peak()));
    out.add(new Comparison("origin calls refused with 429", false, expire.rejected(),
        refresh.rejected(), headroom.rejected()));
    out.add(new Comparison("origin calls in all", false, expire.calls(), refresh.calls(),
        headroom.calls()));
    out.add(new Comparison("reads that waited for a load", false, expire.waited(),
        refresh.waited(), headroom.waited()));
    out.add(new Comparison("reads that failed", false, expire.failed(), refresh.failed(),
        headroom.failed()));
    out.add(new Comparison("reads answered past the TTL, while a refresh ran", false,
        expire.stale(), refresh.stale(), headroom.stale()));
    out.note(String.format(Locale.ROOT, "%,d reads in each run; the fleet tier on Redis (one load"
        + " per key for the whole fleet, a fleet-wide rate limit) is measured by lib-redis's"
        + " tests, not in this drill", headroom.reads()));
    out.note(String.format(Locale.ROOT, "past the TTL: Headroom serves the first read of a key"
        + " after its expiry at once (stale-while-revalidate, up to one TTL past it) and refreshes"
        + " it; %.1f%% of reads here, on keys a pod reads too rarely for a read to fall between"
        + " the refresh's due moment and the expiry. Caffeine makes such a read wait for the"
        + " load instead (expireAfterWrite), or"
        + " refreshes before the TTL on a read and waits past it (refreshAfterWrite)",
        100.0 * headroom.stale() / headroom.reads()));
    double[] x = {0, 1, 2, 3, 4};
    out.chart(Chart.bars("Origin load and reader impact after the deploy", "count",
        List.of("origin calls, busiest second", "429s from the origin", "reads that waited",
            "reads that failed", "reads past the TTL"), List.of(
            new Series("without: " + expire.strategy(), "#d62728", false, x,
                new double[] {expire.peak(), expire.rejected(), expire.waited(),
                    expire.failed(), expire.stale()}),
            new Series("peer: " + refresh.strategy(), "#ff7f0e", false, x,
                new double[] {refresh.peak(), refresh.rejected(), refresh.waited(),
                    refresh.failed(), refresh.stale()}),
            new Series("Headroom defaults", "#1f77b4", false, x,
                new double[] {headroom.peak(), headroom.rejected(), headroom.waited(),
                    headroom.failed(), headroom.stale()}))));
    return out;
  }
}
