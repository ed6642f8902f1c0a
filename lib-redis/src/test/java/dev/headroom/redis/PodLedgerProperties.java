package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Model-based: random sequences of claims and departures by five pods, run against the real
 * Redis and a reference model of the claim rule ({@code min(wanted, budget - the others)}, at
 * least 0). Every grant must match the model, and the ledger's allocations must sum to the
 * model's, never above the budget.
 */
class PodLedgerProperties {

  static final int BUDGET = 40;
  static final int PODS = 5;

  sealed interface Op permits Claim, Leave {}

  record Claim(int pod, int wanted) implements Op {}

  record Leave(int pod) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> claim = Combinators.combine(Arbitraries.integers().between(0, PODS - 1),
        Arbitraries.integers().between(0, 30)).as(Claim::new);
    Arbitrary<Op> leave = Arbitraries.integers().between(0, PODS - 1).map(Leave::new);
    return Arbitraries.frequencyOf(Tuple.of(5, claim), Tuple.of(1, leave)).list()
        .ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 40)
  void claimsMatchTheModelAndNeverExceedTheBudget(@ForAll("ops") List<Op> ops) {
    try (RedisFixture redis = new RedisFixture()) {
      List<PodLedger> ledgers = new ArrayList<>();
      for (int i = 0; i < PODS; i++) {
        // Heartbeats every 10 s: none but the first lands while the sequence runs.
        ledgers.add(PodLedger.builder(redis.connect()).namespace(redis.namespace)
            .podId("pod-" + i).heartbeatInterval(Duration.ofSeconds(10)).build());
      }
      // Each pod's first heartbeat goes out on its own connection, asynchronously: the
      // sequence starts once all five have landed (each records 0), or the first snapshot,
      // read on pod 0's connection, may not see them yet.
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (ledgers.stream().anyMatch(l -> l.heartbeats() == 0)
          && System.nanoTime() - until < 0) {
        Thread.onSpinWait();
      }
      ledgers.forEach(l -> assertEquals(1, l.heartbeats(), "first heartbeat of " + l));
      Map<Integer, Integer> model = new HashMap<>();
      for (int i = 0; i < PODS; i++) {
        model.put(i, 0); // the first heartbeat records 0
      }
      PodLedger reader = ledgers.get(0);
      for (Op op : ops) {
        if (op instanceof Claim c) {
          if (!model.containsKey(c.pod())) {
            continue; // it left; a pod that left does not claim again
          }
          int others = model.entrySet().stream().filter(e -> e.getKey() != c.pod())
              .mapToInt(Map.Entry::getValue).sum();
          int expected = Math.max(0, Math.min(c.wanted(), BUDGET - others));
          assertEquals(expected, ledgers.get(c.pod()).claim(c.wanted(), BUDGET, 0), op.toString());
          model.put(c.pod(), expected);
        } else if (op instanceof Leave l && model.containsKey(l.pod())) {
          ledgers.get(l.pod()).close();
          model.remove(l.pod());
        }
        int modelSum = model.values().stream().mapToInt(Integer::intValue).sum();
        PodLedger.Snapshot s = reader.snapshot().orElseThrow();
        assertEquals(modelSum, s.sum(), "after " + op + ": " + s);
        assertEquals(model.size(), s.liveCount(), "after " + op + ": " + s);
        assertTrue(s.fits(BUDGET));
      }
      ledgers.forEach(PodLedger::close);
    }
  }
}
