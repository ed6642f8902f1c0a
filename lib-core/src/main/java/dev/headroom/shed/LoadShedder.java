package dev.headroom.shed;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

/**
 * A priority load shedder with a fixed or adaptive concurrency limit.
 *
 * <p>A request of priority {@code p} is admitted while the number in flight is below
 * {@code capacity(p) = max(1, floor(limit * share(p)))}; shares are ordered
 * ({@code LOW <= NORMAL <= HIGH <= 1}), so at any moment a lower priority is refused before a
 * higher one. {@link Priority#CRITICAL} is always admitted and counts as in-flight. The limit
 * comes from a {@link LimitPolicy}: fixed, AIMD or gradient.
 *
 * <p>With an adaptive limit the shares are the bands under pressure. Each window without
 * pressure (no HIGH or NORMAL request refused, no CRITICAL admitted beyond the limit, the
 * limit not falling) opens them a quarter of
 * the remaining way, {@code share + open * (1 - share)}, until every priority may fill the limit
 * ({@link #bandsOpen()}, gauge {@code headroom.shed.bands.open}); a window with pressure closes
 * them to the shares again. At normal load LOW is then not refused at half the limit
 * whenever in-flight peaks; those refusals would ask an adaptive limit for more concurrency,
 * and it would settle at twice what the load uses, where the next spike finds it (above the
 * collapse point of a small backend). The first HIGH or NORMAL request refused closes them at
 * once (not at the window's end): the cost is that, at a spike's first instant, lower
 * priorities may hold slots up to the limit until they complete. Under pressure each band also
 * shrinks
 * by twice the concurrency refused to the priorities above it (their refusal rate times the
 * latency; for HIGH, CRITICAL admitted beyond the limit), until a window in which nothing
 * above was refused: a freed slot then waits for the higher priority instead of going to the
 * lower one, which asks more often. A fixed limit keeps its bands closed and unsqueezed.
 *
 * <p>With {@link Builder#maxWait} a request that finds no slot waits up to that long in its
 * priority's FIFO queue; waiters are served highest priority first, and a priority whose
 * queueing delay stays above
 * {@link Builder#queueDelayTarget} for a whole {@link Builder#queueDelayInterval} is shed at
 * once instead of queued (CoDel-like) until its queue empties.
 *
 * <pre>{@code
 * LoadShedder shedder = LoadShedder.builder("api")
 *     .limit(LimitPolicy.gradient().minLimit(4).maxLimit(200).build())
 *     .build();
 * try (Permit permit = shedder.tryAcquire(Priority.LOW)) {
 *   if (!permit.isAdmitted()) {
 *     return reply(429, "Retry-After", permit.retryAfterSeconds());
 *   }
 *   ...
 *   permit.onSuccess();
 * }
 * }</pre>
 *
 * <p>Nothing is lost silently: every call is admitted (a {@link Permit}) or refused with a
 * {@link ShedReason}, counted under {@code headroom.shed.rejected}.
 *
 * <p>Time: latency is measured with the configured {@link NanoClock}, by default
 * {@link NanoClock#coarse()} (one volatile load per read, about 1 ms resolution), so the
 * admission path never calls {@code System.nanoTime()}. Callers that measure latency
 * themselves pass it to {@link Permit#onSuccess(long)}. Use {@link NanoClock#system()} when
 * requests take well under a millisecond and an adaptive limit must see their latency.
 *
 * <p>Scaling across cores: while in-flight is well below the smallest capacity (LOW's), each
 * group of threads counts its admissions in its own padded stripe, so admission and release
 * write no cache line that another core writes; before in-flight can reach LOW's capacity,
 * admission switches to checking every request against the exact total. The split is invisible: {@link #inFlight()},
 * the capacities and every refusal are those of a single exact counter.
 *
 * <p>Thread-safety: safe for concurrent use; admission and release are lock-free.
 */
public final class LoadShedder extends InFlightCell implements Instrumented {

  /*
   * Algorithm and memory orders.
   *
   * In-flight is counted in two places: the shared word `inFlight` (the count in its low bits
   * plus the EXACT flag) and a few padded stripe counters, one per group of threads. In-flight
   * is the word's count plus the stripes' sum. A permit remembers where it was counted (its
   * slot: a stripe, or -1 for the word) and its release decrements that counter, once (the
   * permit's completion flag guards it).
   *
   * Why stripes: every admission and release of a shared counter moves its cache line between
   * cores, and at two threads that transfer costs more than the rest of acquire-and-complete
   * together. A stripe is written by its own threads only, so far below the limit admission
   * and release touch no line another core writes.
   *
   * FAST mode (EXACT flag clear) keeps the invariant: word count + stripes * quota <= ceiling,
   * where ceiling is the smallest non-CRITICAL capacity (LOW's) and quota = ceiling / (2 *
   * stripes), and no stripe ever holds more than quota. So while the flag is clear, in-flight
   * is at most the ceiling, and any admission is below every capacity: a stripe admission only
   * checks its stripe against quota. It reads the flag, CASes its stripe s -> s + 1 (s < quota),
   * then reads the flag again; if the flag was set meanwhile it takes the increment back and
   * goes the exact way. Sequential consistency of the CAS and the two volatile reads makes
   * this safe: a thread that sets the flag and then sums the stripes either sees the
   * increment, or the incrementing thread sees the flag and withdraws.
   *
   * EXACT mode (flag set) is the precise path: admission is a CAS loop on the word "read w;
   * if count(w) + sum(stripes) >= capacity refuse; CAS w -> w + 1", so the check and the
   * increment are one atomic step (stripes only shrink while the flag is set, so a stale sum
   * can only refuse, never over-admit). CRITICAL increments without the check. Every word
   * admission in FAST mode that would break the invariant sets the flag in the same CAS
   * instead; a limit change sets it before the new limit is published. A release of a word
   * permit clears the flag again once count + stripes * quota <= 3/4 of the ceiling and every
   * stripe is within quota (the gap is hysteresis). With quota 0 (a small limit) there are no
   * stripe admissions at all and the shedder is the plain exact counter. All are
   * volatile/CAS: the window owner reads them only as a snapshot.
   *
   * limit: published by the window owner with a volatile store, read once per admission
   * (plain volatile load). A limit that changes between the read and the CAS only means the
   * admission used the limit of an instant earlier: benign. The capacities of every priority
   * at that limit and the bands' opening are one immutable int[] published the same way, in
   * the same hand-over (flag set, ceiling and quota, capacities, limit), so an admission reads
   * one volatile reference and one element: the capacities of one instant. Opening the bands
   * raises the ceiling (LOW's capacity) like a larger limit; closing them lowers it like a
   * smaller one, and stripe admissions resume only once every stripe is within the new quota.
   *
   * Adaptive limit: completions add to LongAdders (counts and latency sums per outcome) and, for
   * adaptive policies, fold their latency into windowMin and in-flight into windowMax with CAS
   * loops that write only when they improve the value. The first completion to see the window
   * end and win the CAS on `updating` owns the update: it reads the adders, takes deltas
   * against its private snapshots, swaps windowMin/windowMax back to their identities, asks the
   * controller for the next limit, publishes it, sets the next window end and releases
   * `updating` with a release store. Owners are therefore serialised, and each sees the
   * snapshots its predecessor left (the CAS acquires what the release published). A sample
   * that lands between the adder reads and the swaps is attributed to the next window: benign.
   * A HIGH or NORMAL refusal while the bands are open also tries the CAS on `updating`; if it
   * wins it closes the bands (the owner-only `open`, then the capacities, published as above)
   * and releases it, and if it loses it does nothing: the owner at work sees the refusal.
   *
   * Waiting (only with maxWait > 0): a waiter increments `waiting` (volatile) BEFORE offering
   * itself to its priority's MpscAtomicArrayQueue, then calls drain(). Admission skips its fast path
   * whenever waiting != 0, so new arrivals queue behind waiters instead of barging (benign
   * race: an arrival that read waiting == 0 just before a waiter enqueued may still take a
   * free slot ahead of it, once; it was first to ask). Release
   * decrements its counter, then reads waiting and drains if it is non-zero (as does a stripe
   * admission that withdraws). Both sides use sequentially consistent accesses, so either the
   * releaser sees waiting != 0 or the waiter's drain sees the decremented count: no lost
   * wake-up.
   *
   * drain() runs the queues' single consumer under a work-in-progress counter (the classic
   * "missed" loop): the thread that moves wip from 0 drains, others only increment it and
   * leave, and the drainer loops until it has accounted for every increment. It is lock-free
   * (no thread ever waits for another) and gives the MPSC queues their one consumer. The
   * drainer peeks the head of the highest non-empty queue, reserves a slot for it with the same
   * capacity CAS as admission, polls it and CASes it WAITING -> GRANTED; if the waiter has
   * meanwhile abandoned (timeout, interrupt), the drainer returns the slot and moves on. A
   * blocked head blocks every lower queue too, since lower capacities are no larger: strict
   * priority among waiters. CoDel state (firstAbove, dropping) is drainer-only except the
   * `dropping` bit mask, which arrivals read (volatile).
   *
   * Permits: one small object per admission, allocated at a single site at the end of the
   * fast path so that C2 can scalar-replace it when the caller acquires and completes in one
   * compiled method (ShedderBenchmark with -prof gc reads 0 B/op). Pooling was rejected:
   * completion must be idempotent per admission, and a recycled permit would let a late second
   * completion of an old request release the slot of a new one, the very corruption
   * idempotence exists to prevent. A primitive token (a long encoding priority and start time)
   * was rejected for the same reason: nothing would remember that it was completed. The
   * permit's completion flag is a check followed by a release store rather than a CAS, because
   * C2 does not scalar-replace an object that is the target of a CAS; the price, documented on
   * Permit, is that completions of one permit must be ordered (happen-before each other).
   * Builder.atomicCompletion(true) opts into a CAS for callers whose completions race; the
   * branch is on a final field, never taken by default, and C2 prunes it from the fast path.
   */

  private static final VarHandle WAITING;
  private static final VarHandle WIP;
  private static final VarHandle UPDATING;
  private static final VarHandle WINDOW_MIN;
  private static final VarHandle WINDOW_MAX;
  private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(int[].class);

  /** The flag bit in the in-flight word: set while every admission must count exactly. */
  static final int EXACT = 1 << 30;
  /** The count bits of the in-flight word. */
  static final int COUNT = EXACT - 1;
  /** Ints between two used stripe elements: 128 bytes, so no two stripes share a line. */
  private static final int STRIDE = 32;
  /** The default number of stripes: twice the processors, a power of two, at most 64. */
  static final int DEFAULT_STRIPES = Math.min(64,
      Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors() * 2) - 1) << 1);

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WAITING = lookup.findVarHandle(LoadShedder.class, "waiting", int.class);
      WIP = lookup.findVarHandle(LoadShedder.class, "wip", int.class);
      UPDATING = lookup.findVarHandle(LoadShedder.class, "updating", int.class);
      WINDOW_MIN = lookup.findVarHandle(LoadShedder.class, "windowMin", long.class);
      WINDOW_MAX = lookup.findVarHandle(LoadShedder.class, "windowMax", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Default shares of the limit, by priority ordinal; CRITICAL has none. */
  static final double[] DEFAULT_SHARES = {Double.NaN, 0.95, 0.8, 0.5};

  private static final int PRIORITIES = 4;
  /**
   * How many times the concurrency refused to the priorities above it a priority's capacity
   * shrinks by under pressure. A freed slot goes to whichever priority asks first, and the
   * lower ones ask more often: on small backends at 10x, 1 left HIGH 2 points lower, 4 began
   * to refuse the load before the spike.
   */
  static final double SQUEEZE_GAIN = 2.0;
  private static final int REASONS = ShedReason.ALL.length;
  private static final long DEFAULT_LATENCY_NANOS = 100_000_000L;

  private final String name;
  private final NanoClock clock;
  private final LimitPolicy policy;
  private final LimitController controller;
  private final boolean adaptive;
  private final double[] shares;
  private final long maxWaitNanos;
  private final int queueCapacity;
  private final long queueDelayTargetNanos;
  private final long queueDelayIntervalNanos;
  /** Per-priority FIFO queues (index by ordinal, CRITICAL unused); null when not queueing. */
  private final MpscAtomicArrayQueue<Waiter>[] queues;
  /** Whether permits arbitrate racing completions with a CAS; read by Permit. */
  final boolean atomicCompletion;

  private volatile int waiting;
  private volatile int limit;
  /**
   * Capacities by priority ordinal at the current limit and bands ({@code [0]} is
   * {@code Integer.MAX_VALUE}, CRITICAL's); an immutable array, replaced whole.
   */
  private volatile int[] capacities;
  /** FAST mode's per-stripe bound, from the limit; 0 turns stripe admissions off. */
  private volatile int quota;
  /** FAST mode's bound on in-flight: the smallest non-CRITICAL capacity. */
  private volatile int ceiling;
  /** Stripe counters at (i + 1) * STRIDE; the gaps are padding. */
  private final int[] stripes;
  /** The number of stripes, a power of two. */
  private final int stripeCount;
  private volatile int wip;
  private volatile int updating;
  private volatile long windowEnd;
  private volatile long windowMin = Long.MAX_VALUE;
  private volatile int windowMax;
  private volatile long latencyEstimateNanos;
  /** Bit p set: priority p is in CoDel dropping state. Written by the drainer only. */
  private volatile int dropping;

  // Window owner's private state (serialised by `updating`).
  private double limitValue;
  /**
   * How far the bands are open, in [0, 1]: each priority may fill
   * {@code share + open * (1 - share)} of the limit. 0 under pressure; adaptive limits only.
   */
  private double open;
  /** The {@link #open} of the published capacities; read by gauges and tests. */
  private volatile double publishedOpen;
  /** Refusals of HIGH and NORMAL, and CRITICAL beyond the limit, at the last window close. */
  private long lastRefusedHigher;
  /** Refusals so far by priority ordinal, at the last window close. */
  private final long[] lastRefusals = new long[PRIORITIES];
  /** Requests asked for (admitted or refused) so far by priority ordinal, at the last close. */
  private final long[] lastOffered = new long[PRIORITIES];
  /** Refusals per nanosecond by priority ordinal, smoothed over windows. */
  private final double[] refusalRate = new double[PRIORITIES];
  /**
   * By priority ordinal, how much the bands take off its capacity under pressure:
   * {@value #SQUEEZE_GAIN} times the concurrency refused to the priorities above it.
   */
  private final double[] squeeze = new double[PRIORITIES];
  /** Where the window owner computes capacities before publishing a copy. */
  private final int[] candidate = new int[PRIORITIES];
  private long lastSuccesses;
  private long lastSuccessNanos;
  private long lastDrops;
  private long lastDropNanos;
  private long lastRefused;
  /** When the last window closed (window owner only). */
  private long lastWindowClose;
  private final LimitController.Window window = new LimitController.Window();

  // Drainer's private state (serialised by `wip`).
  private final long[] firstAboveNanos = new long[PRIORITIES];

  private final LongAdder[] admitted = new LongAdder[PRIORITIES];
  private final LongAdder[] rejected = new LongAdder[PRIORITIES * REASONS];
  /** The largest success count reported so far, so that the derived count never decreases. */
  private final java.util.concurrent.atomic.AtomicLong successFloor =
      new java.util.concurrent.atomic.AtomicLong();
  private final LongAdder successNanos = new LongAdder();
  private final LongAdder drops = new LongAdder();
  /** CRITICAL admissions that took in-flight past the limit. */
  private final LongAdder beyondLimit = new LongAdder();
  private final LongAdder dropNanos = new LongAdder();
  private final LongAdder ignores = new LongAdder();
  private final LongAdder ignoreNanos = new LongAdder();

  private LoadShedder(Builder b) {
    this.name = b.name;
    this.clock = b.clock == null ? NanoClock.coarse() : b.clock;
    this.policy = b.policy == null ? LimitPolicy.gradient().build() : b.policy;
    this.controller = LimitController.of(policy);
    this.atomicCompletion = b.atomicCompletion != null && b.atomicCompletion;
    this.adaptive = controller.adaptive();
    this.shares = b.shares.clone();
    this.maxWaitNanos = b.maxWait == null ? 0L : b.maxWait.toNanos();
    this.queueCapacity = b.queueCapacity == null ? 256 : b.queueCapacity;
    this.queueDelayTargetNanos =
        b.queueDelayTarget == null ? 5_000_000L : b.queueDelayTarget.toNanos();
    this.queueDelayIntervalNanos =
        b.queueDelayInterval == null ? 100_000_000L : b.queueDelayInterval.toNanos();
    if (maxWaitNanos > 0) {
      this.queues = newQueues(queueCapacity);
    } else {
      this.queues = null;
    }
    for (int i = 0; i < admitted.length; i++) {
      admitted[i] = new LongAdder();
    }
    for (int i = 0; i < rejected.length; i++) {
      rejected[i] = new LongAdder();
    }
    this.limitValue = policy.initialLimit();
    this.limit = policy.initialLimit();
    this.capacities = capacitiesFor(shares, limit, 0.0);
    this.ceiling = capacities[PRIORITIES - 1];
    this.stripeCount = b.stripes == null ? DEFAULT_STRIPES : b.stripes;
    this.stripes = new int[(stripeCount + 2) * STRIDE];
    this.quota = ceiling / (2 * stripeCount);
    this.lastWindowClose = clock.nanoTime();
    this.windowEnd = lastWindowClose + controller.windowNanos;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static MpscAtomicArrayQueue<Waiter>[] newQueues(int capacity) {
    MpscAtomicArrayQueue<Waiter>[] queues = new MpscAtomicArrayQueue[PRIORITIES];
    for (int p = 1; p < PRIORITIES; p++) {
      queues[p] = new MpscAtomicArrayQueue<>(capacity);
    }
    return queues;
  }

  /**
   * Starts a builder.
   *
   * @param name the instance name, used in metrics tags and rejection messages
   * @return a builder
   * @throws IllegalArgumentException if {@code name} is null or blank
   */
  public static Builder builder(String name) {
    return new Builder(Checks.requireNonBlank("name", name));
  }

  // ---------------------------------------------------------------- admission

  /**
   * Asks for a slot. Returns at once unless {@link Builder#maxWait} is set, in which case a
   * request that finds no slot waits up to that long. Never throws for overload: a refusal is
   * a permit whose {@link Permit#isAdmitted()} is false, with a reason and a Retry-After hint.
   *
   * @param priority the request's priority
   * @return an admitted permit to complete, or a refused one
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public Permit tryAcquire(Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException(Checks.message("priority", "non-null", null));
    }
    int p = priority.ordinal();
    int slot = NONE;
    if (p == 0 || waiting == 0) {
      slot = stripeAdmit();
      if (slot == NONE) {
        slot = reserve(capacities[p]) ? WORD : NONE;
        if (p == 0) {
          noteCritical();
        }
      }
    }
    // One allocation site on the fast path, so that C2 can scalar-replace the permit when the
    // caller completes it in the same compiled method (measured: 0 B/op in ShedderBenchmark).
    if (slot != NONE) {
      admitted[p].increment();
      return new Permit(this, priority, clock.nanoTime(), slot);
    }
    return acquireSlow(priority);
  }

  /**
   * Returned by {@link #tryAcquireSlot} when the fast path cannot admit: nothing was taken or
   * counted, and {@link #tryAcquire} gives the full answer (waiting, or a refusal with its
   * reason).
   */
  public static final long NO_SLOT = Long.MIN_VALUE;

  /**
   * The admitted fast path of {@link #tryAcquire} without a permit object, for adapters that
   * complete each call exactly once themselves (such as {@code Guard}). Admits only when a slot
   * is free and nobody waits; otherwise returns {@link #NO_SLOT} having taken and counted
   * nothing, and the caller asks {@link #tryAcquire}. The slot must be completed exactly once
   * with {@link #onSlotSuccess}, {@link #onSlotDropped} or {@link #onSlotIgnore}; there is no
   * protection against a second completion (that is what a {@link Permit} is for).
   *
   * @param priority the request's priority
   * @return a slot to complete, or {@link #NO_SLOT}
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public long tryAcquireSlot(Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException(Checks.message("priority", "non-null", null));
    }
    int p = priority.ordinal();
    if (p != 0 && waiting != 0) {
      return NO_SLOT;
    }
    int slot = stripeAdmit();
    if (slot == NONE) {
      slot = reserve(capacities[p]) ? WORD : NONE;
      if (p == 0) {
        noteCritical();
      }
    }
    if (slot == NONE) {
      return NO_SLOT;
    }
    admitted[p].increment();
    return slot;
  }

  /**
   * Completes a slot from {@link #tryAcquireSlot} with success.
   *
   * @param slot the slot
   * @param latencyNanos the call's latency, {@code >= 0}
   * @throws IllegalArgumentException if the latency is negative or the slot is not one
   */
  public void onSlotSuccess(long slot, long latencyNanos) {
    release(0L, Permit.SUCCESS, Checks.requireNonNegative("latencyNanos", latencyNanos),
        checkSlot(slot));
  }

  /**
   * Completes a slot from {@link #tryAcquireSlot} as dropped (a timeout, an overload answer).
   *
   * @param slot the slot
   * @param latencyNanos the latency up to the drop, {@code >= 0}
   * @throws IllegalArgumentException if the latency is negative or the slot is not one
   */
  public void onSlotDropped(long slot, long latencyNanos) {
    release(0L, Permit.DROPPED, Checks.requireNonNegative("latencyNanos", latencyNanos),
        checkSlot(slot));
  }

  /**
   * Completes a slot from {@link #tryAcquireSlot} as counting for nothing.
   *
   * @param slot the slot
   * @throws IllegalArgumentException if the slot is not one
   */
  public void onSlotIgnore(long slot) {
    release(0L, Permit.IGNORED, 0L, checkSlot(slot));
  }

  private int checkSlot(long slot) {
    if (slot < WORD || slot >= stripes.length) {
      throw new IllegalArgumentException(Checks.message("slot",
          "a slot returned by tryAcquireSlot", slot));
    }
    return (int) slot;
  }

  /** A permit counted in the in-flight word. */
  static final int WORD = -1;
  /** No slot was taken. */
  private static final int NONE = -2;

  /**
   * FAST mode admission on the calling thread's stripe; returns its index, or NONE if the
   * stripe is full, the flag is set, or it was set while this admission was under way.
   */
  private int stripeAdmit() {
    int q = quota;
    if (q == 0 || (inFlight & EXACT) != 0) {
      return NONE;
    }
    int index = stripeIndex();
    int s;
    while ((s = (int) STRIPE.getVolatile(stripes, index)) < q) {
      if (STRIPE.compareAndSet(stripes, index, s, s + 1)) {
        if ((inFlight & EXACT) == 0) {
          return index;
        }
        STRIPE.getAndAdd(stripes, index, -1); // the flag was set meanwhile: withdraw
        if (waiting != 0) {
          drain();
        }
        return NONE;
      }
    }
    return NONE;
  }

  /** The element index of the calling thread's stripe (threads are spread by their id). */
  @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
  private int stripeIndex() {
    return (((int) Thread.currentThread().getId() & (stripeCount - 1)) + 1) * STRIDE;
  }

  /**
   * Counts one admission in the in-flight word if in-flight is below {@code capacity}
   * ({@code Integer.MAX_VALUE}: always, for CRITICAL); the check and the increment are one
   * atomic step.
   */
  private boolean reserve(int capacity) {
    for (;;) {
      int word = inFlight;
      int count = word & COUNT;
      if ((word & EXACT) == 0) {
        // FAST mode: stripes hold at most stripeCount * quota, so in-flight stays within the
        // ceiling (below every capacity) if the invariant survives the increment.
        if (count + 1 + stripeCount * quota <= ceiling) {
          if (IN_FLIGHT.compareAndSet(this, word, word + 1)) {
            return true;
          }
        } else {
          IN_FLIGHT.compareAndSet(this, word, word | EXACT); // count exactly from now on
        }
        continue;
      }
      if (capacity != Integer.MAX_VALUE && count + stripeSum() >= capacity) {
        return false;
      }
      if (IN_FLIGHT.compareAndSet(this, word, word + 1)) {
        return true;
      }
    }
  }

  /**
   * After a CRITICAL admission counted in the word: counts it as beyond the limit when it took
   * in-flight past the limit, which HIGH then makes room for. Near the limit the word counts
   * exactly, so only there are the stripes read.
   */
  private void noteCritical() {
    if (!adaptive) {
      return; // only the bands of an adaptive limit make room
    }
    int word = inFlight;
    if ((word & EXACT) != 0 && (word & COUNT) + stripeSum() > limit) {
      beyondLimit.increment();
    }
  }

  private int stripeSum() {
    int sum = 0;
    for (int i = STRIDE; i <= stripeCount * STRIDE; i += STRIDE) {
      sum += (int) STRIPE.getVolatile(stripes, i);
    }
    return sum;
  }

  /**
   * After a release of a word permit in EXACT mode: clears the flag once in-flight is far
   * enough below the ceiling for stripe admissions to be safe again.
   */
  private void maybeResume() {
    int q = quota;
    if (q == 0) {
      return;
    }
    for (;;) {
      int word = inFlight;
      if ((word & EXACT) == 0 || (word & COUNT) + stripeCount * q > ceiling - ceiling / 4) {
        return;
      }
      for (int i = STRIDE; i <= stripeCount * STRIDE; i += STRIDE) {
        if ((int) STRIPE.getVolatile(stripes, i) > q) {
          return; // a stripe filled under a larger quota has not drained yet
        }
      }
      if (IN_FLIGHT.compareAndSet(this, word, word & ~EXACT)) {
        return;
      }
    }
  }

  /**
   * Publishes a new limit or bands: stripe admissions stop first, and resume under the new
   * bounds.
   */
  private void publishLimit(int newLimit, double newOpen) {
    if (newLimit == limit && newOpen == publishedOpen && newOpen != 0.0) {
      return; // the steady state: nothing to publish, nothing allocated
    }
    int[] next = candidate;
    fillCapacities(next, shares, newLimit, newOpen, squeeze);
    if (newLimit == limit && newOpen == publishedOpen && Arrays.equals(next, capacities)) {
      return; // under pressure, the same capacities: nothing allocated
    }
    next = next.clone();
    publishedOpen = newOpen;
    int word;
    while (((word = inFlight) & EXACT) == 0) {
      if (IN_FLIGHT.compareAndSet(this, word, word | EXACT)) {
        break;
      }
    }
    int newCeiling = next[PRIORITIES - 1];
    ceiling = newCeiling;
    quota = newCeiling / (2 * stripeCount);
    capacities = next;
    limit = newLimit;
    // A maybeResume() that read the old bounds may have cleared the flag meanwhile.
    while (((word = inFlight) & EXACT) == 0) {
      if (IN_FLIGHT.compareAndSet(this, word, word | EXACT)) {
        break;
      }
    }
  }

  /**
   * Asks for a slot like {@link #tryAcquire(Priority)}, and throws a refusal.
   *
   * @param priority the request's priority
   * @return an admitted permit
   * @throws ShedException if the request is refused
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public Permit acquire(Priority priority) {
    Permit permit = tryAcquire(priority);
    if (!permit.isAdmitted()) {
      throw permit.toException();
    }
    return permit;
  }

  private Permit admit(Priority priority) {
    admitted[priority.ordinal()].increment();
    return new Permit(this, priority, clock.nanoTime(), WORD);
  }

  static int capacity(double share, int limit) {
    return Math.max(1, (int) (limit * share));
  }

  /**
   * The capacities of every priority at a limit with the bands open by {@code open}: a share
   * {@code s} becomes {@code s + open * (1 - s)}, so the order of the shares is kept.
   */
  static int[] capacitiesFor(double[] shares, int limit, double open) {
    int[] c = new int[PRIORITIES];
    fillCapacities(c, shares, limit, open, null);
    return c;
  }

  /**
   * Writes the capacities of every priority into {@code c}: those of
   * {@link #capacitiesFor(double[], int, double)}, and with the bands closed ({@code open}
   * 0) each priority's capacity less {@code squeeze[p]} rounded up, never below 1.
   * {@code squeeze} grows with the priority's ordinal, so the order is kept.
   */
  static void fillCapacities(int[] c, double[] shares, int limit, double open,
      double[] squeeze) {
    c[0] = Integer.MAX_VALUE;
    for (int p = 1; p < PRIORITIES; p++) {
      c[p] = open >= 1.0 ? limit : capacity(shares[p] + open * (1.0 - shares[p]), limit);
      if (squeeze != null && open == 0.0) {
        c[p] = Math.max(1, c[p] - (int) Math.ceil(squeeze[p]));
      }
    }
  }

  private boolean tryReserve(int ordinal) {
    return reserve(capacities[ordinal]);
  }

  private Permit acquireSlow(Priority priority) {
    int p = priority.ordinal();
    if (queues == null) {
      return refuse(priority, ShedReason.LIMIT);
    }
    if ((dropping & (1 << p)) != 0) {
      if (waiting == 0) {
        drain(); // nobody waits: the drainer finds the queues empty and ends dropping
      }
      if ((dropping & (1 << p)) != 0) {
        return refuse(priority, ShedReason.QUEUE_DELAY);
      }
    }
    Waiter waiter = new Waiter(Thread.currentThread(), p, clock.nanoTime());
    WAITING.getAndAdd(this, 1);
    if (!queues[p].offer(waiter)) {
      drain(); // the queue may be full of abandoned entries the drainer has not skipped yet
      if (!queues[p].offer(waiter)) {
        WAITING.getAndAdd(this, -1);
        return refuse(priority, ShedReason.QUEUE_FULL);
      }
    }
    drain();
    long deadline = waiter.enqueuedNanos + maxWaitNanos;
    boolean interrupted = false;
    while (waiter.lvState() == Waiter.WAITING) {
      long remaining = deadline - clock.nanoTime();
      if (remaining <= 0) {
        break;
      }
      LockSupport.parkNanos(this, remaining);
      if (Thread.interrupted()) {
        interrupted = true;
        break;
      }
    }
    if (waiter.lvState() == Waiter.WAITING
        && waiter.casState(Waiter.WAITING, Waiter.ABANDONED)) {
      WAITING.getAndAdd(this, -1);
      if (interrupted) {
        Thread.currentThread().interrupt();
        return refuse(priority, ShedReason.INTERRUPTED);
      }
      return refuse(priority, ShedReason.QUEUE_TIMEOUT);
    }
    // GRANTED: the drainer counted our slot in-flight and decremented `waiting` for us.
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return admit(priority);
  }

  private Permit refuse(Priority priority, ShedReason reason) {
    rejected[priority.ordinal() * REASONS + reason.ordinal()].increment();
    int currentLimit = limit;
    int currentInFlight = inFlight();
    int currentWaiting = waiting;
    Permit refused = new Permit(this, priority, new Permit.Rejection(reason,
        retryAfterNanos(reason, currentInFlight, currentWaiting, currentLimit),
        currentInFlight, currentWaiting, currentLimit,
        capacities[priority.ordinal()]));
    if (adaptive && priority != Priority.LOW && publishedOpen > 0.0) {
      closeBands(); // after reading the capacity the request was refused at, for its message
    }
    return refused;
  }

  /**
   * Closes the open bands at once, on the refusal of a HIGH or NORMAL request (pressure), if no
   * window owner is at work (it then closes them itself at the window's end: the refusal is
   * counted). Waiting for the window's end let the lower priorities, which ask most often, hold
   * the slots a spike's HIGH requests needed for a whole window: in 32 flash crowds (1-2 s,
   * 10x-20x, 20-200 slots, sigma 0.5-0.8) HIGH got 89.9% of its ideal on average (54.7% at
   * worst, 100 slots, sigma 0.8, 20x for 1 s), now 92.4% (64.3%). Lock-free: a failed
   * compare-and-set leaves the bands to the owner.
   */
  private void closeBands() {
    if (UPDATING.compareAndSet(this, 0, 1)) {
      try {
        if (publishedOpen > 0.0) {
          open = 0.0;
          publishLimit(limit, 0.0);
        }
      } finally {
        UPDATING.setRelease(this, 0);
      }
    }
  }

  /**
   * The Retry-After hint: the latency estimate scaled by the backlog relative to the limit
   * ({@code (inFlight + waiting) / limit}, at least 1), plus the maximum wait for queue
   * refusals. A caller that waits this long finds, on average, the backlog ahead of it gone.
   */
  private long retryAfterNanos(ShedReason reason, int currentInFlight, int currentWaiting,
      int currentLimit) {
    long latency = latencyEstimateNanos;
    if (latency <= 0) {
      latency = DEFAULT_LATENCY_NANOS;
    }
    double backlog = Math.max(1.0, (currentInFlight + currentWaiting) / (double) currentLimit);
    long hint = (long) (latency * backlog);
    if (reason != ShedReason.LIMIT) {
      hint += maxWaitNanos;
    }
    return hint;
  }

  // ---------------------------------------------------------------- release

  /** Called once per admitted permit, by its first completion. */
  void release(long startNanos, int outcome, long latencyNanos, int slot) {
    long now = clock.nanoTime();
    long latency = latencyNanos >= 0 ? latencyNanos : Math.max(0L, now - startNanos);
    // Outcome counts before the decrement, so that successCount() never over-counts.
    if (outcome == Permit.SUCCESS) {
      successNanos.add(latency); // the count is derived: see successCount()
    } else if (outcome == Permit.DROPPED) {
      drops.increment();
      dropNanos.add(latency);
    } else {
      ignores.increment();
      ignoreNanos.add(latency);
    }
    releaseSlot(slot);
    if (adaptive && outcome != Permit.IGNORED) {
      sample(outcome == Permit.SUCCESS ? latency : Long.MAX_VALUE, slot);
    }
    if (now - windowEnd >= 0) {
      closeWindow(now);
    }
    if (waiting != 0) {
      drain();
    }
  }

  /** Gives back one slot counted in {@code slot} (a stripe's index, or WORD). */
  private void releaseSlot(int slot) {
    if (slot == WORD) {
      if (((int) IN_FLIGHT.getAndAdd(this, -1) & EXACT) != 0) {
        maybeResume();
      }
    } else {
      STRIPE.getAndAdd(stripes, slot, -1);
    }
  }

  /**
   * Folds a completion into the window's minimum latency and maximum in-flight. In-flight is
   * summed over the stripes, which reads lines other cores write; so a stripe release measures
   * it only once in 16 of its stripe's releases (a plain, racy tick in the stripe's padding:
   * a lost tick only shifts the sample), while a word release, which happens in EXACT mode
   * when the stripes are draining and quiet, measures it every time.
   */
  private void sample(long latency, int slot) {
    long min;
    while (latency < (min = windowMin)) {
      if (WINDOW_MIN.compareAndSet(this, min, latency)) {
        break;
      }
    }
    if (slot != WORD && (stripes[slot + 1]++ & 15) != 0) {
      return;
    }
    int inFlightBefore = inFlight() + 1;
    int max;
    while (inFlightBefore > (max = windowMax)) {
      if (WINDOW_MAX.compareAndSet(this, max, inFlightBefore)) {
        break;
      }
    }
  }

  private void closeWindow(long now) {
    if (!UPDATING.compareAndSet(this, 0, 1)) {
      return;
    }
    try {
      if (now - windowEnd < 0) {
        return; // another owner closed this window already
      }
      long successTotal = successCount();
      long successNanosTotal = successNanos.sum();
      long dropTotal = drops.sum();
      long windowSuccesses = successTotal - lastSuccesses;
      long windowDrops = dropTotal - lastDrops;
      if (windowSuccesses + windowDrops < controller.minSamples) {
        windowEnd = now + controller.windowNanos; // keep accumulating into a longer window
        return;
      }
      long dropNanosTotal = dropNanos.sum();
      long refusedTotal = adaptive ? refusedTotal() : 0L;
      LimitController.Window w = window;
      w.successes = windowSuccesses;
      w.successNanos = successNanosTotal - lastSuccessNanos;
      w.drops = windowDrops;
      w.dropNanos = dropNanosTotal - lastDropNanos;
      w.refused = refusedTotal - lastRefused;
      w.nanos = Math.max(1L, now - lastWindowClose);
      lastWindowClose = now;
      lastSuccesses = successTotal;
      lastSuccessNanos = successNanosTotal;
      lastDrops = dropTotal;
      lastDropNanos = dropNanosTotal;
      lastRefused = refusedTotal;
      w.minNanos = (long) WINDOW_MIN.getAndSet(this, Long.MAX_VALUE);
      w.maxInFlight = (int) WINDOW_MAX.getAndSet(this, 0);
      if (windowSuccesses > 0) {
        double mean = w.meanNanos();
        long previous = latencyEstimateNanos;
        latencyEstimateNanos =
            previous == 0 ? (long) mean : (long) (previous * 0.8 + mean * 0.2);
      }
      if (adaptive) {
        for (int p = 0; p < PRIORITIES; p++) {
          long offered = admitted[p].sum() + refusedTotal(p);
          w.offered[p] = offered - lastOffered[p];
          lastOffered[p] = offered;
        }
        double before = limitValue;
        limitValue = controller.next(limitValue, w);
        // CRITICAL beyond the limit counts with the refusals: the limit is over-full.
        long refusedHigher = refusedTotal(1) + refusedTotal(2) + beyondLimit.sum();
        // The bands reserve room for the higher priorities when there is pressure: a higher
        // priority was refused (the limit is full) or the limit is falling. Without it they
        // open, a quarter of the way per window, until every priority may fill the limit:
        // otherwise LOW, refused at half the limit whenever in-flight peaks, would push the
        // limit to twice the concurrency the load needs, and the next spike would find it
        // there. Under pressure each priority's band also shrinks by the concurrency refused
        // above it (updateSqueeze).
        open = refusedHigher != lastRefusedHigher || limitValue < before
            ? 0.0 : Math.min(1.0, open + 0.25);
        lastRefusedHigher = refusedHigher;
        updateSqueeze(w.nanos);
        publishLimit(Math.max(1, (int) limitValue), open);
      }
      windowEnd = now + controller.windowNanos;
    } finally {
      UPDATING.setRelease(this, 0);
    }
  }

  /**
   * Measures each priority's refusal rate over the window (smoothed), and from it the squeeze
   * of every lower priority: {@value #SQUEEZE_GAIN} times the concurrency the priorities above
   * it were refused, by Little's law at the current latency.
   */
  private void updateSqueeze(long windowNanos) {
    double latency = latencyEstimateNanos;
    double above = 0.0;
    for (int p = 0; p < PRIORITIES; p++) {
      long refusals = p == 0 ? beyondLimit.sum() : refusedTotal(p);
      double rate = (double) (refusals - lastRefusals[p]) / windowNanos;
      lastRefusals[p] = refusals;
      // Smoothed while refusals go on; a window without any ends the squeeze below at once.
      refusalRate[p] = rate == 0.0 ? 0.0 : 0.5 * refusalRate[p] + 0.5 * rate;
      squeeze[p] = SQUEEZE_GAIN * above;
      above += refusalRate[p] * latency;
    }
  }

  /** Every refusal of one priority so far, for every reason. */
  private long refusedTotal(int ordinal) {
    long sum = 0;
    for (int r = 0; r < REASONS; r++) {
      sum += rejected[ordinal * REASONS + r].sum();
    }
    return sum;
  }

  /** Every refusal so far, of every priority and reason. */
  private long refusedTotal() {
    long sum = 0;
    for (LongAdder adder : rejected) {
      sum += adder.sum();
    }
    return sum;
  }

  // ---------------------------------------------------------------- waiting

  private void drain() {
    if ((int) WIP.getAndAdd(this, 1) != 0) {
      return;
    }
    int missed = 1;
    for (;;) {
      drainQueues();
      missed = (int) WIP.getAndAdd(this, -missed) - missed;
      if (missed == 0) {
        return;
      }
    }
  }

  /** Single consumer: runs only inside drain()'s work-in-progress loop. */
  private void drainQueues() {
    long now = clock.nanoTime();
    for (;;) {
      Waiter head = null;
      int p = 1;
      for (; p < PRIORITIES; p++) {
        MpscAtomicArrayQueue<Waiter> queue = queues[p];
        while ((head = queue.peek()) != null && head.lvState() == Waiter.ABANDONED) {
          queue.poll();
          observeDelay(p, now - head.enqueuedNanos, now);
        }
        if (head != null) {
          break;
        }
        queueEmpty(p);
      }
      if (head == null) {
        return;
      }
      if (!tryReserve(p)) {
        return; // the highest waiting priority cannot go in, so no lower one can
      }
      queues[p].poll(); // == head: we are the only consumer
      if (head.casState(Waiter.WAITING, Waiter.GRANTED)) {
        WAITING.getAndAdd(this, -1);
        observeDelay(p, now - head.enqueuedNanos, now);
        LockSupport.unpark(head.thread);
      } else {
        releaseSlot(WORD); // abandoned meanwhile: give the slot back
      }
    }
  }

  private void observeDelay(int p, long sojournNanos, long now) {
    if (sojournNanos < queueDelayTargetNanos) {
      queueEmpty(p);
    } else if (firstAboveNanos[p] == 0) {
      firstAboveNanos[p] = now + queueDelayIntervalNanos;
      if (firstAboveNanos[p] == 0) {
        firstAboveNanos[p] = 1;
      }
    } else if (now - firstAboveNanos[p] >= 0 && (dropping & (1 << p)) == 0) {
      dropping = dropping | (1 << p); // single writer: the drainer
    }
  }

  private void queueEmpty(int p) {
    firstAboveNanos[p] = 0;
    if ((dropping & (1 << p)) != 0) {
      dropping = dropping & ~(1 << p);
    }
  }

  // ---------------------------------------------------------------- getters

  /**
   * Returns the instance name.
   *
   * @return the name given to the builder
   */
  public String name() {
    return name;
  }

  /**
   * Returns the number of admitted, not yet completed requests (including CRITICAL ones): the
   * in-flight scaling signal.
   *
   * @return in-flight, {@code >= 0}
   */
  public int inFlight() {
    return (inFlight & COUNT) + stripeSum();
  }

  /**
   * Returns the number of requests waiting for a slot: the queue-depth scaling signal. Always
   * 0 without {@link Builder#maxWait}.
   *
   * @return waiting, {@code >= 0}
   */
  public int waiting() {
    return waiting;
  }

  /** Entries in the wait queues, including abandoned ones not yet skipped; for tests. */
  int queued() {
    int n = 0;
    if (queues != null) {
      for (int p = 1; p < PRIORITIES; p++) {
        n += queues[p].size();
      }
    }
    return n;
  }

  /**
   * Returns the current concurrency limit.
   *
   * @return the limit, {@code >= 1}
   */
  public int limit() {
    return limit;
  }

  /**
   * Returns how many may be in flight for a priority to be admitted at the current limit and
   * bands.
   *
   * @param priority the priority
   * @return {@code Integer.MAX_VALUE} for CRITICAL; else {@code max(1, floor(limit * share))}
   *     with the bands closed (always with a fixed limit; with an adaptive one, less the
   *     squeeze of the concurrency refused above it, never below 1), the limit with them fully
   *     open, and {@code max(1, floor(limit * (share + open * (1 - share))))} in between
   *     ({@link #bandsOpen()})
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public int capacity(Priority priority) {
    Checks.requireNonNull("priority", priority);
    return capacities[priority.ordinal()];
  }

  /**
   * Returns the smoothed mean latency of successful requests, the base of Retry-After hints.
   *
   * @return the estimate; zero before the first full window
   */
  public Duration latencyEstimate() {
    return Duration.ofNanos(latencyEstimateNanos);
  }

  /**
   * Returns the limit policy.
   *
   * @return the policy given to the builder, or the default gradient policy
   */
  public LimitPolicy policy() {
    return policy;
  }

  /**
   * Returns how far the priority bands are open, in {@code [0, 1]}: a priority with share
   * {@code s} may fill {@code s + open * (1 - s)} of the limit. Always 0 with a fixed limit. With
   * an adaptive limit it is 0 under pressure (a HIGH or NORMAL request was refused in the last
   * window, or the limit fell) and opens by a quarter each window without pressure, so that at
   * normal load every priority may fill the limit and none pushes it up by being refused at
   * its share.
   *
   * @return the fraction in {@code [0, 1]}
   */
  public double bandsOpen() {
    return publishedOpen;
  }

  /** The capacities by priority ordinal, one consistent snapshot (immutable); for tests. */
  int[] capacitySnapshot() {
    return capacities;
  }

  /**
   * Returns the share of the limit a priority may use.
   *
   * @param priority the priority
   * @return the share in (0, 1]; {@code Double.POSITIVE_INFINITY} for CRITICAL
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public double share(Priority priority) {
    Checks.requireNonNull("priority", priority);
    return priority == Priority.CRITICAL
        ? Double.POSITIVE_INFINITY : shares[priority.ordinal()];
  }

  /**
   * Returns how many requests of a priority were admitted so far.
   *
   * @param priority the priority
   * @return the count
   * @throws IllegalArgumentException if {@code priority} is null
   */
  public long admitted(Priority priority) {
    Checks.requireNonNull("priority", priority);
    return admitted[priority.ordinal()].sum();
  }

  /**
   * Returns how many requests of a priority were refused for a reason so far.
   *
   * @param priority the priority
   * @param reason the reason
   * @return the count
   * @throws IllegalArgumentException if either is null
   */
  public long rejected(Priority priority, ShedReason reason) {
    Checks.requireNonNull("priority", priority);
    Checks.requireNonNull("reason", reason);
    return rejected[priority.ordinal() * REASONS + reason.ordinal()].sum();
  }

  @Override
  public void describeMeters(MeterSink sink) {
    MeterId base = MeterId.of("headroom.shed.inflight").tag("name", name);
    sink.gauge(base.description("Admitted requests not yet completed"), this::inFlight);
    sink.gauge(MeterId.of("headroom.shed.waiting").tag("name", name)
        .description("Requests waiting for a slot"), () -> waiting);
    sink.gauge(MeterId.of("headroom.shed.limit").tag("name", name)
        .description("Current concurrency limit"), () -> limit);
    sink.gauge(MeterId.of("headroom.shed.bands.open").tag("name", name)
        .description("How far the priority bands are open: 0 under pressure (each priority"
            + " fills its share of the limit), 1 when every priority may fill the limit"),
        () -> publishedOpen);
    for (Priority priority : Priority.ALL) {
      if (priority != Priority.CRITICAL) {
        int ordinal = priority.ordinal();
        sink.gauge(MeterId.of("headroom.shed.capacity").tag("name", name)
            .tag("priority", priority.tag)
            .description("How many may be in flight for the priority to be admitted: its band of"
                + " the limit, squeezed under pressure by what is refused above it"),
            () -> capacities[ordinal]);
      }
    }
    for (Priority priority : Priority.ALL) {
      LongAdder count = admitted[priority.ordinal()];
      sink.counter(MeterId.of("headroom.shed.admitted").tag("name", name)
          .tag("priority", priority.tag).description("Admitted requests"), count::sum);
      for (ShedReason reason : ShedReason.ALL) {
        LongAdder shed = rejected[priority.ordinal() * REASONS + reason.ordinal()];
        sink.counter(MeterId.of("headroom.shed.rejected").tag("name", name)
            .tag("priority", priority.tag).tag("reason", reason.tag)
            .description("Refused requests"), shed::sum);
      }
    }
    sink.timer(completedId("success"), this::successCount, successNanos::sum);
    timer(sink, "dropped", drops, dropNanos);
    timer(sink, "ignored", ignores, ignoreNanos);
  }

  private void timer(MeterSink sink, String outcome, LongAdder count, LongAdder nanos) {
    sink.timer(completedId(outcome), count::sum, nanos::sum);
  }

  private MeterId completedId(String outcome) {
    return MeterId.of("headroom.shed.completed").tag("name", name).tag("outcome", outcome)
        .baseUnit("seconds").description("Completed requests and their latency");
  }

  /**
   * Returns the successful completions, derived rather than counted, which saves the success path one
   * atomic add: every admission ends as exactly one success, drop or ignore, so successes =
   * admitted - inFlight - drops - ignores. Read in this order (admitted first, drops and
   * ignores last), concurrent admissions and completions can only make the result smaller
   * than the truth, never larger; keeping the largest value seen makes it monotonic, as a
   * counter must be, and it is exact whenever the shedder is quiescent. (Admissions count
   * after their increment of inFlight and drops and ignores before their decrement, so a
   * request in transition is at worst subtracted twice, never zero times.)
   *
   * @return the requests completed with a success so far
   */
  public long successCount() {
    long admittedTotal = 0;
    for (LongAdder a : admitted) {
      admittedTotal += a.sum();
    }
    long derived = admittedTotal - inFlight() - drops.sum() - ignores.sum();
    return successFloor.accumulateAndGet(derived, Math::max);
  }

  @Override
  public String toString() {
    return "LoadShedder[" + name + ", inFlight=" + inFlight() + ", waiting=" + waiting
        + ", limit=" + limit + "]";
  }

  /**
   * Builds a {@link LoadShedder}. Each setter validates its value at once and may be called
   * once; {@link #build()} checks the combination.
   *
   * <p>Thread-safety: not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private final double[] shares = DEFAULT_SHARES.clone();
    private final Map<Priority, Double> sharesSet = new EnumMap<>(Priority.class);
    private LimitPolicy policy;
    private NanoClock clock;
    private Duration maxWait;
    private Integer queueCapacity;
    private Duration queueDelayTarget;
    private Duration queueDelayInterval;
    private Boolean atomicCompletion;
    private Integer stripes;

    Builder(String name) {
      this.name = name;
    }

    /**
     * Sets the limit policy (default: {@link LimitPolicy#gradient()} with its defaults).
     *
     * @param value the policy
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder limit(LimitPolicy value) {
      Checks.requireNotSet(policy == null, "limit", policy);
      policy = Checks.requireNonNull("limit", value);
      return this;
    }

    /**
     * Sets the share of the limit a priority may fill (defaults: HIGH 0.95, NORMAL 0.8,
     * LOW 0.5). A request is admitted while in-flight is below
     * {@code max(1, floor(limit * share))}. Shares must be ordered:
     * {@code LOW <= NORMAL <= HIGH}, checked at {@link #build()}.
     *
     * @param priority HIGH, NORMAL or LOW
     * @param value the share, in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if the priority is null or CRITICAL (never shed, so it
     *     has no share), or the share is outside (0, 1]
     * @throws IllegalStateException if this priority's share is already set
     */
    public Builder share(Priority priority, double value) {
      Checks.requireNonNull("priority", priority);
      String option = "share(" + priority + ")";
      Checks.requireArgument(priority != Priority.CRITICAL, "priority",
          "HIGH, NORMAL or LOW (CRITICAL is never shed)", priority);
      Checks.requireNotSet(!sharesSet.containsKey(priority), option, sharesSet.get(priority));
      Checks.requireFraction(option, value);
      sharesSet.put(priority, value);
      shares[priority.ordinal()] = value;
      return this;
    }

    /**
     * Sets the clock that measures latency and waits (default {@link NanoClock#coarse()}).
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock value) {
      Checks.requireNotSet(clock == null, "clock", clock);
      clock = Checks.requireNonNull("clock", value);
      return this;
    }

    /**
     * Sets how long a request may wait for a slot (default zero: refuse at once). With a
     * positive wait, {@link LoadShedder#tryAcquire(Priority)} blocks up to this long.
     *
     * @param value the wait, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder maxWait(Duration value) {
      Checks.requireNotSet(maxWait == null, "maxWait", maxWait);
      maxWait = Checks.requireNonNegative("maxWait", value);
      return this;
    }

    /**
     * Sets the capacity of each priority's wait queue (default 256; rounded up to a power of
     * two). Needs {@link #maxWait} {@code > 0}.
     *
     * @param value the capacity, {@code >= 2}
     * @return this builder
     * @throws IllegalArgumentException if {@code value < 2}
     * @throws IllegalStateException if already set
     */
    public Builder queueCapacity(int value) {
      Checks.requireNotSet(queueCapacity == null, "queueCapacity", queueCapacity);
      queueCapacity = Checks.requireInRange("queueCapacity", value, 2, 1 << 20);
      return this;
    }

    /**
     * Sets the queueing delay target (default 5 ms): a priority whose waiters keep waiting
     * longer than this for a whole {@link #queueDelayInterval} is shed at once instead of
     * queued, until its queue empties. Needs {@link #maxWait} {@code > 0}.
     *
     * @param value the target, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder queueDelayTarget(Duration value) {
      Checks.requireNotSet(queueDelayTarget == null, "queueDelayTarget", queueDelayTarget);
      queueDelayTarget = Checks.requirePositive("queueDelayTarget", value);
      return this;
    }

    /**
     * Sets how long queueing delay must stay above target before shedding (default 100 ms).
     * Needs {@link #maxWait} {@code > 0}.
     *
     * @param value the interval, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not positive
     * @throws IllegalStateException if already set
     */
    public Builder queueDelayInterval(Duration value) {
      Checks.requireNotSet(queueDelayInterval == null, "queueDelayInterval",
          queueDelayInterval);
      queueDelayInterval = Checks.requirePositive("queueDelayInterval", value);
      return this;
    }

    /**
     * Sets whether one permit may be completed by racing threads (default false). By default
     * completion is idempotent for ordered calls (one thread, or a synchronised handoff) and
     * the admitted path allocates nothing; with {@code true}, completion is a CAS that exactly
     * one of any number of racing callers wins, and each admission allocates its permit
     * (about 40 bytes). Use it when, for example, a timeout callback and the response handler
     * may both complete the same permit.
     *
     * @param value whether completions may race
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder atomicCompletion(boolean value) {
      Checks.requireNotSet(atomicCompletion == null, "atomicCompletion", atomicCompletion);
      atomicCompletion = value;
      return this;
    }

    /**
     * Sets the number of in-flight stripes (default: twice the processors, a power of two, at
     * most 64); 1 still stripes, for tests that must not depend on the machine.
     */
    Builder stripes(int value) {
      Checks.requireNotSet(stripes == null, "stripes", stripes);
      if (value < 1 || value > 64 || Integer.bitCount(value) != 1) {
        throw new IllegalArgumentException(Checks.message("stripes",
            "a power of two in [1, 64]", value));
      }
      stripes = value;
      return this;
    }

    /**
     * Builds the shedder.
     *
     * @return a new shedder
     * @throws IllegalArgumentException if the shares are not ordered
     *     ({@code "share(NORMAL) must be >= share(LOW) 0.5 (was 0.4)"})
     * @throws IllegalStateException if a queue option is set without a positive maxWait
     */
    public LoadShedder build() {
      for (int p = Priority.NORMAL.ordinal(); p >= Priority.HIGH.ordinal(); p--) {
        Priority higher = Priority.ALL[p];
        Priority lower = Priority.ALL[p + 1];
        Checks.requireArgument(shares[p] >= shares[p + 1], "share(" + higher + ")",
            ">= share(" + lower + ") " + format(shares[p + 1]), shares[p]);
      }
      boolean queueing = maxWait != null && !maxWait.isZero();
      if (!queueing) {
        String set = queueCapacity != null ? "queueCapacity"
            : queueDelayTarget != null ? "queueDelayTarget"
            : queueDelayInterval != null ? "queueDelayInterval" : null;
        Checks.requireState(set == null,
            set + " needs maxWait > 0 (was " + (maxWait == null ? "unset" : maxWait) + ")");
      }
      return new LoadShedder(this);
    }

    /** Formats a share as the shared messages do: {@code 0.5}, {@code 1}. */
    private static String format(double value) {
      return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
  }
}
