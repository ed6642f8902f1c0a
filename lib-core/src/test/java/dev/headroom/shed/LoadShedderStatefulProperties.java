package dev.headroom.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.headroom.core.ManualClock;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Combinators;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Model-based test: a fixed-limit shedder driven by random action chains must agree, step by
 * step, with a ten-line reference model of the admission rule and the permit lifecycle.
 */
class LoadShedderStatefulProperties {

  /** The reference model: the rule from the issue, written the simplest way. */
  static final class Model {
    final int limit;
    final double[] shares = LoadShedder.DEFAULT_SHARES.clone();
    final List<Priority> open = new ArrayList<>();
    long refused;

    Model(int limit) {
      this.limit = limit;
    }

    boolean admits(Priority p) {
      return p == Priority.CRITICAL
          || open.size() < Math.max(1, (int) Math.floor(limit * shares[p.ordinal()]));
    }
  }

  /** The system under test beside its model. */
  static final class Harness {
    final Model model;
    final LoadShedder shedder;
    final List<Permit> open = new ArrayList<>();
    final List<Permit> done = new ArrayList<>();

    Harness(int limit, int stripes) {
      model = new Model(limit);
      shedder = LoadShedder.builder("model").limit(LimitPolicy.fixed(limit))
          .clock(new ManualClock()).stripes(stripes).build();
    }

    int critical() {
      return (int) model.open.stream().filter(p -> p == Priority.CRITICAL).count();
    }

    @Override
    public String toString() {
      return shedder + " model open " + model.open;
    }
  }

  static Action.Independent<Harness> acquire() {
    return new Action.Independent<>() {
      @Override
      public Arbitrary<Transformer<Harness>> transformer() {
        return Arbitraries.of(Priority.class).map(p -> Transformer.mutate("acquire " + p, h -> {
          boolean expected = h.model.admits(p);
          int before = h.shedder.inFlight();
          Permit permit = h.shedder.tryAcquire(p);
          ShedInvariants.checkDecision(h.shedder, p, permit, before, h.model.limit, 0.0);
          assertEquals(expected, permit.isAdmitted(), "admission of " + p + " at " + h);
          if (expected) {
            h.model.open.add(p);
            h.open.add(permit);
          } else {
            h.model.refused++;
          }
        }));
      }
    };
  }

  static Action.Independent<Harness> complete() {
    return new Action.Independent<>() {
      @Override
      public boolean precondition(Harness h) {
        return !h.open.isEmpty();
      }

      @Override
      public Arbitrary<Transformer<Harness>> transformer() {
        return Arbitraries.integers().between(0, 1000).map(i -> Transformer.mutate(
            "complete #" + i, h -> {
              int index = i % h.open.size();
              Permit permit = h.open.remove(index);
              h.model.open.remove(index);
              switch (i % 3) {
                case 0 -> permit.onSuccess();
                case 1 -> permit.onDropped();
                default -> permit.close();
              }
              h.done.add(permit);
            }));
      }
    };
  }

  static Action.Independent<Harness> completeAgain() {
    return new Action.Independent<>() {
      @Override
      public boolean precondition(Harness h) {
        return !h.done.isEmpty();
      }

      @Override
      public Arbitrary<Transformer<Harness>> transformer() {
        return Arbitraries.integers().between(0, 1000).map(i -> Transformer.mutate(
            "complete again #" + i, h -> h.done.get(i % h.done.size()).onSuccess()));
      }
    };
  }

  @Property(tries = 100)
  void shedderAgreesWithTheModel(@ForAll("chains") ActionChain<Harness> chain) {
    chain.withInvariant("in-flight matches the model", h -> {
      assertEquals(h.model.open.size(), h.shedder.inFlight());
      ShedInvariants.checkState(h.shedder, h.critical());
    }).run();
    Harness h = chain.finalState().orElseThrow();
    long refused = 0;
    for (Priority p : Priority.values()) {
      for (ShedReason r : ShedReason.values()) {
        refused += h.shedder.rejected(p, r);
      }
    }
    assertEquals(h.model.refused, refused);
    h.open.forEach(Permit::onSuccess);
    ShedInvariants.checkDrained(h.shedder);
  }

  @net.jqwik.api.Provide
  Arbitrary<ActionChain<Harness>> chains() {
    // Limits up to 40 on one or two stripes: stripe quotas of up to 10, so chains cross
    // between stripe admissions and exact counting.
    return Combinators.combine(Arbitraries.integers().between(1, 40),
        Arbitraries.of(1, 2)).flatAs((limit, stripes) ->
        ActionChain.startWith(() -> new Harness(limit, stripes))
            .withAction(5, acquire())
            .withAction(3, complete())
            .withAction(1, completeAgain())
            .withMaxTransformations(100));
  }
}
