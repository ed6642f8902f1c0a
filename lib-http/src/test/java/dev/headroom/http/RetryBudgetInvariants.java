package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives a retry budget with a traffic shape under 100% failure on a manual clock and checks
 * the budget's bound against a reference count kept here, independently of the budget. Shared
 * by {@link RetryBudgetProperties} and {@link RetryBudgetTest}.
 */
final class RetryBudgetInvariants {

  /** A stretch of traffic: so many requests per second for so long. */
  record Segment(int millis, int perSecond) {}

  /** Totals of one run. */
  record Totals(long requests, long retries, long refused) {}

  private RetryBudgetInvariants() {}

  /**
   * Ratio form: at every grant, the retries in the window ending at the grant's slot (counted
   * here) are at most floor(percent x requests in that window) + reserve.
   */
  static Totals ratioUnderTotalFailure(double percent, Duration ttl, int minPerSecond,
      int maxAttempts, List<Segment> shape) {
    ManualClock clock = new ManualClock();
    RatioRetryBudget budget = (RatioRetryBudget) RetryBudget.ratio().percentCanRetry(percent)
        .ttl(ttl).minRetriesPerSecond(minPerSecond).clock(clock).build();
    long reserve = (long) Math.floor(minPerSecond * (ttl.toNanos() / 1e9));
    Map<Long, Long> requestsBySlot = new HashMap<>();
    Map<Long, Long> retriesBySlot = new HashMap<>();
    long requests = 0;
    long retries = 0;
    long refused = 0;
    for (Segment seg : shape) {
      long segNanos = seg.millis() * 1_000_000L;
      if (seg.perSecond() == 0) {
        clock.advance(segNanos);
        continue;
      }
      long gap = 1_000_000_000L / seg.perSecond();
      for (long t = 0; t < segNanos; t += gap) {
        long slot = budget.slot(clock.nanoTime());
        budget.onRequest();
        requests++;
        requestsBySlot.merge(slot, 1L, Long::sum);
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
          budget.onFailure();
          if (attempt == maxAttempts) {
            break;
          }
          if (!budget.tryRetry()) {
            refused++;
            break;
          }
          retries++;
          retriesBySlot.merge(slot, 1L, Long::sum);
          long inWindow = window(retriesBySlot, slot);
          long allowed = (long) Math.floor(percent * window(requestsBySlot, slot)) + reserve;
          assertTrue(inWindow <= allowed, "retries " + inWindow + " > allowed " + allowed
              + " in the window ending at slot " + slot);
        }
        clock.advance(gap);
      }
    }
    return new Totals(requests, retries, refused);
  }

  private static long window(Map<Long, Long> bySlot, long slot) {
    long n = 0;
    for (long s = slot - RatioRetryBudget.SLOTS + 1; s <= slot; s++) {
      n += bySlot.getOrDefault(s, 0L);
    }
    return n;
  }

  /** Token form: under 100% failure, at most ceil(maxTokens / 2) retries are ever granted. */
  static Totals tokensUnderTotalFailure(double maxTokens, double ratio, int maxAttempts,
      int requests) {
    RetryBudget budget = RetryBudget.tokens("t", maxTokens, ratio);
    long retries = 0;
    long refused = 0;
    for (int i = 0; i < requests; i++) {
      budget.onRequest();
      for (int attempt = 1; attempt <= maxAttempts; attempt++) {
        budget.onFailure();
        if (attempt == maxAttempts) {
          break;
        }
        if (!budget.tryRetry()) {
          refused++;
          break;
        }
        retries++;
      }
    }
    long bound = (long) Math.ceil(maxTokens / 2);
    assertTrue(retries <= bound, "retries " + retries + " > " + bound);
    return new Totals(requests, retries, refused);
  }
}
