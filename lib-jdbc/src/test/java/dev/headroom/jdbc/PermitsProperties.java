package dev.headroom.jdbc;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Stateful test: random sequences of acquire, release and resize checked against a model that
 * knows only the limit and the number of holders.
 */
class PermitsProperties {

  /** One step of a sequence. */
  sealed interface Op permits Acquire, Release, Resize {}

  record Acquire() implements Op {}

  record Release() implements Op {}

  record Resize(int limit) implements Op {}

  @Provide
  Arbitrary<Op> ops() {
    return Arbitraries.oneOf(
        Arbitraries.just(new Acquire()),
        Arbitraries.just(new Release()),
        Arbitraries.integers().between(1, 8).map(Resize::new));
  }

  @Property(tries = 300)
  void agreesWithTheModel(@ForAll @IntRange(min = 1, max = 8) int initialLimit,
      @ForAll @Size(max = 60) List<@net.jqwik.api.From("ops") Op> ops)
      throws InterruptedException {
    Permits permits = new Permits(initialLimit);
    int limit = initialLimit;
    int held = 0;
    for (Op op : ops) {
      if (op instanceof Acquire) {
        boolean expected = held < limit;
        boolean granted = permits.acquire(0);
        if (granted != expected) {
          throw new AssertionError("acquire with " + held + "/" + limit + " granted=" + granted);
        }
        if (granted) {
          held++;
        }
      } else if (op instanceof Release) {
        if (held > 0) {
          permits.release();
          held--;
        }
      } else {
        limit = ((Resize) op).limit();
        permits.setLimit(limit);
      }
      PermitsInvariants.checkQuiescent(permits, limit, held);
    }
  }
}
