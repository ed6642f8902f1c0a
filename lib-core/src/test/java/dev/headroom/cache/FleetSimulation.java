package dev.headroom.cache;

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

/**
 * A fleet in virtual time: {@code pods} instances, each with its own cache, in front of one
 * origin that admits {@code originLimit} calls per second and answers 429 (fast) beyond that.
 * Every instance loads every key at the same moment (a deploy; this fill is neither limited nor
 * measured), then the fleet serves {@code readsPerSecond} reads over {@code keys} keys with Zipf
 * popularity (exponent 1), each read going to an instance drawn at random, for 3.5 TTLs.
 *
 * <p>Real cache code (Caffeine's and Headroom's) runs against one manual clock and one manual
 * scheduler, single-threaded and seeded: the figures are the same on every run.
 *
 * <p>Measured: origin calls in the busiest second (rejected ones included: they reach the
 * origin), all origin calls, calls the limit rejected, reads, reads that had to wait for a
 * load, reads that failed, reads served a stale value.
 */
final class FleetSimulation {

  private FleetSimulation() {}

  static final long REJECT_LATENCY_MS = 5;

  /** One shape of the incident. */
  record Scenario(String name, int pods, int keys, int readsPerSecond, Duration ttl,
      long loadMillis, long originLimit, long seed) {

    long runMillis() {
      return ttl.toMillis() * 7 / 2;
    }

    /** Origin loads per second if every instance loaded every key once per TTL. */
    double oncePerTtlRate() {
      return (double) pods * keys / ttl.toSeconds();
    }

    String describe() {
      return String.format(Locale.ROOT, "%d pods, %d keys, %,d reads/s, TTL %d s, load %d ms, "
          + "limit %d/s", pods, keys, readsPerSecond, ttl.toSeconds(), loadMillis, originLimit);
    }
  }

  /** What one strategy did in one scenario. */
  record Result(String strategy, Scenario scenario, long peakOriginPerSecond, long originCalls,
      long rejected, long reads, long waited, long coldWaits, long failed, long stale) {

    String row() {
      return String.format(Locale.ROOT, "| %-44s | %,7d | %,7d | %,7d | %,9d | %,7d | %,7d |",
          strategy, peakOriginPerSecond, originCalls, rejected, reads, waited, failed);
    }

    static String header() {
      return String.format(Locale.ROOT, "| %-44s | %7s | %7s | %7s | %9s | %7s | %7s |",
          "cache", "peak/s", "calls", "429s", "reads", "waits", "errors");
    }
  }

  /** One cache instance as the simulation sees it. */
  interface Instance {
    CompletableFuture<String> read(String key);
  }

  /** What every instance shares: the clock, the scheduler and the origin. */
  record Env(ManualClock clock, ManualScheduler scheduler, Origin origin, Scenario scenario) {}

  /** The rate-limited origin, completing calls in virtual time. */
  static final class Origin {
    private record Pending(long due, long seq, CompletableFuture<String> future, String value) {}

    private final ManualClock clock;
    private final long limit;
    private final long latencyNanos;
    private final PriorityQueue<Pending> pending = new PriorityQueue<>(
        (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final long[] perSecond;
    private long seq;
    private long start;
    private boolean limited;
    long calls;
    long rejected;

    Origin(ManualClock clock, Scenario s) {
      this.clock = clock;
      this.limit = s.originLimit();
      this.latencyNanos = ms(s.loadMillis());
      this.perSecond = new long[(int) (s.runMillis() / 1000) + 2];
    }

    void startMeasuring() {
      limited = true;
      start = clock.nanoTime();
    }

    CompletableFuture<String> call(String key) {
      long now = clock.nanoTime();
      CompletableFuture<String> f = new CompletableFuture<>();
      if (!limited) { // the deploy's fill: not measured, not limited
        pending.add(new Pending(now + latencyNanos, seq++, f, key + "@fill"));
        return f;
      }
      calls++;
      int second = (int) ((now - start) / 1_000_000_000L);
      if (++perSecond[second] > limit) {
        rejected++;
        pending.add(new Pending(now + ms(REJECT_LATENCY_MS), seq++, f, null));
      } else {
        pending.add(new Pending(now + latencyNanos, seq++, f, key + "@" + now));
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

  /** Runs one scenario against one kind of cache; {@code stale} reads its stale serves. */
  static Result simulate(Scenario s, String strategy, BiFunction<Integer, Env, Instance> factory,
      java.util.function.ToLongFunction<List<Instance>> stale) {
    ManualClock clock = new ManualClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    Origin origin = new Origin(clock, s);
    Env env = new Env(clock, scheduler, origin, s);
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < s.pods(); i++) {
      instances.add(factory.apply(i, env));
    }
    String[] keyNames = new String[s.keys()];
    double[] cdf = new double[s.keys()];
    double sum = 0;
    for (int k = 0; k < s.keys(); k++) {
      keyNames[k] = "key-" + k;
      sum += 1.0 / (k + 1);
      cdf[k] = sum;
    }
    for (int k = 0; k < s.keys(); k++) {
      cdf[k] /= sum;
    }
    // The deploy: every instance loads every key at the same moment.
    for (Instance instance : instances) {
      for (String key : keyNames) {
        instance.read(key);
      }
    }
    while (!origin.idle()) {
      step(clock, scheduler, origin);
    }
    step(clock, scheduler, origin);
    origin.startMeasuring();

    SplittableRandom random = new SplittableRandom(s.seed());
    double perMilli = s.readsPerSecond() / 1000.0;
    long[] counts = new long[4]; // reads, waited, failed, cold waits
    // When each pod last read each key (the deploy's fill counts as a read at 0).
    long[][] lastRead = new long[s.pods()][s.keys()];
    // The read that found each pod's key cold, while its load runs: a read that joins that load
    // waits for the same first fill.
    @SuppressWarnings("unchecked")
    CompletableFuture<String>[][] coldFill = new CompletableFuture[s.pods()][s.keys()];
    long ttlMillis = s.ttl().toMillis();
    for (long t = 0; t < s.runMillis(); t++) {
      int n = poisson(random, perMilli);
      for (int r = 0; r < n; r++) {
        int pod = random.nextInt(s.pods());
        int key = zipf(random, cdf);
        Instance instance = instances.get(pod);
        CompletableFuture<String> f = instance.read(keyNames[key]);
        long gap = t - lastRead[pod][key];
        lastRead[pod][key] = t;
        counts[0]++;
        if (!f.isDone()) {
          counts[1]++;
          CompletableFuture<String> fill = coldFill[pod][key];
          if (gap > ttlMillis) {
            counts[3]++; // a key this pod had not read for a whole TTL: a first fill again
            coldFill[pod][key] = f;
          } else if (fill != null && !fill.isDone()) {
            counts[3]++; // joined that first fill, still loading
          }
          f.whenComplete((v, e) -> {
            if (e != null) {
              counts[2]++;
            }
          });
        } else if (f.isCompletedExceptionally()) {
          counts[2]++;
        }
      }
      step(clock, scheduler, origin);
    }
    while (!origin.idle()) {
      step(clock, scheduler, origin);
    }
    return new Result(strategy, s, origin.peak(), origin.calls, origin.rejected, counts[0],
        counts[1], counts[3], counts[2], stale.applyAsLong(instances));
  }

  private static void step(ManualClock clock, ManualScheduler scheduler, Origin origin) {
    clock.advance(ms(1));
    scheduler.runDue();
    origin.completeDue();
  }

  private static int poisson(SplittableRandom random, double mean) {
    double limit = Math.exp(-mean);
    double p = random.nextDouble();
    int n = 0;
    while (p > limit) {
      p *= random.nextDouble();
      n++;
    }
    return n;
  }

  private static int zipf(SplittableRandom random, double[] cdf) {
    double u = random.nextDouble();
    int lo = 0;
    int hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // ---------------------------------------------------------------------------------------
  // The caches

  /** Caffeine with {@code expireAfterWrite(ttl)}, and {@code refreshAfterWrite(0.8 ttl)}. */
  static Result caffeine(Scenario s, boolean refresh) {
    String name = refresh
        ? "Caffeine refreshAfterWrite(" + s.ttl().toSeconds() * 4 / 5 + " s)"
        : "Caffeine expireAfterWrite(" + s.ttl().toSeconds() + " s)";
    return simulate(s, name, (i, env) -> {
      Caffeine<Object, Object> builder = Caffeine.newBuilder().ticker(env.clock()::nanoTime)
          .executor(Runnable::run).expireAfterWrite(s.ttl());
      if (refresh) {
        builder.refreshAfterWrite(s.ttl().multipliedBy(4).dividedBy(5));
      }
      AsyncLoadingCache<String, String> cache = builder.buildAsync(
          new AsyncCacheLoader<String, String>() {
            @Override
            public CompletableFuture<String> asyncLoad(String key, Executor executor) {
              return env.origin().call(key);
            }
          });
      return cache::get;
    }, instances -> 0L);
  }

  /** Headroom with its defaults, or as {@code configure} changes them. */
  static Result headroom(Scenario s, String name,
      java.util.function.UnaryOperator<HeadroomCache.Builder<String, String>> configure) {
    List<HeadroomCache<String, String>> caches = new ArrayList<>();
    return simulate(s, name, (i, env) -> {
      HeadroomCache<String, String> cache = configure.apply(
          HeadroomCache.<String, String>builder("fleet-" + i).ttl(s.ttl())
              .clock(env.clock()).scheduler(env.scheduler()).refreshExecutor(Runnable::run)
              .random(new SplittableRandom(s.seed() * 7_919L + i))).build();
      caches.add(cache);
      return key -> cache.getAsync(key, (k, executor) -> env.origin().call(k));
    }, instances -> caches.stream().mapToLong(HeadroomCache::staleServes).sum());
  }
}
