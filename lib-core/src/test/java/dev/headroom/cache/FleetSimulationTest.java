package dev.headroom.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.headroom.core.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fleet in virtual time: 100 instances, each with its own cache, in front of one origin that
 * admits {@value #ORIGIN_LIMIT} calls per second and answers 429 (fast) beyond that. Every
 * instance loaded every key at the same moment (a deploy), then serves a steady read load for
 * 3.5 TTLs. The same scenario runs against Caffeine {@code expireAfterWrite}, Caffeine
 * {@code refreshAfterWrite} (at 80% of the TTL, with the same hard expiry) and Headroom, all with
 * real cache code driven by one manual clock, single-threaded and seeded: the figures are the
 * same on every run.
 *
 * <p>Measured: origin calls in the busiest second (rejected ones included, they reach the
 * origin), calls the limit rejected, reads that had to wait for a load, reads that failed.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FleetSimulationTest {

  static final int INSTANCES = 100;
  static final int KEYS = 10;
  static final Duration TTL = Duration.ofSeconds(60);
  static final long ORIGIN_LIMIT = 500;
  static final long ORIGIN_LATENCY_MS = 200;
  static final long REJECT_LATENCY_MS = 5;
  static final long READ_PERIOD_MS = 200; // each instance reads each key 5 times a second
  static final long RUN_MS = TTL.toMillis() * 7 / 2;
  /** Beta for a fleet: large enough that beta x delta (here 2 s) spreads 100 instances. */
  static final double FLEET_BETA = 10.0;

  /** What one strategy did. */
  record Result(String strategy, long peakOriginPerSecond, long originCalls, long rejected,
      long reads, long waited, long failed) {

    String row() {
      return String.format(Locale.ROOT, "| %-38s | %9d | %9d | %9d | %9d | %9d | %9d |",
          strategy, peakOriginPerSecond, originCalls, rejected, reads, waited, failed);
    }
  }

  /** One cache instance as the simulation sees it. */
  interface Instance {
    CompletableFuture<String> read(String key);
  }

  /** The rate-limited origin, completing calls in virtual time. */
  static final class Origin {
    private record Pending(long due, long seq, CompletableFuture<String> future, String value) {}

    private final ManualClock clock;
    private final PriorityQueue<Pending> pending = new PriorityQueue<>(
        (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final long[] perSecond = new long[(int) (RUN_MS / 1000) + 2];
    private long seq;
    private long start;
    private boolean limited;
    long calls;
    long rejected;

    Origin(ManualClock clock) {
      this.clock = clock;
    }

    void startMeasuring() {
      limited = true;
      start = clock.nanoTime();
    }

    CompletableFuture<String> call(String key) {
      long now = clock.nanoTime();
      CompletableFuture<String> f = new CompletableFuture<>();
      if (!limited) { // the deploy's warm-up: not measured, not limited
        pending.add(new Pending(now + ms(ORIGIN_LATENCY_MS), seq++, f, key + "@warm"));
        return f;
      }
      calls++;
      int second = (int) ((now - start) / 1_000_000_000L);
      if (++perSecond[second] > ORIGIN_LIMIT) {
        rejected++;
        pending.add(new Pending(now + ms(REJECT_LATENCY_MS), seq++, f, null));
      } else {
        pending.add(new Pending(now + ms(ORIGIN_LATENCY_MS), seq++, f, key + "@" + now));
      }
      return f;
    }

    void completeDue() {
      long now = clock.nanoTime();
      while (!pending.isEmpty() && pending.peek().due - now <= 0) {
        Pending p = pending.poll();
        if (p.value == null) {
          p.future.completeExceptionally(new IllegalStateException("429 Too Many Requests"));
        } else {
          p.future.complete(p.value);
        }
      }
    }

    boolean idle() {
      return pending.isEmpty();
    }

    long peak() {
      long max = 0;
      for (long c : perSecond) {
        max = Math.max(max, c);
      }
      return max;
    }
  }

  static long ms(long millis) {
    return millis * 1_000_000L;
  }

  /** Runs the scenario against one kind of cache. */
  static Result simulate(String name, BiFunction<Integer, Env, Instance> factory) {
    ManualClock clock = new ManualClock();
    Origin origin = new Origin(clock);
    Env env = new Env(clock, origin);
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(factory.apply(i, env));
    }
    // The deploy: every instance loads every key at the same moment.
    for (Instance instance : instances) {
      for (int k = 0; k < KEYS; k++) {
        instance.read("key-" + k);
      }
    }
    while (!origin.idle()) {
      clock.advance(ms(1));
      origin.completeDue();
    }
    clock.advance(ms(1));
    origin.startMeasuring();

    // Each (instance, key) pair reads every READ_PERIOD_MS, at a seeded random phase.
    SplittableRandom random = new SplittableRandom(2026);
    List<List<int[]>> byPhase = new ArrayList<>();
    for (int p = 0; p < READ_PERIOD_MS; p++) {
      byPhase.add(new ArrayList<>());
    }
    for (int i = 0; i < INSTANCES; i++) {
      for (int k = 0; k < KEYS; k++) {
        byPhase.get(random.nextInt((int) READ_PERIOD_MS)).add(new int[] {i, k});
      }
    }
    long[] counts = new long[3]; // reads, waited, failed
    for (long t = 0; t < RUN_MS; t++) {
      origin.completeDue();
      for (int[] pair : byPhase.get((int) (t % READ_PERIOD_MS))) {
        CompletableFuture<String> f = instances.get(pair[0]).read("key-" + pair[1]);
        counts[0]++;
        if (!f.isDone()) {
          counts[1]++;
          f.whenComplete((v, e) -> {
            if (e != null) {
              counts[2]++;
            }
          });
        } else if (f.isCompletedExceptionally()) {
          counts[2]++;
        }
      }
      clock.advance(ms(1));
    }
    while (!origin.idle()) {
      clock.advance(ms(1));
      origin.completeDue();
    }
    return new Result(name, origin.peak(), origin.calls, origin.rejected, counts[0], counts[1],
        counts[2]);
  }

  /** What every instance shares: the clock and the origin. */
  record Env(ManualClock clock, Origin origin) {}

  static Instance caffeine(Env env, boolean refresh) {
    Caffeine<Object, Object> builder = Caffeine.newBuilder().ticker(env.clock()::nanoTime)
        .executor(Runnable::run).expireAfterWrite(TTL);
    if (refresh) {
      builder.refreshAfterWrite(TTL.multipliedBy(4).dividedBy(5));
    }
    AsyncLoadingCache<String, String> cache = builder.buildAsync(
        new AsyncCacheLoader<String, String>() {
          @Override
          public CompletableFuture<String> asyncLoad(String key, Executor executor) {
            return env.origin().call(key);
          }
        });
    return cache::get;
  }

  static Instance headroom(int index, Env env, double beta) {
    HeadroomCache<String, String> cache = HeadroomCache.<String, String>builder("fleet-" + index)
        .ttl(TTL).beta(beta).staleIfError(TTL).clock(env.clock()).refreshExecutor(Runnable::run)
        .random(new SplittableRandom(7_919L * index + 1)).build();
    return key -> cache.getAsync(key, (k, executor) -> env.origin().call(k));
  }

  @Test
  void headroomKeepsTheOriginUnderItsLimitWhereCaffeineStampedes() {
    // Caffeine logs every failed load and refresh at WARNING; 429s are the point here.
    Logger caffeineLog = Logger.getLogger("com.github.benmanes.caffeine");
    Level before = caffeineLog.getLevel();
    caffeineLog.setLevel(Level.OFF);
    List<Result> results = new ArrayList<>();
    try {
      results.add(simulate("Caffeine expireAfterWrite(60 s)",
          (i, env) -> caffeine(env, false)));
      results.add(simulate("Caffeine refreshAfterWrite(48 s)",
          (i, env) -> caffeine(env, true)));
      results.add(simulate("Headroom beta=1 (default)", (i, env) -> headroom(i, env, 1.0)));
      results.add(simulate("Headroom beta=" + (int) FLEET_BETA + " (fleet)",
          (i, env) -> headroom(i, env, FLEET_BETA)));
    } finally {
      caffeineLog.setLevel(before);
    }
    System.out.println("Fleet simulation: " + INSTANCES + " instances x " + KEYS
        + " keys, TTL 60 s, reads 5/s per instance per key, origin limit " + ORIGIN_LIMIT
        + "/s (latency " + ORIGIN_LATENCY_MS + " ms), " + RUN_MS / 1000 + " s of virtual time");
    System.out.println(String.format(Locale.ROOT, "| %-38s | %9s | %9s | %9s | %9s | %9s | %9s |",
        "strategy", "peak/s", "calls", "rejected", "reads", "waited", "failed"));
    for (Result r : results) {
      System.out.println(r.row());
    }

    Result expire = results.get(0);
    Result refresh = results.get(1);
    Result fleet = results.get(3);
    long reads = (long) INSTANCES * KEYS * (RUN_MS / READ_PERIOD_MS);
    for (Result r : results) {
      assertEquals(reads, r.reads(), r.strategy());
    }
    assertTrue(fleet.peakOriginPerSecond() < expire.peakOriginPerSecond(), fleet + " vs " + expire);
    assertTrue(fleet.peakOriginPerSecond() < refresh.peakOriginPerSecond(),
        fleet + " vs " + refresh);
    assertTrue(fleet.peakOriginPerSecond() <= ORIGIN_LIMIT, "Headroom stays under the limit");
    assertTrue(fleet.waited() < expire.waited(), fleet + " vs " + expire);
    assertTrue(fleet.waited() <= refresh.waited(), fleet + " vs " + refresh);
    assertEquals(0, fleet.failed(), "no read failed");
    assertEquals(0, fleet.rejected(), "the origin never had to reject a call");
  }
}
