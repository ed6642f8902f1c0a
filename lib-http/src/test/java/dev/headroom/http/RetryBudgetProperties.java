package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Retry budgets under 100% failure, over budgets and traffic shapes. */
class RetryBudgetProperties {

  @Property(tries = 200, seed = "14")
  void ratioBudgetBoundsRetriesInEveryWindow(
      @ForAll @DoubleRange(min = 0.0, max = 1.0) double percent,
      @ForAll @IntRange(min = 100, max = 20_000) int ttlMillis,
      @ForAll @IntRange(min = 0, max = 20) int minPerSecond,
      @ForAll @IntRange(min = 1, max = 5) int maxAttempts,
      @ForAll("shapes") List<RetryBudgetInvariants.Segment> shape) {
    RetryBudgetInvariants.Totals t = RetryBudgetInvariants.ratioUnderTotalFailure(percent,
        Duration.ofMillis(ttlMillis), minPerSecond, maxAttempts, shape);
    // Over the whole run: each window of ttl can add at most the reserve on top of the ratio.
    long totalMillis = shape.stream().mapToLong(RetryBudgetInvariants.Segment::millis).sum();
    long windows = totalMillis / ttlMillis + 2;
    long reserve = (long) Math.floor(minPerSecond * ttlMillis / 1000.0);
    assertTrue(t.retries() <= Math.ceil(percent * t.requests()) + windows * (reserve + 1),
        t + " over " + windows + " windows");
  }

  @Property(tries = 200, seed = "14")
  void tokenBudgetGrantsAtMostHalfItsTokensUnderTotalFailure(
      @ForAll @DoubleRange(min = 1.0, max = 100.0) double maxTokens,
      @ForAll @DoubleRange(min = 0.01, max = 1.0) double ratio,
      @ForAll @IntRange(min = 1, max = 5) int maxAttempts,
      @ForAll @IntRange(min = 0, max = 5_000) int requests) {
    RetryBudgetInvariants.tokensUnderTotalFailure(maxTokens, ratio, maxAttempts, requests);
  }

  @Provide
  Arbitrary<List<RetryBudgetInvariants.Segment>> shapes() {
    Arbitrary<RetryBudgetInvariants.Segment> segment = Combinators.combine(
        Arbitraries.integers().between(1, 15_000),
        Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(1, 50),
            Arbitraries.integers().between(50, 3_000)))
        .as(RetryBudgetInvariants.Segment::new);
    return segment.list().ofMinSize(1).ofMaxSize(6);
  }
}
