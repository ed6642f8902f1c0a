package dev.headroom.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntBiFunction;
import java.util.random.RandomGenerator;

/**
 * A stampede-safe cache on Caffeine: single-flight loads, early refresh spread over a window
 * that scales with the TTL and the load time, stale-while-revalidate and stale-if-error.
 *
 * <pre>{@code
 * HeadroomCache<String, Credit> credits = HeadroomCache.<String, Credit>builder("tax-credit")
 *     .ttl(Duration.ofSeconds(60))
 *     .loaderTimeout(Duration.ofSeconds(2))
 *     .refreshExecutor(executor)
 *     .build();
 * Credit credit = credits.get(memberId, api::fetchCredit);
 * }</pre>
 *
 * <h2>What a read does</h2>
 * <ul>
 *   <li><b>Fresh value, before its refresh is due</b>: returned at once (one Caffeine read, one
 *       clock read, one compare, one counter increment; no allocation, no random draw).
 *       Caffeine's eviction policy is told about one hit in 16, drawn at random, instead of
 *       every hit: its read buffer is lossy by design, and its frequency sketch compares keys
 *       by relative frequency, which the sample keeps.
 *   <li><b>Fresh value, refresh due</b>: returned at once; the read also starts a background
 *       refresh, unless one is in flight.
 *   <li><b>Expired value inside its stale window</b> ({@code staleIfError}, one TTL by
 *       default): returned at once, marked stale ({@link #lookup} says so), and a background
 *       refresh starts. So a key read too rarely to be refreshed before it expires still makes
 *       nobody wait.
 *   <li><b>No value, or one past its stale window</b>: the caller waits for a load. For one key
 *       at most one load or refresh is in flight per cache: concurrent callers share it.
 *   <li><b>The load fails</b> (the loader throws, returns null, or outlives the loader timeout):
 *       the previous value is served while it is inside its stale window; otherwise the caller
 *       gets a {@link CacheLoadException} with the key and the cause. Failures are not cached
 *       unless {@code negativeTtl} is set, and never leave an in-flight entry behind: the next
 *       call loads again. A failed refresh is retried after a back-off that doubles with each
 *       failure in a row (from one load time, capped at an eighth of the TTL, jittered).
 * </ul>
 *
 * <h2>Early refresh: the control loop</h2>
 *
 * <p>Signal: each load's duration ({@code delta}, floored at 1 ms), measured on the cache's
 * clock, or the origin's load time a fleet tier reports with a shared value. Rule: when a value
 * is stored, its lifetime is drawn uniformly in {@code [ttl x (1 - ttlJitter), ttl]} and its
 * refresh moment is drawn once, {@code max(2 delta, U x earlyRefresh x ttl + beta x delta x E)}
 * before its expiry ({@code U} uniform in [0, 1), {@code E} exponential of mean 1: XFetch's
 * term, Vattani, Chierichetti and Lowenstein, VLDB 2015, drawn once per value rather than per
 * read; the floor of two load times lets a value read once per load time be replaced before it
 * expires). A value that replaces one refreshed on time (a refresh that started before the old
 * value expired, with no failed refresh before it) leaves out the window draw: its moment is
 * {@code max(2 delta, min(2 g, earlyRefresh x ttl) + beta x delta x E)} before its expiry, where
 * {@code g} is the key's read gap, how long each refresh of the key had to wait after its due
 * moment for a read (averaged, each new wait with weight one half), so that the key's own reads
 * are likely to start the next refresh before the expiry. The first read at or after that
 * moment refreshes the value. Reaction: one refresh per value and TTL; the window follows each
 * new load time at the next load. Why it spreads a fleet: instances loaded at one moment (a
 * deploy, a flush) draw independent moments over half a TTL by default, so the origin sees
 * their refreshes spread instead of together, whatever its latency. A value refreshed on time
 * keeps the phase that draw gave it (and the lifetime jitter moves it further), so later
 * refreshes stay spread without being brought forward again by a fresh draw: each draw over the
 * window costs about a quarter of a TTL of freshness, once per fill instead of once per TTL, and
 * a refresh on time costs about two read gaps. A refresh that
 * started late (a key read more rarely than its refresh is due, or an origin that was down, so
 * that many instances may refresh together when it returns) draws over the window again. Why
 * it cannot stay stuck: every value gets a refresh moment no later than its expiry; a failed
 * refresh backs off for at most an eighth of the TTL; past the stale window a read always
 * loads. {@code FleetSimulationTest} holds the replay table.
 *
 * <h2>Null results</h2>
 *
 * <p>A loader that returns null has failed: the call is treated exactly like a loader that threw
 * a {@link NullPointerException} (stale-if-error applies, nothing is stored, the next call loads
 * again). A cache never returns null. To cache absence, make the value type an
 * {@link java.util.Optional}: an empty optional is a value like any other, cached for the TTL,
 * so that a missing key cannot be used to hammer the origin.
 *
 * <h2>Time</h2>
 *
 * <p>Freshness, expiry, recompute times and the loader timeout use the injected
 * {@link NanoClock} and {@link Scheduler}; the defaults are {@link NanoClock#coarse()}, so that
 * the hit path reads a volatile instead of {@code System.nanoTime()}, and
 * {@link Scheduler#system()}. A manual clock with a scheduler that follows it runs the whole
 * cache, timeouts included, in virtual time. Recompute times are floored at 1 ms, the coarse
 * clock's resolution.
 *
 * <h2>Where loads run</h2>
 *
 * <p>{@link #get} runs a miss's loader on the calling thread when no loader timeout is set, and
 * on the refresh executor otherwise (the caller waits at most the timeout). Refreshes and
 * {@link #getAsync(Object, Function)} run the loader on the refresh executor; an asynchronous
 * loader ({@link #getAsync(Object, BiFunction)}) is called on the reading thread and must not
 * block. Every load and refresh goes through the {@link LoadPath}, the seam for a fleet-wide
 * tier.
 *
 * <p>Thread-safety: safe for concurrent use by any number of threads.
 *
 * @param <K> the key type; keys need {@code equals} and {@code hashCode}
 * @param <V> the value type
 */
public final class HeadroomCache<K, V> implements Instrumented {

  // Algorithm and races.
  //
  // Two maps: `store`, a Caffeine cache of immutable Entry objects, and `inFlight`, a
  // ConcurrentHashMap from key to the one Flight (load or refresh) running for it. Single flight
  // is the putIfAbsent into inFlight: the thread that wins owns the load, everyone else who
  // finds the Flight joins its future. Readers race with each other (benign: all read immutable
  // entries) and with loads completing. A completing load first stores its entry, then removes
  // its Flight, then completes the Flight's future; so a reader that misses the Flight in
  // inFlight finds the new entry in store, and a winner of the putIfAbsent re-reads store before
  // loading, in case a load finished between its first read and its putIfAbsent (without that
  // second read a miss racing a completion would load twice). Removing the Flight before
  // completing its future means a caller that sees the failure and calls again starts a fresh
  // load: no failed or timed-out flight can stay stuck. invalidate() removes the Flight too; a
  // completion that no longer finds its own Flight in inFlight does not store its result (an
  // invalidation won the race), but still hands it to the callers that were waiting.
  //
  // Memory orders: Caffeine and ConcurrentHashMap publish entries safely (a put happens-before
  // a get that sees it); entries are immutable apart from a lazily made completed future (a
  // benign race, see Entry.completed). Counters are LongAdders, read only for metrics.
  //
  // The hit path is: one quiet Caffeine read (Policy.getIfPresentQuietly: the map lookup and
  // Caffeine's own expiry check, without the read-buffer offer), one clock read, one compare
  // against the entry's precomputed refreshFrom, one LongAdder increment. The refresh moment is
  // drawn when an entry is stored, never on a read. Everything else (refresh, stale serves,
  // failure entries) is behind that compare, in separate methods so the hot one stays small
  // enough to inline.
  //
  // Eviction policy: one hit in POLICY_SAMPLE (drawn from ThreadLocalRandom, see hit()) is
  // also read through getIfPresent, which records it in Caffeine's read buffer (frequency
  // sketch and recency order). Caffeine's read buffer is itself lossy (it drops reads when a
  // stripe is full), and W-TinyLFU compares relative frequencies, which a sample taken at the
  // same rate for every key keeps; what the sample saves is the read path's bookkeeping on the
  // other hits, about as much as the exact hit counter costs. Loads and refreshes are writes,
  // which Caffeine always records.

  /** Recompute times are floored at this (1 ms), the coarse clock's resolution. */
  static final long MIN_DELTA_NANOS = 1_000_000L;

  /** One read in this many (a power of two) is recorded in Caffeine's eviction policy. */
  static final int POLICY_SAMPLE = 16;

  /** The refresh back-off never exceeds this fraction of the TTL (one eighth). */
  static final int BACKOFF_TTL_DIVISOR = 8;

  private final CacheConfig config;
  private final String name;
  private final long ttlNanos;
  private final long staleNanos;
  private final long negativeNanos;
  private final long timeoutNanos;
  private final double beta;
  /**
   * How many of a key's read gaps an on-time refresh is due before its expiry, on top of
   * XFetch's term: with reads at random, the next refresh then misses every read before the
   * expiry (and the first read after it is answered stale) about once in {@code e^2 = 7}
   * times. More gaps mean fewer stale reads and more origin calls; in the fleet replay two keep
   * the calls below those of Caffeine's {@code expireAfterWrite}.
   */
  private static final double READ_GAPS = 2.0;

  private final double windowNanos;
  private final double jitterNanos;
  private final NanoClock clock;
  private final Scheduler scheduler;
  private final RandomGenerator random;
  private final Executor executor;
  private final LoadPath<K, V> loadPath;
  private final Cache<K, Entry<V>> store;
  private final Policy<K, Entry<V>> policy;
  private final ConcurrentHashMap<K, Flight<V>> inFlight = new ConcurrentHashMap<>();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder waits = new LongAdder();
  private final LongAdder earlyRefreshes = new LongAdder();
  private final LongAdder staleRefreshes = new LongAdder();
  private final LongAdder staleHits = new LongAdder();
  private final LongAdder staleServes = new LongAdder();
  private final LongAdder negativeHits = new LongAdder();
  private final LongAdder loadSuccesses = new LongAdder();
  private final LongAdder loadFailures = new LongAdder();
  private final LongAdder loadTimeouts = new LongAdder();
  private final LongAdder loadNanos = new LongAdder();

  private HeadroomCache(Builder<K, V> b, CacheConfig config) {
    this.config = config;
    this.name = config.name();
    this.ttlNanos = config.ttl().toNanos();
    this.staleNanos = config.staleIfError().toNanos();
    this.negativeNanos = config.negativeTtl().toNanos();
    this.timeoutNanos = config.loaderTimeout().toNanos();
    this.beta = config.beta();
    this.windowNanos = config.earlyRefresh() * (double) ttlNanos;
    this.jitterNanos = config.ttlJitter() * (double) ttlNanos;
    this.clock = b.clock;
    this.scheduler = b.scheduler;
    this.random = b.random;
    this.executor = b.executor;
    this.loadPath = b.loadPath;
    this.store = buildStore(config, b.clock, b.weigher);
    this.policy = store.policy();
  }

  private static <K, V> Cache<K, Entry<V>> buildStore(CacheConfig config, NanoClock clock,
      ToIntBiFunction<? super K, ? super V> weigher) {
    long lifetime = Math.max(config.ttl().plus(config.staleIfError()).toNanos(),
        config.negativeTtl().toNanos());
    // Caffeine's maintenance (draining its read and write buffers, evicting, expiring) runs on
    // the threads that use the cache, amortised over their calls, instead of being handed to
    // ForkJoinPool.commonPool. The hit path feeds the policy only a sample of hits, so the read
    // buffer fills slowly, and each fill handed to the pool woke an idle worker thread: that
    // wake-up cost about a third of a hit on average. It also keeps eviction independent of a
    // common pool the application may keep busy. Loads run on the refresh executor, not here.
    // No entry lives past ttl + staleIfError from its write: freshness is capped at the TTL.
    Caffeine<Object, Object> caffeine = Caffeine.newBuilder()
        .executor(Runnable::run)
        .ticker(clock::nanoTime)
        .expireAfterWrite(Duration.ofNanos(lifetime));
    if (config.maximumSize() != CacheConfig.UNBOUNDED) {
      caffeine.maximumSize(config.maximumSize());
    }
    if (config.maximumWeight() != CacheConfig.UNBOUNDED) {
      return caffeine.maximumWeight(config.maximumWeight())
          .weigher((K key, Entry<V> entry) ->
              entry.value == null ? 1 : Math.max(0, weigher.applyAsInt(key, entry.value)))
          .build();
    }
    return caffeine.build();
  }

  /**
   * Starts a builder.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param name the cache's name, for meter tags and error messages
   * @return a new builder
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  public static <K, V> Builder<K, V> builder(String name) {
    return new Builder<>(Checks.requireNonBlank("name", name));
  }

  // ---------------------------------------------------------------------------------------
  // Reads

  /**
   * Returns the value for {@code key}, loading it with {@code loader} if no servable value is
   * cached. See the class comment for what happens on each path.
   *
   * @param key the key
   * @param loader computes the value from the origin; must not return null
   * @return the value, possibly stale (past its expiry, inside its stale window); never null
   * @throws IllegalArgumentException if {@code key} or {@code loader} is null
   * @throws CacheLoadException if the load failed and no value could be served
   */
  public V get(K key, Function<? super K, ? extends V> loader) {
    if (key == null || loader == null) {
      throw nullArgument(key);
    }
    Entry<V> e = read(key);
    long now = clock.nanoTime();
    if (e != null && now - e.refreshFrom < 0) {
      hit(key);
      return e.value;
    }
    return resolve(key, loader, e).value;
  }

  /**
   * Like {@link #get}, but tells whether the value served is stale.
   *
   * @param key the key
   * @param loader computes the value from the origin; must not return null
   * @return the value and whether it is past its expiry
   * @throws IllegalArgumentException if {@code key} or {@code loader} is null
   * @throws CacheLoadException if the load failed and no value could be served
   */
  public Lookup<V> lookup(K key, Function<? super K, ? extends V> loader) {
    if (key == null || loader == null) {
      throw nullArgument(key);
    }
    Entry<V> e = read(key);
    long now = clock.nanoTime();
    if (e != null && now - e.refreshFrom < 0) {
      hit(key);
    } else {
      e = resolve(key, loader, e);
    }
    return new Lookup<>(e.value, clock.nanoTime() - e.expiresAt >= 0);
  }

  /**
   * Returns the value for {@code key} as a future; a miss runs {@code loader} on the refresh
   * executor. A hit returns an already completed future shared by all callers of that entry:
   * do not complete it.
   *
   * @param key the key
   * @param loader computes the value from the origin; must not return null
   * @return the value's future; it fails with a {@link CacheLoadException} if the load failed
   *     and no value could be served
   * @throws IllegalArgumentException if {@code key} or {@code loader} is null
   */
  public CompletableFuture<V> getAsync(K key, Function<? super K, ? extends V> loader) {
    if (key == null || loader == null) {
      throw nullArgument(key);
    }
    Entry<V> e = read(key);
    long now = clock.nanoTime();
    if (e != null && now - e.refreshFrom < 0) {
      hit(key);
      return e.completed();
    }
    return resolveAsync(key, loader, null, e);
  }

  /**
   * Returns the value for {@code key} as a future, loading it with an asynchronous loader. The
   * loader is called on the reading thread with the refresh executor and must not block.
   *
   * @param key the key
   * @param loader starts the load and returns its future; neither may be null
   * @return the value's future; it fails with a {@link CacheLoadException} if the load failed
   *     and no value could be served
   * @throws IllegalArgumentException if {@code key} or {@code loader} is null
   */
  public CompletableFuture<V> getAsync(K key,
      BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> loader) {
    if (key == null || loader == null) {
      throw nullArgument(key);
    }
    Entry<V> e = read(key);
    long now = clock.nanoTime();
    if (e != null && now - e.refreshFrom < 0) {
      hit(key);
      return e.completed();
    }
    return resolveAsync(key, null, loader, e);
  }

  /**
   * Returns the values for {@code keys}, loading every key that has no servable value with one
   * call of {@code batchLoader} on the calling thread. Keys whose load another caller already
   * started are not loaded again: this call waits for those loads instead. Each key follows the
   * rules of {@link #get}: single flight, refresh (through a one-key call of the batch loader),
   * stale serves, and the {@link LoadPath}, which sees one call per key (the batch loader then
   * receives only the keys the path passed on to {@link LoadRequest#local()}). A key the batch
   * loader leaves out of its answer, or maps to null, has failed to load.
   *
   * @param keys the keys; duplicates are read once
   * @param batchLoader loads the given keys (an unmodifiable set) and returns their values
   * @return the values, in the iteration order of {@code keys}
   * @throws IllegalArgumentException if {@code keys}, one of them or {@code batchLoader} is null
   * @throws CacheLoadException for the first key (in iteration order) whose load failed with no
   *     value to serve; the other keys' loads still completed and were stored
   */
  public Map<K, V> getAll(Iterable<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> batchLoader) {
    Checks.requireNonNull("keys", keys);
    Checks.requireNonNull("batchLoader", batchLoader);
    Function<K, V> single = key -> {
      Map<? extends K, ? extends V> one = batchLoader.apply(Set.of(key));
      return one == null ? null : one.get(key);
    };
    // Validate every key before registering any flight, so a bad key cannot strand one.
    List<K> wanted = new ArrayList<>();
    for (K key : keys) {
      wanted.add(Checks.requireNonNull("key", key));
    }
    Map<K, V> result = new LinkedHashMap<>();
    Map<K, Flight<V>> pending = new LinkedHashMap<>();
    Map<K, CacheLoadException> failed = new HashMap<>();
    Map<K, CompletableFuture<V>> batch = new LinkedHashMap<>();
    List<Map.Entry<K, Flight<V>>> owned = new ArrayList<>();
    for (K key : wanted) {
      if (result.containsKey(key)) {
        continue;
      }
      result.put(key, null); // holds the key's place in the iteration order
      Entry<V> e = read(key);
      long now = clock.nanoTime();
      if (e != null) {
        try {
          Entry<V> served = serveWithoutWaiting(key, e, now, single, null);
          if (served != null) {
            result.put(key, served.value);
            continue;
          }
        } catch (CacheLoadException ex) {
          failed.put(key, ex);
          continue;
        }
      }
      misses.increment();
      Flight<V> mine = new Flight<>(e, LoadPath.Reason.MISS);
      Flight<V> flight = join(key, mine, now);
      if (flight == mine) {
        owned.add(Map.entry(key, mine));
      } else if (!flight.result.isDone()) {
        waits.increment();
      }
      pending.put(key, flight);
    }
    // The load path normally calls local() while launch() runs, on this thread; a path that
    // calls it later, from elsewhere, gets a one-key load on the executor once the batch is
    // closed. The lock only guards that hand-over, never a read.
    boolean[] closed = new boolean[1];
    for (Map.Entry<K, Flight<V>> o : owned) {
      K key = o.getKey();
      launch(key, o.getValue(), () -> {
        synchronized (batch) {
          if (!closed[0]) {
            return batch.computeIfAbsent(key, k -> new CompletableFuture<>());
          }
        }
        return CompletableFuture.supplyAsync(() -> single.apply(key), executor);
      });
    }
    Map<K, CompletableFuture<V>> toLoad;
    synchronized (batch) {
      closed[0] = true;
      toLoad = new LinkedHashMap<>(batch);
    }
    if (!toLoad.isEmpty()) {
      runBatch(batchLoader, toLoad);
    }
    for (Map.Entry<K, Flight<V>> p : pending.entrySet()) {
      try {
        result.put(p.getKey(), await(p.getKey(), p.getValue()).value);
      } catch (CacheLoadException ex) {
        failed.put(p.getKey(), ex);
      }
    }
    if (!failed.isEmpty()) {
      for (K key : result.keySet()) {
        CacheLoadException ex = failed.get(key);
        if (ex != null) {
          throw ex;
        }
      }
    }
    return result;
  }

  private void runBatch(Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> loader,
      Map<K, CompletableFuture<V>> batch) {
    Map<? extends K, ? extends V> loaded;
    try {
      loaded = loader.apply(Collections.unmodifiableSet(batch.keySet()));
    } catch (Throwable t) {
      batch.values().forEach(f -> f.completeExceptionally(t));
      return;
    }
    for (Map.Entry<K, CompletableFuture<V>> b : batch.entrySet()) {
      b.getValue().complete(loaded == null ? null : loaded.get(b.getKey()));
    }
  }

  /**
   * Returns the cached value if it is fresh, without loading, refreshing or counting.
   *
   * @param key the key
   * @return the fresh value, or null
   * @throws IllegalArgumentException if {@code key} is null
   */
  public V getIfFresh(K key) {
    Checks.requireNonNull("key", key);
    Entry<V> e = read(key);
    return e != null && e.isFreshValue(clock.nanoTime()) ? e.value : null;
  }

  /**
   * Drops the entry for {@code key}. A load in flight for it still answers the callers waiting
   * on it, but its result is not stored.
   *
   * @param key the key
   * @throws IllegalArgumentException if {@code key} is null
   */
  public void invalidate(K key) {
    Checks.requireNonNull("key", key);
    inFlight.remove(key);
    store.invalidate(key);
  }

  /**
   * Runs Caffeine's pending maintenance (eviction, expiry) now instead of on its next
   * opportunity; for tests and for exact {@link #estimatedSize()} readings.
   */
  public void cleanUp() {
    store.cleanUp();
  }

  /** Drops every entry; loads in flight answer their callers but store nothing. */
  public void invalidateAll() {
    inFlight.clear();
    store.invalidateAll();
  }

  /** The read every lookup starts with: Caffeine's quiet read, no policy bookkeeping. */
  private Entry<V> read(K key) {
    return policy.getIfPresentQuietly(key);
  }

  /**
   * Counts a hit, and for one hit in {@link #POLICY_SAMPLE}, drawn at random, reads the key
   * again through {@code getIfPresent} so that Caffeine's eviction policy sees it. (A sample
   * chosen by clock bits instead of a draw was measured too: it saves the draw but samples a
   * key for every hit in a clock tick, and those bursts cost more at two threads than the draw.)
   */
  private void hit(K key) {
    hits.increment();
    if ((ThreadLocalRandom.current().nextInt() & (POLICY_SAMPLE - 1)) == 0) {
      store.getIfPresent(key);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Slow paths

  /** A synchronous read that left the fast path; returns the entry whose value is served. */
  private Entry<V> resolve(K key, Function<? super K, ? extends V> loader, Entry<V> e) {
    long now = clock.nanoTime();
    if (e != null) {
      Entry<V> served = serveWithoutWaiting(key, e, now, loader, null);
      if (served != null) {
        return served;
      }
    }
    misses.increment();
    Flight<V> mine = new Flight<>(e, LoadPath.Reason.MISS);
    Flight<V> flight = join(key, mine, now);
    if (flight == mine) {
      launch(key, mine, () -> startLocal(key, mine, loader, null, timeoutNanos == 0L));
    } else if (!flight.result.isDone()) {
      waits.increment();
    }
    return await(key, flight);
  }

  /**
   * Answers a read from the entry it found, without waiting: a fresh value (starting its
   * refresh when due), an expired value inside its stale window (starting its refresh), or a
   * remembered failure. Returns null when the caller must wait for a load.
   *
   * @throws CacheLoadException for a remembered failure with no stale value to serve
   */
  private Entry<V> serveWithoutWaiting(K key, Entry<V> e, long now,
      Function<? super K, ? extends V> sync,
      BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> async) {
    if (e.isValue()) {
      if (now - e.expiresAt < 0) {
        maybeRefresh(key, e, now, sync, async, earlyRefreshes);
        hit(key);
        return e;
      }
      if (now - e.staleUntil < 0) {
        maybeRefresh(key, e, now, sync, async, staleRefreshes);
        staleHits.increment();
        staleServes.increment();
        return e;
      }
      return null;
    }
    if (now - e.expiresAt < 0) {
      return rememberedFailure(key, e, now);
    }
    return null;
  }

  /** Waits for a flight; returns its entry, or the previous one if stale-if-error allows. */
  private Entry<V> await(K key, Flight<V> flight) {
    try {
      return flight.result.get();
    } catch (ExecutionException ex) {
      return servePrevious(key, flight, ex.getCause());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new CacheLoadException(name, key, ex);
    }
  }

  private CompletableFuture<V> resolveAsync(K key, Function<? super K, ? extends V> sync,
      BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> async,
      Entry<V> e) {
    long now = clock.nanoTime();
    if (e != null) {
      try {
        Entry<V> served = serveWithoutWaiting(key, e, now, sync, async);
        if (served != null) {
          return served.completed();
        }
      } catch (CacheLoadException ex) {
        return CompletableFuture.failedFuture(ex);
      }
    }
    misses.increment();
    Flight<V> mine = new Flight<>(e, LoadPath.Reason.MISS);
    Flight<V> flight = join(key, mine, now);
    if (flight == mine) {
      launch(key, mine, () -> startLocal(key, mine, sync, async, false));
    } else if (!flight.result.isDone()) {
      waits.increment();
    }
    return flight.result.handle((entry, failure) ->
        failure == null ? entry.value : servePrevious(key, flight, unwrap(failure)).value);
  }

  /**
   * Joins the flight in progress for {@code key}, or makes {@code mine} that flight. Returns
   * {@code mine} if the caller now owns the load (and must launch it), another flight to wait
   * on, or {@code mine} already completed if a load finished in the meantime.
   */
  private Flight<V> join(K key, Flight<V> mine, long now) {
    Flight<V> other = inFlight.get(key);
    if (other == null) {
      other = inFlight.putIfAbsent(key, mine);
    }
    if (other != null) {
      return other;
    }
    // Second read: a load may have stored a fresh entry between our first read and our
    // putIfAbsent. Without this check a miss racing a completion would load twice.
    Entry<V> current = store.getIfPresent(key);
    if (current != null && current != mine.previous && current.isFreshValue(now)) {
      inFlight.remove(key, mine);
      mine.result.complete(current);
      return completedTwin(mine);
    }
    return mine;
  }

  /** A flight of ours that was settled without a load: callers read it, nobody launches it. */
  private static <V> Flight<V> completedTwin(Flight<V> settled) {
    Flight<V> twin = new Flight<>(settled.previous, settled.reason);
    twin.result.complete(settled.result.getNow(null));
    return twin;
  }

  /**
   * Starts a background refresh of a value whose refresh is due (its drawn moment, or its
   * back-off after a failed refresh, has passed), unless one is in flight.
   */
  private void maybeRefresh(K key, Entry<V> e, long now, Function<? super K, ? extends V> sync,
      BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> async,
      LongAdder counter) {
    if (now - e.retryAt < 0 || inFlight.containsKey(key)) {
      return;
    }
    Flight<V> mine = new Flight<>(e, LoadPath.Reason.REFRESH);
    if (join(key, mine, now) != mine) {
      return;
    }
    counter.increment();
    launch(key, mine, () -> startLocal(key, mine, sync, async, false));
  }

  /** Answers a read that found an unexpired failure entry (negative caching). */
  private Entry<V> rememberedFailure(K key, Entry<V> failure, long now) {
    negativeHits.increment();
    Entry<V> good = failure.lastGood;
    if (good != null && now - good.staleUntil < 0) {
      staleServes.increment();
      return good;
    }
    throw new CacheLoadException(name, key, failure.error);
  }

  /** Answers a caller whose flight failed: the previous value inside its window, or an error. */
  private Entry<V> servePrevious(K key, Flight<V> flight, Throwable cause) {
    Entry<V> good = flight.previous == null ? null : flight.previous.good();
    if (good != null && clock.nanoTime() - good.staleUntil < 0) {
      staleServes.increment();
      return good;
    }
    throw new CacheLoadException(name, key, cause);
  }

  // ---------------------------------------------------------------------------------------
  // Loads

  /** Starts the load the caller owns; its completion stores the entry and settles the flight. */
  private void launch(K key, Flight<V> flight, Supplier<CompletableFuture<V>> local) {
    flight.startedAt = clock.nanoTime();
    CompletableFuture<Loaded<V>> source;
    try {
      source = loadPath.load(new LoadRequest<>(this, key, flight.reason, flight.previous,
          local));
      if (source == null) {
        source = CompletableFuture.failedFuture(
            new NullPointerException("loadPath returned null for key " + key));
      }
    } catch (Throwable t) {
      source = CompletableFuture.failedFuture(t);
    }
    if (timeoutNanos > 0L && !source.isDone()) {
      CompletableFuture<Loaded<V>> bounded = new CompletableFuture<>();
      Scheduler.Scheduled timer = scheduler.schedule(timeoutNanos,
          () -> bounded.completeExceptionally(new TimeoutException("cache '" + name
              + "': the load of key " + key + " outlived the loader timeout of "
              + config.loaderTimeout())));
      source.whenComplete((v, t) -> {
        timer.cancel();
        if (t == null) {
          bounded.complete(v);
        } else {
          bounded.completeExceptionally(t);
        }
      });
      source = bounded;
    }
    source.whenComplete((loaded, failure) -> complete(key, flight, loaded, failure));
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<V> startLocal(K key, Flight<V> flight,
      Function<? super K, ? extends V> sync,
      BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> async,
      boolean inline) {
    try {
      if (async != null) {
        return (CompletableFuture<V>) async.apply(key, executor);
      }
      if (inline) {
        return CompletableFuture.completedFuture(sync.apply(key));
      }
      LoadTask<K, V> task = new LoadTask<>(key, sync);
      flight.task = task;
      executor.execute(task);
      return task.future;
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
  }

  /**
   * Settles a flight: runs once per flight, on whichever thread completed its load. Whatever
   * goes wrong while storing (a user weigher that throws, say) still settles the flight, so no
   * caller can be left waiting and no stale flight can block the key.
   */
  private void complete(K key, Flight<V> flight, Loaded<V> loaded, Throwable failure) {
    try {
      settle(key, flight, loaded, failure);
    } catch (Throwable t) {
      inFlight.remove(key, flight);
      if (flight.result.completeExceptionally(t)) {
        loadFailures.increment();
      }
    }
  }

  private void settle(K key, Flight<V> flight, Loaded<V> loaded, Throwable failure) {
    long now = clock.nanoTime();
    loadNanos.add(Math.max(0L, now - flight.startedAt));
    Throwable cause = unwrap(failure);
    if (cause == null && loaded == null) {
      cause = new NullPointerException("loadPath completed with null for key " + key);
    }
    boolean current = inFlight.get(key) == flight;
    if (cause == null) {
      long delta = Math.max(MIN_DELTA_NANOS, loaded.loadNanos());
      long fresh = Math.min(loaded.freshForNanos(), ttlNanos);
      boolean onTime = onTime(flight);
      long readGap = readGap(flight);
      Entry<V> entry = Entry.success(loaded.value(), now, fresh, staleNanos, delta,
          drawGap(delta, onTime, readGap), readGap);
      if (current) {
        store.put(key, entry);
        inFlight.remove(key, flight);
      }
      loadSuccesses.increment();
      flight.result.complete(entry);
      return;
    }
    if (cause instanceof TimeoutException) {
      loadTimeouts.increment();
      LoadTask<?, V> task = flight.task;
      if (task != null) {
        task.cancel();
      }
    } else {
      loadFailures.increment();
    }
    if (current) {
      Entry<V> previous = flight.previous;
      if (flight.reason == LoadPath.Reason.REFRESH) {
        // Keep serving the value (fresh, or stale inside its window), but start no new refresh
        // before a back-off, so a failing origin is not retried at the full read rate.
        store.asMap().replace(key, previous,
            previous.afterFailedRefresh(now + backoff(previous)));
      } else if (negativeNanos > 0L) {
        store.put(key, Entry.failure(cause, previous == null ? null : previous.good(), now,
            negativeNanos));
      }
      inFlight.remove(key, flight);
    }
    flight.result.completeExceptionally(cause);
  }

  /** The lifetime of a value loaded here: the TTL less a uniform draw of the jitter. */
  long drawTtl() {
    if (jitterNanos == 0.0) {
      return ttlNanos;
    }
    return Math.max(1L, ttlNanos - (long) (jitterNanos * draw()));
  }

  /**
   * How long before its expiry a value's refresh is due: the TTL window (unless the value
   * replaces one refreshed on time, see {@link #onTime}) plus XFetch's term, and never less than
   * two load times (when either term is on), so that a value read at least once per load time
   * starts its refresh a load time before it expires and is replaced in time.
   */
  private long drawGap(long deltaNanos, boolean onTime, long readGapNanos) {
    if (windowNanos == 0.0 && beta == 0.0) {
      return 0L;
    }
    double gap = 0.0;
    if (windowNanos > 0.0) {
      gap += onTime
          ? Math.min(windowNanos, READ_GAPS * (double) readGapNanos)
          : windowNanos * draw();
    }
    if (beta > 0.0) {
      gap += -beta * (double) deltaNanos * Math.log(1.0 - draw());
    }
    gap = Math.max(gap, 2.0 * (double) deltaNanos);
    return gap >= (double) Long.MAX_VALUE ? Long.MAX_VALUE : (long) gap;
  }

  /**
   * True if the flight refreshed a fresh value that had never failed to refresh: its moment
   * was already one drawn over the window (or it follows one that was), so the fleet is as
   * spread as that draw made it, and a new draw over the window would only bring every later
   * refresh forward again. A miss, a refresh of an expired value (the key was read too rarely,
   * or the origin was down) or a retry after a failed refresh draws over the window.
   */
  static boolean onTime(Flight<?> flight) {
    Entry<?> previous = flight.previous;
    return flight.reason == LoadPath.Reason.REFRESH && previous != null && previous.isValue()
        && previous.failures == 0 && flight.startedAt - previous.expiresAt < 0;
  }

  /**
   * The key's read gap after this flight: how long after its due moment a refresh started (the
   * wait for the key's next read, whether it came before the expiry or after it), averaged with
   * the previous value's estimate. A miss starts from 0 and a retry after a failed refresh
   * keeps the previous estimate (it waited for the back-off, not for a read).
   */
  private static long readGap(Flight<?> flight) {
    Entry<?> previous = flight.previous;
    if (previous == null || !previous.isValue()) {
      return 0L;
    }
    if (flight.reason != LoadPath.Reason.REFRESH || previous.failures > 0) {
      return previous.readGapNanos;
    }
    long late = Math.max(0L, flight.startedAt - previous.refreshFrom);
    return previous.readGapNanos == 0L ? late : previous.readGapNanos / 2 + late / 2;
  }

  /**
   * The wait after a failed refresh before the next: one load time, doubled for each failure in
   * a row, capped at an eighth of the TTL, times a draw in [0.5, 1.5) so a fleet spreads out.
   */
  private long backoff(Entry<V> previous) {
    long base = Math.max(MIN_DELTA_NANOS, previous.deltaNanos);
    long cap = Math.max(base, ttlNanos / BACKOFF_TTL_DIVISOR);
    int doublings = Math.min(previous.failures, 30);
    long wait = base > (cap >> doublings) ? cap : base << doublings;
    return (long) ((double) wait * (0.5 + draw()));
  }

  private double draw() {
    return (random == null ? ThreadLocalRandom.current() : random).nextDouble();
  }

  NanoClock clock() {
    return clock;
  }

  Scheduler scheduler() {
    return scheduler;
  }

  Executor executor() {
    return executor;
  }

  long ttlNanos() {
    return ttlNanos;
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static IllegalArgumentException nullArgument(Object key) {
    return new IllegalArgumentException(
        Checks.message(key == null ? "key" : "loader", "non-null", null));
  }

  // ---------------------------------------------------------------------------------------
  // State

  /**
   * Returns the settings.
   *
   * @return the immutable config
   */
  public CacheConfig config() {
    return config;
  }

  /**
   * Returns the cache's name.
   *
   * @return the configured name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the reads answered at once with a fresh value (including reads that also started
   * a refresh).
   *
   * @return the count since creation
   */
  public long hits() {
    return hits.sum();
  }

  /**
   * Returns the reads that found no servable value and so waited for a load: those that started
   * it and those that joined one in flight.
   *
   * @return the count since creation
   */
  public long misses() {
    return misses.sum();
  }

  /**
   * Returns the reads that joined a load another caller had started and was still running
   * (single flight at work); a subset of {@link #misses()}.
   *
   * @return the count since creation
   */
  public long waits() {
    return waits.sum();
  }

  /**
   * Returns the refreshes started before expiry, when a value's drawn refresh moment had come.
   *
   * @return the count since creation
   */
  public long earlyRefreshes() {
    return earlyRefreshes.sum();
  }

  /**
   * Returns the refreshes started by a read of an expired value inside its stale window (a key
   * read too rarely to be refreshed before it expired).
   *
   * @return the count since creation
   */
  public long staleRefreshes() {
    return staleRefreshes.sum();
  }

  /**
   * Returns the reads answered at once with an expired value inside its stale window, while a
   * refresh replaces it. Every read is exactly one of a hit, a stale hit, a miss or a negative
   * hit.
   *
   * @return the count since creation
   */
  public long staleHits() {
    return staleHits.sum();
  }

  /**
   * Returns the reads answered with a value past its expiry: stale hits, and reads whose load
   * failed and were given the previous value instead.
   *
   * @return the count since creation
   */
  public long staleServes() {
    return staleServes.sum();
  }

  /**
   * Returns the reads answered from a remembered failure (negative caching), with its stale
   * value or its error.
   *
   * @return the count since creation
   */
  public long negativeHits() {
    return negativeHits.sum();
  }

  /**
   * Returns the loads and refreshes that produced a value.
   *
   * @return the count since creation
   */
  public long loadSuccesses() {
    return loadSuccesses.sum();
  }

  /**
   * Returns the loads and refreshes that failed (threw or returned null), timeouts excluded.
   *
   * @return the count since creation
   */
  public long loadFailures() {
    return loadFailures.sum();
  }

  /**
   * Returns the loads and refreshes abandoned at the loader timeout.
   *
   * @return the count since creation
   */
  public long loadTimeouts() {
    return loadTimeouts.sum();
  }

  /**
   * Returns the total time spent in loads and refreshes, by the cache's clock.
   *
   * @return nanoseconds since creation
   */
  public long loadTimeNanos() {
    return loadNanos.sum();
  }

  /**
   * Returns the loads and refreshes in flight now.
   *
   * @return the number of keys being loaded
   */
  public int inFlight() {
    return inFlight.size();
  }

  /**
   * Returns Caffeine's estimate of the entries held, including expired ones still inside their
   * stale window and remembered failures.
   *
   * @return the estimated size
   */
  public long estimatedSize() {
    return store.estimatedSize();
  }

  /**
   * Declares {@code headroom.cache.*}: {@code hits}, {@code misses}, {@code waits},
   * {@code early_refreshes}, {@code stale_refreshes}, {@code stale_hits}, {@code stale_serves},
   * {@code negative_hits}, {@code loads}
   * (tag {@code outcome}: success, failure, timeout), the timer {@code load.duration}, and the
   * gauges {@code size} and {@code inflight}; all tagged {@code name}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.counter(id("hits", "Reads answered at once with a fresh value"), hits::sum);
    sink.counter(id("misses", "Reads that waited for a load"), misses::sum);
    sink.counter(id("waits", "Reads that joined a load another caller started"), waits::sum);
    sink.counter(id("early_refreshes", "Refreshes started before expiry"), earlyRefreshes::sum);
    sink.counter(id("stale_refreshes", "Refreshes started by a read of an expired value"),
        staleRefreshes::sum);
    sink.counter(id("stale_hits", "Reads answered at once with an expired value"),
        staleHits::sum);
    sink.counter(id("stale_serves", "Reads served a value past its expiry"),
        staleServes::sum);
    sink.counter(id("negative_hits", "Reads answered from a remembered failure"),
        negativeHits::sum);
    sink.counter(id("loads", "Loads and refreshes by outcome").tag("outcome", "success"),
        loadSuccesses::sum);
    sink.counter(id("loads", "Loads and refreshes by outcome").tag("outcome", "failure"),
        loadFailures::sum);
    sink.counter(id("loads", "Loads and refreshes by outcome").tag("outcome", "timeout"),
        loadTimeouts::sum);
    sink.timer(id("load.duration", "Time spent in loads and refreshes").baseUnit("seconds"),
        () -> loadSuccesses.sum() + loadFailures.sum() + loadTimeouts.sum(), loadNanos::sum);
    sink.gauge(id("size", "Entries held, estimated"), () -> (double) store.estimatedSize());
    sink.gauge(id("inflight", "Loads and refreshes in flight"), () -> (double) inFlight.size());
  }

  private MeterId id(String what, String description) {
    return MeterId.of("headroom.cache." + what).description(description).tag("name", name);
  }

  @Override
  public String toString() {
    return "HeadroomCache[" + name + ", size~" + store.estimatedSize() + ", inFlight="
        + inFlight.size() + "]";
  }
  // ---------------------------------------------------------------------------------------
  // Builder

  /**
   * Builds a {@link HeadroomCache}. Each setter validates its argument at once and may be
   * called only once; {@link #build()} checks the combination. Only {@link #ttl} is required.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   *
   * @param <K> the key type
   * @param <V> the value type
   */
  public static final class Builder<K, V> {
    private final String name;
    private Duration ttl;
    private Double beta;
    private Double earlyRefresh;
    private Double ttlJitter;
    private long maximumSize = CacheConfig.UNBOUNDED;
    private long maximumWeight = CacheConfig.UNBOUNDED;
    private ToIntBiFunction<? super K, ? super V> weigher;
    private Duration staleIfError;
    private Duration negativeTtl;
    private Duration loaderTimeout;
    private NanoClock clock;
    private RandomGenerator random;
    private boolean randomSet;
    private Executor executor;
    private Scheduler scheduler;
    private LoadPath<K, V> loadPath;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Sets how long a loaded value is fresh (its hard expiry), from the end of its load.
     *
     * @param ttl the time to live, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> ttl(Duration ttl) {
      Checks.requirePositive("ttl", ttl);
      Checks.requireNotSet(this.ttl == null, "ttl", this.ttl);
      this.ttl = ttl;
      return this;
    }

    /**
     * Sets the XFetch factor (default {@value CacheConfig#DEFAULT_BETA}): each value's refresh
     * is due at least {@code beta x load time x E} before its expiry, {@code E} an exponential
     * draw of mean 1 made once per value, so that a slow origin is refreshed earlier. {@code 0}
     * turns that term off.
     *
     * @param beta finite and {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> beta(double beta) {
      Checks.requireNonNegative("beta", beta);
      Checks.requireNotSet(this.beta == null, "beta", this.beta);
      this.beta = beta;
      return this;
    }

    /**
     * Sets the refresh window as a fraction of the TTL (default
     * {@value CacheConfig#DEFAULT_EARLY_REFRESH}): each value's refresh is due a uniform draw of
     * up to {@code earlyRefresh x ttl} before its expiry, plus the XFetch term. The window is
     * what spreads a fleet of instances loaded at one moment; a value that replaces one
     * refreshed on time keeps the phase and is due only two of the key's read gaps (at most the
     * window) plus the XFetch term before its expiry (see the class javadoc). {@code 0} turns the window off, and with {@code beta(0)} as well a
     * value is refreshed only once it has expired.
     *
     * @param fraction in {@code [0, 1]}
     * @return this builder
     * @throws IllegalArgumentException if outside {@code [0, 1]} or NaN
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> earlyRefresh(double fraction) {
      Checks.requireInRange("earlyRefresh", fraction, 0.0, true, 1.0, true);
      Checks.requireNotSet(this.earlyRefresh == null, "earlyRefresh", this.earlyRefresh);
      this.earlyRefresh = fraction;
      return this;
    }

    /**
     * Sets the TTL jitter (default {@value CacheConfig#DEFAULT_TTL_JITTER}): each value's
     * lifetime is drawn uniformly in {@code [ttl x (1 - jitter), ttl]}, so that values loaded
     * together do not expire together. {@code 0} gives every value exactly the TTL.
     *
     * @param jitter in {@code [0, 1)}
     * @return this builder
     * @throws IllegalArgumentException if outside {@code [0, 1)} or NaN
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> ttlJitter(double jitter) {
      Checks.requireInRange("ttlJitter", jitter, 0.0, true, 1.0, false);
      Checks.requireNotSet(this.ttlJitter == null, "ttlJitter", this.ttlJitter);
      this.ttlJitter = jitter;
      return this;
    }

    /**
     * Bounds the number of entries (Caffeine's W-TinyLFU eviction).
     *
     * @param maximumSize {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if a maximum size or weight is already set
     */
    public Builder<K, V> maximumSize(long maximumSize) {
      Checks.requirePositive("maximumSize", maximumSize);
      Checks.requireNotSet(this.maximumSize == CacheConfig.UNBOUNDED, "maximumSize",
          this.maximumSize);
      Checks.requireNotSet(this.maximumWeight == CacheConfig.UNBOUNDED, "maximumWeight",
          this.maximumWeight);
      this.maximumSize = maximumSize;
      return this;
    }

    /**
     * Bounds the total weight of the values. A remembered failure weighs 1.
     *
     * @param maximumWeight {@code > 0}
     * @param weigher the weight of one value, {@code >= 0}; negative weights count as 0
     * @return this builder
     * @throws IllegalArgumentException if {@code maximumWeight} is not positive or
     *     {@code weigher} is null
     * @throws IllegalStateException if a maximum size or weight is already set
     */
    public Builder<K, V> maximumWeight(long maximumWeight,
        ToIntBiFunction<? super K, ? super V> weigher) {
      Checks.requirePositive("maximumWeight", maximumWeight);
      Checks.requireNonNull("weigher", weigher);
      Checks.requireNotSet(this.maximumWeight == CacheConfig.UNBOUNDED, "maximumWeight",
          this.maximumWeight);
      Checks.requireNotSet(this.maximumSize == CacheConfig.UNBOUNDED, "maximumSize",
          this.maximumSize);
      this.maximumWeight = maximumWeight;
      this.weigher = weigher;
      return this;
    }

    /**
     * Sets how long past its expiry a value may still be served (default: one TTL). Inside that
     * window a read of an expired value is answered at once with it, marked stale, while a
     * background refresh replaces it; if the refresh fails the value keeps being served until
     * the window ends. {@link Duration#ZERO} makes the expiry hard: a read of an expired value
     * waits for its load, and a failed load reaches the caller.
     *
     * @param window {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> staleIfError(Duration window) {
      Checks.requireNonNegative("staleIfError", window);
      Checks.requireNotSet(this.staleIfError == null, "staleIfError", this.staleIfError);
      this.staleIfError = window;
      return this;
    }

    /**
     * Turns on negative caching: a failed load is remembered for {@code ttl}, during which
     * reads get the stale value (inside its window) or the error without calling the loader.
     * Default 0: errors are never cached.
     *
     * @param ttl {@code >= 0}; keep it short
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> negativeTtl(Duration ttl) {
      Checks.requireNonNegative("negativeTtl", ttl);
      Checks.requireNotSet(this.negativeTtl == null, "negativeTtl", this.negativeTtl);
      this.negativeTtl = ttl;
      return this;
    }

    /**
     * Abandons a load that takes longer than {@code timeout}, measured on the cache's clock and
     * {@link #scheduler(Scheduler) scheduler}: its callers get the
     * stale value or a {@link CacheLoadException} caused by a {@link TimeoutException}, a
     * synchronous loader running on the refresh executor is interrupted, and the next call
     * loads again. With a timeout, {@link HeadroomCache#get} runs loads on the refresh
     * executor. Default 0: no timeout.
     *
     * @param timeout {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> loaderTimeout(Duration timeout) {
      Checks.requireNonNegative("loaderTimeout", timeout);
      Checks.requireNotSet(this.loaderTimeout == null, "loaderTimeout", this.loaderTimeout);
      this.loaderTimeout = timeout;
      return this;
    }

    /**
     * Sets where early refreshes, asynchronous loads and timed loads run (default
     * {@link ForkJoinPool#commonPool()}; give blocking loaders their own executor).
     *
     * @param executor the executor
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> refreshExecutor(Executor executor) {
      Checks.requireNonNull("refreshExecutor", executor);
      Checks.requireNotSet(this.executor == null, "refreshExecutor", this.executor);
      this.executor = executor;
      return this;
    }

    /**
     * Sets the scheduler that times loads out (default {@link Scheduler#system()}, real time).
     * Give one that follows the {@link #clock(NanoClock) clock} to run timeouts in virtual time.
     *
     * @param scheduler the scheduler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> scheduler(Scheduler scheduler) {
      Checks.requireNonNull("scheduler", scheduler);
      Checks.requireNotSet(this.scheduler == null, "scheduler", this.scheduler);
      this.scheduler = scheduler;
      return this;
    }

    /**
     * Sets the clock (default {@link NanoClock#coarse()}).
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> clock(NanoClock clock) {
      Checks.requireNonNull("clock", clock);
      Checks.requireNotSet(this.clock == null, "clock", this.clock);
      this.clock = clock;
      return this;
    }

    /**
     * Sets the source of the draws (refresh moments, lifetimes, back-offs), for tests (default:
     * {@link ThreadLocalRandom}). It is called from the threads that complete loads, so it must
     * be thread-safe unless the test loads from one thread.
     *
     * @param random the generator
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> random(RandomGenerator random) {
      Checks.requireNonNull("random", random);
      Checks.requireNotSet(!randomSet, "random", this.random);
      this.random = random;
      this.randomSet = true;
      return this;
    }

    /**
     * Sets the path every load and refresh goes through (default {@link LoadPath#local()}):
     * the seam for a fleet-wide tier.
     *
     * @param loadPath the path
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder<K, V> loadPath(LoadPath<K, V> loadPath) {
      Checks.requireNonNull("loadPath", loadPath);
      Checks.requireNotSet(this.loadPath == null, "loadPath", this.loadPath);
      this.loadPath = loadPath;
      return this;
    }

    /**
     * Builds the cache.
     *
     * @return a new cache
     * @throws IllegalStateException if no TTL was set
     * @throws IllegalArgumentException if {@code ttl + staleIfError} exceeds a century (the
     *     default stale window is the TTL)
     */
    public HeadroomCache<K, V> build() {
      Checks.requireState(ttl != null, "ttl must be set");
      CacheConfig config = new CacheConfig(name, ttl,
          beta == null ? CacheConfig.DEFAULT_BETA : beta,
          earlyRefresh == null ? CacheConfig.DEFAULT_EARLY_REFRESH : earlyRefresh,
          ttlJitter == null ? CacheConfig.DEFAULT_TTL_JITTER : ttlJitter,
          maximumSize, maximumWeight,
          staleIfError == null ? ttl : staleIfError,
          negativeTtl == null ? Duration.ZERO : negativeTtl,
          loaderTimeout == null ? Duration.ZERO : loaderTimeout);
      if (clock == null) {
        clock = NanoClock.coarse();
      }
      if (executor == null) {
        executor = ForkJoinPool.commonPool();
      }
      if (scheduler == null) {
        scheduler = Scheduler.system();
      }
      if (loadPath == null) {
        loadPath = LoadPath.local();
      }
      return new HeadroomCache<>(this, config);
    }
  }
}
