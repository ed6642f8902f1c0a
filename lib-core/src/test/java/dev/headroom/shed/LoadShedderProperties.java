package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random interleavings of acquire, complete, repeated completion and time passing, checked
 * against {@link ShedInvariants} after every step, for fixed and adaptive limits.
 */
class LoadShedderProperties {

  /** One step of an interleaving. */
  sealed interface Op permits Acquire, Complete, CompleteAgain, Advance {}

  record Acquire(Priority priority) implements Op {}

  /** Completes the open permit at {@code index % open}, with outcome 0..3 (3: close). */
  record Complete(int index, int outcome, long latencyMillis) implements Op {}

  record CompleteAgain(int index, int outcome) implements Op {}

  record Advance(long millis) implements Op {}

  @Provide
  Arbitrary<Op> ops() {
    Arbitrary<Op> acquire = Arbitraries.of(Priority.class).map(Acquire::new);
    Arbitrary<Op> complete = Combinators.combine(Arbitraries.integers().between(0, 1000),
        Arbitraries.integers().between(0, 3), Arbitraries.longs().between(0, 500))
        .as(Complete::new);
    Arbitrary<Op> again = Combinators.combine(Arbitraries.integers().between(0, 1000),
        Arbitraries.integers().between(0, 3)).as(CompleteAgain::new);
    Arbitrary<Op> advance = Arbitraries.longs().between(1, 200).map(Advance::new);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, acquire), net.jqwik.api.Tuple.of(4, complete),
        net.jqwik.api.Tuple.of(1, again), net.jqwik.api.Tuple.of(1, advance));
  }

  @Provide
  Arbitrary<LimitPolicy> policies() {
    Arbitrary<LimitPolicy> fixed = Arbitraries.integers().between(1, 30).map(LimitPolicy::fixed);
    Arbitrary<LimitPolicy> aimd = Arbitraries.integers().between(1, 30).map(initial ->
        LimitPolicy.aimd().initialLimit(initial).minLimit(1).maxLimit(40)
            .window(Duration.ofMillis(50)).minSamples(2).latencyThreshold(Duration.ofMillis(300))
            .build());
    Arbitrary<LimitPolicy> gradient = Arbitraries.integers().between(1, 30).map(initial ->
        LimitPolicy.gradient().initialLimit(initial).minLimit(1).maxLimit(40)
            .window(Duration.ofMillis(50)).minSamples(2).noLoadWindows(5).build());
    return Arbitraries.oneOf(fixed, aimd, gradient);
  }

  @Provide
  Arbitrary<double[]> shares() {
    return Arbitraries.doubles().between(0.01, 1.0).array(double[].class).ofSize(3)
        .map(s -> {
          double[] sorted = s.clone();
          java.util.Arrays.sort(sorted);
          return sorted; // LOW, NORMAL, HIGH
        });
  }

  @Property(tries = 300)
  void invariantsHoldOverRandomInterleavings(@ForAll("policies") LimitPolicy policy,
      @ForAll("shares") double[] shares, @ForAll @IntRange(min = 0, max = 3) int stripeLog,
      @ForAll @Size(max = 300) List<@From("ops") Op> ops) {
    ManualClock clock = new ManualClock();
    // One to eight stripes: with one, a limit of 30 gives its stripe a quota of up to 7, so
    // runs cross between stripe admissions and exact counting many times.
    LoadShedder shedder = LoadShedder.builder("prop").limit(policy).clock(clock)
        .share(Priority.LOW, shares[0]).share(Priority.NORMAL, shares[1])
        .share(Priority.HIGH, shares[2]).stripes(1 << stripeLog).build();
    List<Permit> open = new ArrayList<>();
    List<Permit> completed = new ArrayList<>();
    Map<Priority, Long> offered = new EnumMap<>(Priority.class);
    int critical = 0;
    for (Op op : ops) {
      if (op instanceof Acquire a) {
        int before = shedder.inFlight();
        int limit = shedder.limit();
        double bands = shedder.bandsOpen();
        int[] capacities = shedder.capacitySnapshot();
        Permit permit = shedder.tryAcquire(a.priority());
        offered.merge(a.priority(), 1L, Long::sum);
        ShedInvariants.checkDecision(shedder, a.priority(), permit, before, limit, bands,
            capacities);
        assertEquals(before + (permit.isAdmitted() ? 1 : 0), shedder.inFlight());
        if (permit.isAdmitted()) {
          open.add(permit);
          critical += a.priority() == Priority.CRITICAL ? 1 : 0;
        }
      } else if (op instanceof Complete c && !open.isEmpty()) {
        Permit permit = open.remove(c.index() % open.size());
        int before = shedder.inFlight();
        complete(permit, c.outcome(), c.latencyMillis());
        assertEquals(before - 1, shedder.inFlight());
        completed.add(permit);
        critical -= permit.priority() == Priority.CRITICAL ? 1 : 0;
      } else if (op instanceof CompleteAgain c && !completed.isEmpty()) {
        int before = shedder.inFlight();
        complete(completed.get(c.index() % completed.size()), c.outcome(), 1);
        assertEquals(before, shedder.inFlight(), "a second completion changed in-flight");
      } else if (op instanceof Advance a) {
        clock.advance(Duration.ofMillis(a.millis()));
      }
      ShedInvariants.checkState(shedder, critical);
      assertEquals(open.size(), shedder.inFlight());
      assertTrue(shedder.limit() >= 1 && shedder.limit() <= 40);
    }
    for (Permit permit : open) {
      permit.onSuccess();
    }
    ShedInvariants.checkDrained(shedder);
    ShedInvariants.checkTotals(shedder, offered);
  }

  @Property(tries = 200)
  void capacitiesAreOrderedAtEveryLimit(@ForAll @IntRange(min = 1, max = 100_000) int limit,
      @ForAll("shares") double[] shares) {
    LoadShedder shedder = LoadShedder.builder("prop").limit(LimitPolicy.fixed(limit))
        .clock(new ManualClock()).share(Priority.LOW, shares[0])
        .share(Priority.NORMAL, shares[1]).share(Priority.HIGH, shares[2]).build();
    ShedInvariants.checkCapacitiesOrdered(shedder);
    for (Priority p : new Priority[] {Priority.HIGH, Priority.NORMAL, Priority.LOW}) {
      assertEquals(ShedInvariants.expectedCapacity(p, shedder.share(p), limit),
          shedder.capacity(p));
    }
  }

  /** However far the bands open, the capacities keep the shares' order and the limit. */
  @Property(tries = 200)
  void openBandsKeepTheOrder(@ForAll @IntRange(min = 1, max = 100_000) int limit,
      @ForAll("shares") double[] shares, @ForAll @DoubleRange(min = 0, max = 1) double open) {
    double[] byOrdinal = {Double.NaN, shares[2], shares[1], shares[0]};
    int[] c = LoadShedder.capacitiesFor(byOrdinal, limit, open);
    assertEquals(Integer.MAX_VALUE, c[0]);
    assertTrue(c[1] <= limit && c[1] >= c[2] && c[2] >= c[3] && c[3] >= 1,
        java.util.Arrays.toString(c) + " at limit " + limit);
    for (int p = 1; p < 4; p++) {
      assertEquals(ShedInvariants.expectedCapacity(Priority.values()[p], byOrdinal[p], limit,
          open), c[p]);
    }
    assertEquals(limit, LoadShedder.capacitiesFor(byOrdinal, limit, 1.0)[3]);
  }

  private static void complete(Permit permit, int outcome, long latencyMillis) {
    long nanos = latencyMillis * 1_000_000L;
    switch (outcome) {
      case 0 -> permit.onSuccess(nanos);
      case 1 -> permit.onDropped(nanos);
      case 2 -> permit.onIgnore();
      default -> permit.close();
    }
  }
}
