package dev.headroom.guard;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

class DeadlineEstimatorProperties {

  /** A step: {kind 0 = success, 1 = cut at the deadline in force, 2 = advance; amount in us}. */
  @Provide
  Arbitrary<List<long[]>> steps() {
    Arbitrary<long[]> success = Arbitraries.longs().between(0, 60_000_000L)
        .map(us -> new long[] {0, us});
    Arbitrary<long[]> cut = Arbitraries.just(new long[] {1, 0});
    Arbitrary<long[]> advance = Arbitraries.longs().between(0, 30_000_000L)
        .map(us -> new long[] {2, us});
    return Arbitraries.frequencyOf(
        Tuple.of(6, success), Tuple.of(3, cut),
        Tuple.of(2, advance)).list().ofMaxSize(3_000);
  }

  @Property(tries = 200)
  void deadlineStaysWithinFloorAndCeiling(
      @ForAll @LongRange(min = 1, max = 5_000) long floorMs,
      @ForAll @LongRange(min = 0, max = 60_000) long spanMs,
      @ForAll @DoubleRange(min = 0.5, max = 0.9999) @Scale(4) double percentile,
      @ForAll @DoubleRange(min = 1.0, max = 100.0) double headroom,
      @ForAll("steps") List<long[]> steps) {
    Duration floor = Duration.ofMillis(floorMs);
    Duration ceiling = Duration.ofMillis(floorMs + spanMs);
    DeadlinePolicy policy = DeadlinePolicy.adaptive().floor(floor).ceiling(ceiling)
        .percentile(percentile).headroom(headroom).window(Duration.ofMillis(500))
        .exploreInterval(Duration.ofMillis(50)).build();
    ManualClock clock = new ManualClock();
    DeadlineEstimator e = new DeadlineEstimator(policy, clock);
    long lo = floor.toNanos();
    long hi = ceiling.toNanos();
    for (long[] step : steps) {
      if (step[0] == 0) {
        e.recordSuccess(step[1] * 1_000L, clock.nanoTime());
      } else if (step[0] == 1) {
        e.recordCut(e.deadlineNanos(clock.nanoTime()), clock.nanoTime());
      } else {
        clock.advance(step[1] * 1_000L);
      }
      long d = e.deadlineForCall(clock.nanoTime());
      assertTrue(d >= lo && d <= hi, d + " not in [" + lo + ", " + hi + "]");
      long now = e.deadlineNanos(clock.nanoTime());
      assertTrue(now >= lo && now <= hi, now + " not in [" + lo + ", " + hi + "]");
    }
  }
}
