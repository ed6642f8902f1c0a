package dev.headroom.http;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Finagle's retry budget: over a sliding window of {@code ttl}, retries may be at most
 * {@code percentCanRetry} of the requests in the window plus a reserve of
 * {@code minRetriesPerSecond x ttl} (in seconds).
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.ratio().name("tax-credit")
 *     .percentCanRetry(0.2).ttl(Duration.ofSeconds(10)).minRetriesPerSecond(10).build();
 * }</pre>
 *
 * <p>Algorithm. The window is {@value #SLOTS} slots of {@code ttl / }{@value #SLOTS} each, kept
 * in two {@link AtomicLongArray}s (requests, retries). Each cell packs the absolute slot number
 * it counts for (high {@value #EPOCH_BITS} bits) with its count (low bits), so a cell from an
 * older lap of the ring is recognised as stale and restarted by the next increment, with no
 * separate clearing step to race with. A grant, for the window ending at the current slot
 * {@code s}: {@code used = sum of retry cells of slots (s - SLOTS, s]}, allowed while
 * {@code used < floor(percentCanRetry x requests) + reserve}; the grant is the CAS that adds one
 * to slot {@code s}'s retry cell, from the value the check read, so two grants in the same slot
 * cannot both pass on one reading. Races: a grant made at slot {@code s} whose CAS lands after
 * a thread in slot {@code s + 1} summed the ring is missed by that thread, so at a slot boundary
 * the window may hold one extra retry per racing thread; one thread alone is exact. The slot
 * number wraps after 2^{@value #EPOCH_BITS} slots; a cell untouched for exactly that many slots
 * would be read as current, which needs about 19 days of silence at 0.1 s slots.
 *
 * <p>Thread-safety: safe for concurrent use; lock-free; no allocation after construction.
 * Built by {@link RetryBudget#ratio()}.
 */
public final class RatioRetryBudget implements RetryBudget {

  static final int SLOTS = 10;
  static final int EPOCH_BITS = 24;
  private static final int COUNT_BITS = 64 - EPOCH_BITS;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
  private static final long EPOCH_MASK = (1L << EPOCH_BITS) - 1;

  private final String name;
  private final double percentCanRetry;
  private final long reserve;
  private final long slotNanos;
  private final long origin;
  private final NanoClock clock;
  private final Duration ttl;
  private final int minRetriesPerSecond;
  private final AtomicLongArray requests = new AtomicLongArray(SLOTS);
  private final AtomicLongArray retries = new AtomicLongArray(SLOTS);
  private final LongAdder refused = new LongAdder();

  private RatioRetryBudget(Builder b) {
    this.name = b.name;
    this.percentCanRetry = b.percentCanRetry;
    this.ttl = b.ttl;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.reserve = (long) Math.floor(b.minRetriesPerSecond * (b.ttl.toNanos() / 1e9));
    this.slotNanos = Math.max(1L, b.ttl.toNanos() / SLOTS);
    this.clock = b.clock;
    this.origin = clock.nanoTime();
  }

  long slot(long now) {
    return Math.floorDiv(now - origin, slotNanos);
  }

  private static long pack(long slot, long count) {
    return ((slot & EPOCH_MASK) << COUNT_BITS) | count;
  }

  /** The cell's count if it belongs to a slot of the window ending at {@code slot}, else 0. */
  private static long countIn(long cell, long slot) {
    long epoch = cell >>> COUNT_BITS;
    long age = (slot - epoch) & EPOCH_MASK;
    return age < SLOTS ? cell & COUNT_MASK : 0L;
  }

  private static void increment(AtomicLongArray cells, long slot) {
    int i = (int) Math.floorMod(slot, (long) SLOTS);
    long epoch = slot & EPOCH_MASK;
    for (;;) {
      long v = cells.get(i);
      long next = (v >>> COUNT_BITS) == epoch ? v + 1 : pack(slot, 1);
      if (cells.compareAndSet(i, v, next)) {
        return;
      }
    }
  }

  private static long sum(AtomicLongArray cells, long slot) {
    long n = 0;
    for (int i = 0; i < SLOTS; i++) {
      n += countIn(cells.get(i), slot);
    }
    return n;
  }

  @Override
  public void onRequest() {
    increment(requests, slot(clock.nanoTime()));
  }

  @Override
  public void onSuccess() {
    // The ratio form counts requests, not outcomes.
  }

  @Override
  public void onFailure() {
    // The ratio form counts requests, not outcomes.
  }

  @Override
  public boolean tryRetry() {
    long s = slot(clock.nanoTime());
    int i = (int) Math.floorMod(s, (long) SLOTS);
    long epoch = s & EPOCH_MASK;
    for (;;) {
      long allowed = (long) Math.floor(percentCanRetry * sum(requests, s)) + reserve;
      long mine = retries.get(i);
      long used = countIn(mine, s);
      for (int j = 0; j < SLOTS; j++) {
        if (j != i) {
          used += countIn(retries.get(j), s);
        }
      }
      if (used >= allowed) {
        refused.increment();
        return false;
      }
      long next = (mine >>> COUNT_BITS) == epoch ? mine + 1 : pack(s, 1);
      if (retries.compareAndSet(i, mine, next)) {
        return true;
      }
    }
  }

  /**
   * Returns how many retries would be granted now.
   *
   * @return {@code >= 0}
   */
  long available() {
    long s = slot(clock.nanoTime());
    return Math.max(0L, (long) Math.floor(percentCanRetry * sum(requests, s)) + reserve
        - sum(retries, s));
  }

  /** Requests in the window ending at {@code slot}; for tests. */
  long requestsIn(long slot) {
    return sum(requests, slot);
  }

  /** Retries in the window ending at {@code slot}; for tests. */
  long retriesIn(long slot) {
    return sum(retries, slot);
  }

  long reserve() {
    return reserve;
  }

  double percentCanRetry() {
    return percentCanRetry;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(MeterId.of("headroom.http.retry_budget.available").tag("name", name)
        .description("Retries the budget would grant now"), this::available);
    sink.counter(MeterId.of("headroom.http.retry_budget.refused").tag("name", name)
        .description("Retries and hedges the budget refused"), refused::sum);
  }

  @Override
  public String toString() {
    return "RatioRetryBudget[" + name + ", " + percentCanRetry + " of requests over " + ttl
        + " + " + minRetriesPerSecond + "/s, available " + available() + "]";
  }

  /** Builds a ratio budget. Not thread-safe. */
  public static final class Builder {
    private String name = "retry";
    private double percentCanRetry = 0.2;
    private Duration ttl = Duration.ofSeconds(10);
    private int minRetriesPerSecond = 10;
    private NanoClock clock = NanoClock.system();

    Builder() {}

    /**
     * Sets the name used in meter tags; {@code "retry"} by default.
     *
     * @param value the name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     */
    public Builder name(String value) {
      this.name = Checks.requireNonBlank("name", value);
      return this;
    }

    /**
     * Sets the share of requests that may be retried; 0.2 by default.
     *
     * @param value in [0, 1]
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder percentCanRetry(double value) {
      this.percentCanRetry = Checks.requireInRange("percentCanRetry", value, 0.0, true, 1.0, true);
      return this;
    }

    /**
     * Sets the window; 10 s by default.
     *
     * @param value between 10 ms and 1 hour
     * @return this builder
     * @throws IllegalArgumentException if null or out of range
     */
    public Builder ttl(Duration value) {
      Checks.requireNonNull("ttl", value);
      Checks.requireArgument(value.compareTo(Duration.ofMillis(10)) >= 0
          && value.compareTo(Duration.ofHours(1)) <= 0, "ttl", "in [PT0.01S, PT1H]", value);
      this.ttl = value;
      return this;
    }

    /**
     * Sets the floor of retries per second granted whatever the request count; 10 by default.
     *
     * @param value {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder minRetriesPerSecond(int value) {
      this.minRetriesPerSecond = Checks.requireNonNegative("minRetriesPerSecond", value);
      return this;
    }

    /**
     * Sets the clock; {@link NanoClock#system()} by default.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder clock(NanoClock value) {
      this.clock = Checks.requireNonNull("clock", value);
      return this;
    }

    /**
     * Builds the budget.
     *
     * @return the budget
     */
    public RetryBudget build() {
      return new RatioRetryBudget(this);
    }
  }
}
