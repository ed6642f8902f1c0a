package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Stateful test: random sequences of borrow, close, repeated close, abort and resize against a
 * model that knows the limit, the open connections and how many were ended.
 */
class BudgetedDataSourceProperties {

  sealed interface Op permits Borrow, Close, CloseTwice, Abort, AbortThenClose, Resize {}

  record Borrow() implements Op {}

  record Close(int index) implements Op {}

  record CloseTwice(int index) implements Op {}

  record Abort(int index) implements Op {}

  record AbortThenClose(int index) implements Op {}

  record Resize(int limit) implements Op {}

  @Provide
  Arbitrary<Op> ops() {
    Arbitrary<Integer> index = Arbitraries.integers().between(0, 7);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Arbitraries.just(new Borrow())),
        net.jqwik.api.Tuple.of(2, index.map(Close::new)),
        net.jqwik.api.Tuple.of(1, index.map(CloseTwice::new)),
        net.jqwik.api.Tuple.of(1, index.map(Abort::new)),
        net.jqwik.api.Tuple.of(1, index.map(AbortThenClose::new)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 6).map(Resize::new)));
  }

  @Property(tries = 200)
  void agreesWithTheModel(@ForAll @IntRange(min = 1, max = 6) int initialLimit,
      @ForAll @Size(max = 50) List<@From("ops") Op> ops) throws SQLException {
    FakePool pool = new FakePool();
    BudgetedDataSource ds = BudgetedDataSource.builder("model", pool).maxPoolSize(initialLimit)
        .minIdle(0).acquireTimeout(Duration.ZERO).build();
    int limit = initialLimit;
    List<Connection> open = new ArrayList<>();
    List<Connection> ended = new ArrayList<>();
    long borrowed = 0;
    for (Op op : ops) {
      if (op instanceof Borrow) {
        if (open.size() < limit) {
          open.add(ds.getConnection());
          borrowed++;
        } else {
          ConnectionRejectedException e = assertThrows(ConnectionRejectedException.class,
              ds::getConnection);
          assertEquals(limit, e.budget());
          assertEquals(open.size(), e.inUse());
        }
      } else if (op instanceof Resize r) {
        limit = r.limit();
        ds.resize(limit, 0);
      } else {
        int index = indexOf(op);
        // Ending an already ended connection again must change nothing.
        boolean again = !open.isEmpty() && index % 3 == 2 && !ended.isEmpty();
        Connection c = again ? ended.get(index % ended.size())
            : open.isEmpty() ? null : open.get(index % open.size());
        if (c == null) {
          continue;
        }
        if (op instanceof Close) {
          c.close();
        } else if (op instanceof CloseTwice) {
          c.close();
          c.close();
        } else if (op instanceof Abort) {
          c.abort(Runnable::run);
        } else {
          c.abort(Runnable::run);
          c.close();
        }
        if (!again) {
          open.remove(c);
          ended.add(c);
        }
      }
      WrapperInvariants.check(ds, pool, borrowed, ended.size(), limit);
    }
  }

  private static int indexOf(Op op) {
    if (op instanceof Close o) {
      return o.index();
    }
    if (op instanceof CloseTwice o) {
      return o.index();
    }
    if (op instanceof Abort o) {
      return o.index();
    }
    return ((AbortThenClose) op).index();
  }
}
