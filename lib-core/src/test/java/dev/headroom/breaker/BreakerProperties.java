package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.core.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Properties of the breaker: a stateful test against {@link BreakerModel}, and the ramp's
 * admission arithmetic. Both check {@link BreakerInvariants} after every step.
 */
class BreakerProperties {

  private static final long MS = 1_000_000L;

  /** The breaker and the model side by side, driven by the same clock. */
  static final class Harness {
    final ManualClock clock = new ManualClock();
    final RecordingListener listener = new RecordingListener();
    final CircuitBreaker breaker;
    final BreakerModel model;
    /** Permits held open across other actions: {impl token, model token}. */
    final Deque<long[]> held = new ArrayDeque<>();

    Harness(BreakerConfig.Builder config) {
      BreakerConfig c = config.clock(clock).build();
      breaker = CircuitBreaker.builder("model").config(c).listener(listener).build();
      model = new BreakerModel(c, clock.nanoTime());
    }

    long[] acquire() {
      long now = clock.nanoTime();
      long impl = breaker.tryAcquire();
      long ref = model.acquire(now);
      assertEquals(ref, impl, "permit at " + now);
      return new long[] {impl, ref};
    }

    void complete(long[] permit, int outcome, long durationMs) {
      long now = clock.nanoTime();
      long d = durationMs * MS;
      switch (outcome) {
        case 0 -> {
          breaker.onSuccess(permit[0], d);
          model.success(permit[1], d, now);
        }
        case 1 -> {
          breaker.onFailure(permit[0], d, new IOException("down"));
          model.failure(permit[1], d, now);
        }
        default -> {
          breaker.onFailure(permit[0], d, new IllegalStateException("cancelled"));
          model.ignore(permit[1]);
        }
      }
    }

    void call(int outcome, long durationMs) {
      long[] permit = acquire();
      if (permit[0] != CircuitBreaker.REJECTED) {
        complete(permit, outcome, durationMs);
      }
    }

    void hold() {
      long[] permit = acquire();
      if (permit[0] != CircuitBreaker.REJECTED) {
        held.add(permit);
      }
    }

    void completeHeld(int outcome, long durationMs) {
      long[] permit = held.poll();
      if (permit != null) {
        complete(permit, outcome, durationMs);
      }
    }

    void compare() {
      long now = clock.nanoTime();
      BreakerState state = breaker.state(); // refreshes
      model.refresh(now);
      String where = "at " + now + ": " + breaker + " vs model " + model.state + "#"
          + model.generation;
      assertEquals(model.state, state, where);
      assertEquals(model.generation, breaker.generation(), where);
      assertEquals(model.fraction(), breaker.admittedFraction(), where);
      assertEquals(model.relapses, breaker.relapses(), where);
      assertEquals(Duration.ofNanos(model.remainingOpen(now)), breaker.remainingOpen(), where);
      assertEquals(model.successes, breaker.successCount(), where);
      assertEquals(model.slowCalls, breaker.slowCount(), where);
      assertEquals(model.failures, breaker.failureCount(), where);
      assertEquals(model.rejected, breaker.rejectedCount(), where);
      assertEquals(model.ignored, breaker.ignoredCount(), where);
      BreakerInvariants.check(breaker);
    }

    @Override
    public String toString() {
      return breaker.toString();
    }
  }

  private static BreakerConfig.Builder modelConfig() {
    return modelConfig(Duration.ofSeconds(4), 10);
  }

  private static BreakerConfig.Builder modelConfig(Duration window, int buckets) {
    return BreakerConfig.builder()
        .consecutiveFailures(3)
        .failureRateThreshold(0.5)
        .slowCallRateThreshold(0.6)
        .slowCallThreshold(Duration.ofMillis(100))
        .minimumCalls(4)
        .window(window, buckets)
        .openDuration(Duration.ofMillis(500))
        .relapseBackoff(2.0, Duration.ofSeconds(4))
        .openJitter(0)
        .rampSteps(0.25, 0.5, 1.0)
        .rampStep(Duration.ofMillis(300), 2)
        .ignore(IllegalStateException.class);
  }

  @Property(tries = 200)
  void behavesLikeTheReferenceModel(@ForAll("chains") ActionChain<Harness> chain) {
    chain.withInvariant("matches the model", Harness::compare).run();
    Harness h = chain.finalState().orElseThrow();
    List<String> transitions = h.listener.transitions();
    BreakerInvariants.checkSequence(transitions, true);
    // The generated chains must reach the interesting parts of the machine, not only CLOSED.
    // Thresholds are about half of what 200 tries typically give (e.g. 95%, 60%, 33%, 42%).
    Statistics.label("tripped").collect(transitions.contains("CLOSED>OPEN"));
    Statistics.label("ramp step passed").collect(
        h.listener.events().stream().anyMatch(e -> e.startsWith("step ")));
    Statistics.label("relapsed").collect(transitions.contains("HALF_OPEN>OPEN"));
    List<String> events = h.listener.events();
    Statistics.label("last ramp step reached").collect(events.stream().anyMatch(
        e -> e.startsWith("step " + (h.breaker.config().rampSteps().size() - 1) + " ")));
    Statistics.label("tripped").coverage(c -> c.check(true).percentage(p -> p >= 60));
    Statistics.label("ramp step passed").coverage(c -> c.check(true).percentage(p -> p >= 30));
    Statistics.label("relapsed").coverage(c -> c.check(true).percentage(p -> p >= 15));
    Statistics.label("last ramp step reached").coverage(c -> c.check(true).percentage(p -> p >= 20));
  }

  @Provide
  Arbitrary<ActionChain<Harness>> chains() {
    Arbitrary<Long> durations = Arbitraries.frequency(
        net.jqwik.api.Tuple.of(5, 5L), net.jqwik.api.Tuple.of(2, 150L),
        net.jqwik.api.Tuple.of(1, 100L), net.jqwik.api.Tuple.of(1, 99L));
    return chains(BreakerProperties::modelConfig, durations, Arbitraries.just(5L));
  }

  /**
   * Calls of any latency against 100 ms buckets: the span a rate must cover follows the calls'
   * latency (one or two buckets), and failures that take seconds are compared with the successes
   * of the calls that began with them.
   */
  private static BreakerConfig.Builder latencyConfig() {
    return modelConfig(Duration.ofSeconds(2), 20);
  }

  @Provide
  Arbitrary<ActionChain<Harness>> latencyChains() {
    Arbitrary<Long> durations = Arbitraries.frequency(
        net.jqwik.api.Tuple.of(4, 5L), net.jqwik.api.Tuple.of(2, 40L),
        net.jqwik.api.Tuple.of(2, 150L), net.jqwik.api.Tuple.of(2, 600L),
        net.jqwik.api.Tuple.of(2, 1500L), net.jqwik.api.Tuple.of(1, 4000L));
    return chains(BreakerProperties::latencyConfig, durations, durations);
  }

  @Property(tries = 200)
  void behavesLikeTheReferenceModelWithCallsOfAnyLatency(
      @ForAll("latencyChains") ActionChain<Harness> chain) {
    chain.withInvariant("matches the model", Harness::compare).run();
    Harness h = chain.finalState().orElseThrow();
    BreakerInvariants.checkSequence(h.listener.transitions(), true);
    Statistics.label("tripped").collect(h.listener.transitions().contains("CLOSED>OPEN"));
    Statistics.label("judged with a shift").collect(h.model.shiftedJudgements > 0);
    Statistics.label("tripped").coverage(c -> c.check(true).percentage(p -> p >= 40));
    Statistics.label("judged with a shift").coverage(
        c -> c.check(true).percentage(p -> p >= 10));
  }

  private static Arbitrary<ActionChain<Harness>> chains(
      java.util.function.Supplier<BreakerConfig.Builder> config, Arbitrary<Long> durations,
      Arbitrary<Long> burstDurations) {
    Arbitrary<Integer> outcomes = Arbitraries.frequency(
        net.jqwik.api.Tuple.of(6, 0), net.jqwik.api.Tuple.of(4, 1), net.jqwik.api.Tuple.of(1, 2));
    Action.Independent<Harness> call = () -> Combinators.combine(outcomes, durations)
        .as((o, d) -> Transformer.mutate("call " + o + "/" + d + "ms", h -> h.call(o, d)));
    Action.Independent<Harness> burst = () -> Combinators.combine(outcomes,
            Arbitraries.integers().between(1, 40), burstDurations)
        .as((o, n, d) -> Transformer.mutate(n + " calls " + o + "/" + d + "ms", h -> {
          for (int i = 0; i < n; i++) {
            h.call(o, d);
          }
        }));
    // A dependency that recovers: healthy calls with time passing, enough to climb the ramp.
    Action.Independent<Harness> healthyPeriod = () -> Combinators.combine(
            Arbitraries.integers().between(1, 8), Arbitraries.longs().between(50, 400))
        .as((rounds, ms) -> Transformer.mutate(rounds + " healthy rounds of " + ms + "ms",
            h -> {
              for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 10; i++) {
                  h.call(0, 5);
                }
                h.clock.advance(ms * MS);
              }
            }));
    // A flapping dependency: one success, then a run of failures, with time passing; relapses
    // need failing probes after a success (a step 0 with no success restarts in place), and
    // enough of them for the continuity-corrected bound (7 of 8 after one success).
    Action.Independent<Harness> flap = () -> Combinators.combine(
            Arbitraries.integers().between(1, 4), Arbitraries.longs().between(0, 200))
        .as((rounds, ms) -> Transformer.mutate(rounds + " flaps of " + ms + "ms", h -> {
          for (int r = 0; r < rounds; r++) {
            h.call(0, 5);
            for (int i = 0; i < 16; i++) {
              h.call(1, 5);
            }
            h.clock.advance(ms * MS);
          }
        }));
    Action.Independent<Harness> hold = Action.just(Transformer.mutate("hold", Harness::hold));
    Action.Independent<Harness> completeHeld = () -> Combinators.combine(outcomes, durations)
        .as((o, d) -> Transformer.mutate("complete held " + o, h -> h.completeHeld(o, d)));
    Action.Independent<Harness> advance = () -> Arbitraries.longs().between(0, 1500)
        .map(ms -> Transformer.mutate("advance " + ms + "ms", h -> h.clock.advance(ms * MS)));
    Action.Independent<Harness> forceOpen = Action.just(Transformer.mutate("forceOpen", h -> {
      h.breaker.forceOpen();
      h.model.forceOpen(h.clock.nanoTime());
    }));
    Action.Independent<Harness> disable = Action.just(Transformer.mutate("disable", h -> {
      h.breaker.disable();
      h.model.disable(h.clock.nanoTime());
    }));
    Action.Independent<Harness> reset = Action.just(Transformer.mutate("reset", h -> {
      h.breaker.reset();
      h.model.reset(h.clock.nanoTime());
    }));
    return ActionChain.startWith(() -> new Harness(config.get()))
        .withAction(10, call)
        .withAction(6, burst)
        .withAction(4, healthyPeriod)
        .withAction(3, flap)
        .withAction(2, hold)
        .withAction(2, completeHeld)
        .withAction(8, advance)
        .withAction(1, forceOpen)
        .withAction(1, disable)
        .withAction(2, reset)
        .withMaxTransformations(120);
  }

  @Property(tries = 200)
  void aStepAdmitsCeilOfItsFractionOfArrivals(
      @ForAll @DoubleRange(min = 0.001, max = 0.999) @Scale(4) double fraction,
      @ForAll @IntRange(min = 1, max = 3000) int arrivals) {
    ManualClock clock = new ManualClock();
    CircuitBreaker b = CircuitBreaker.builder("ramp").clock(clock).openJitter(0)
        .consecutiveFailures(1).rampSteps(fraction, 1.0)
        .rampStep(Duration.ofSeconds(1), 1).build();
    long p = b.tryAcquire();
    b.onFailure(p, MS, new IOException());
    clock.advance(Duration.ofSeconds(5));
    int admitted = 0;
    for (int i = 0; i < arrivals; i++) {
      if (b.tryAcquire() != CircuitBreaker.REJECTED) {
        admitted++; // never completed: the step keeps its fraction while time stands still
      }
    }
    long expected = 0;
    for (long a = 0; a < arrivals; a++) {
      if (Math.ceil((a + 1) * fraction) > Math.ceil(a * fraction)) {
        expected++;
      }
    }
    assertEquals(expected, admitted);
    assertEquals(Math.ceil(arrivals * fraction), admitted, 1.0);
    assertEquals(arrivals - admitted, b.rejectedCount());
    BreakerInvariants.check(b);
  }
}
