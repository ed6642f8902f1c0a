package dev.headroom.signal;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Replica advice: how many pods the service should run, by the HPA's algorithm over its
 * {@link Signal}s, capped by what its databases' connection budgets were sized for and held
 * while a dependency's breaker is open, so that scaling out never builds a connection wall or
 * piles pods onto a dependency that is down.
 *
 * <pre>{@code
 * ReplicaAdvisor advisor = ReplicaAdvisor.builder("enrollment")
 *     .signal(queueDepth)                                   // ceil(4200 / 100) = 42
 *     .currentReplicas(pods)                                // a PodCountSource
 *     .database("enrollment-db", budget, "enrollment")      // at most maxReplicas 38
 *     .holdWhileOpen(eligibilityBreaker)                    // no scale-out while it is open
 *     .build();
 * ReplicaAdvice advice = advisor.latest();
 * // 38 pods, "capped by database budget 'enrollment-db' at 38 pods (signals ask for 42)"
 * }</pre>
 *
 * <h2>The control loop</h2>
 *
 * <ul>
 *   <li><b>Signal read:</b> every signal, once per evaluation; the current pod count from the
 *       configured source. An evaluation runs when {@link #evaluate()} is called, or when
 *       {@link #latest()} (every exporter: gauges, the KEDA endpoint, CloudWatch) finds the last
 *       advice older than {@code evaluationInterval} (default 15 s, the HPA's sync period).
 *   <li><b>Update rule:</b> each signal asks for {@code ceil(current x value / target)} pods (a
 *       fleet total for {@code ceil(value / target)}), or for the current count when its ratio
 *       to the target is within {@code tolerance} (default 0.1); the recommendation is the
 *       maximum over signals. As in the HPA, a signal without a valid reading blocks scale-in
 *       but not scale-out, and with no valid reading at all the count stays.
 *   <li><b>How fast it reacts:</b> scale-out at once, in one evaluation, to the full count the
 *       signals ask for; scale-in only to the highest recommendation of the last
 *       {@code scaleDownStabilization} (default 300 s, the HPA's default; a 30 s cooldown
 *       thrashed a cluster, 300 s cured it).
 *   <li><b>Floor and ceiling:</b> {@code minReplicas} (default 1), {@code maxReplicas} (default
 *       none), then the smallest {@code maxReplicas} among the databases' {@link PoolBudget}s
 *       (the budget reserves the rollout surge above it), then, while any listed breaker admits
 *       nothing, no more than the current count.
 *   <li><b>Why it cannot get stuck:</b> it keeps no state but the stabilisation window, which
 *       forgets every recommendation after the window; a cap or hold applies only to the advice
 *       being returned and lifts at the first evaluation after the breaker leaves the open
 *       state; an unknown pod count keeps the last advice and is retried at every evaluation.
 * </ul>
 *
 * <p>The advice carries its reason: {@link ReplicaAdvice#limitedBy()} and a sentence such as
 * {@code "held: breaker 'eligibility' open (signals ask for 60, keeping 5)"}.
 *
 * <p>Meters (tag {@code name}): {@code headroom.advice.desired_replicas},
 * {@code .current_replicas}, {@code .recommended_replicas}, {@code .cap_replicas} (with a
 * database), {@code .capped} and {@code .held} (1 or 0), {@code .evaluations}.
 *
 * <p>Thread-safety: safe for concurrent use. Evaluations are serialised by a lock (they run at
 * most a few times a minute, never on a request path); {@link #latest()} never waits for an
 * evaluation another thread is running once a first advice exists, it returns that advice.
 */
public final class ReplicaAdvisor implements Instrumented {

  /** Default tolerance, the HPA's: ratios within 10% of the target change nothing. */
  public static final double DEFAULT_TOLERANCE = 0.1;
  /** Default scale-down stabilisation window, the HPA's. */
  public static final Duration DEFAULT_SCALE_DOWN_STABILIZATION = Duration.ofSeconds(300);
  /** Default age after which {@link #latest()} evaluates again, the HPA's sync period. */
  public static final Duration DEFAULT_EVALUATION_INTERVAL = Duration.ofSeconds(15);

  private final String name;
  private final List<Signal> signals;
  private final IntSupplier currentReplicas;
  private final int minReplicas;
  private final int maxReplicas;
  private final double tolerance;
  private final long windowNanos;
  private final long intervalNanos;
  private final List<DatabaseCap> databases;
  private final DatabaseCap tightestDatabase;
  private final List<Hold> holds;
  private final NanoClock clock;

  private final ReentrantLock lock = new ReentrantLock();
  // Sliding-window maximum of the recommendations (time, replicas), guarded by lock:
  // replicas strictly decreasing from head to tail, so the head is the window's maximum.
  private final ArrayDeque<long[]> window = new ArrayDeque<>();
  private volatile ReplicaAdvice latest;
  private final LongAdder evaluations = new LongAdder();

  private ReplicaAdvisor(Builder b) {
    this.name = b.name;
    this.signals = List.copyOf(b.signals.values());
    this.currentReplicas = b.currentReplicas;
    this.minReplicas = b.minReplicas < 0 ? 1 : b.minReplicas;
    this.maxReplicas = b.maxReplicas < 0 ? Integer.MAX_VALUE : b.maxReplicas;
    this.tolerance = Double.isNaN(b.tolerance) ? DEFAULT_TOLERANCE : b.tolerance;
    this.windowNanos = (b.window == null ? DEFAULT_SCALE_DOWN_STABILIZATION : b.window).toNanos();
    this.intervalNanos = (b.interval == null ? DEFAULT_EVALUATION_INTERVAL : b.interval)
        .toNanos();
    this.databases = List.copyOf(b.databases);
    DatabaseCap tightest = null;
    for (DatabaseCap d : databases) {
      if (tightest == null || d.maxPods < tightest.maxPods) {
        tightest = d;
      }
    }
    this.tightestDatabase = tightest;
    this.holds = List.copyOf(b.holds);
    this.clock = b.clock == null ? NanoClock.system() : b.clock;
  }

  /**
   * Starts an advisor.
   *
   * @param name the advisor's name, usually the service's (a tag value and a JSON field)
   * @return a new builder
   * @throws IllegalArgumentException if the name is null or blank
   */
  public static Builder builder(String name) {
    return new Builder(Checks.requireNonBlank("name", name));
  }

  /**
   * Evaluates the advice now, records its recommendation in the stabilisation window and makes
   * it the {@linkplain #latest() latest}. Never throws: signals that fail are skipped.
   *
   * @return the advice
   */
  public ReplicaAdvice evaluate() {
    lock.lock();
    try {
      return evaluateLocked();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the latest advice, evaluating first when there is none or it is older than the
   * evaluation interval. When another thread is evaluating, returns the previous advice instead
   * of waiting (it waits only for the very first).
   *
   * @return the advice
   */
  public ReplicaAdvice latest() {
    ReplicaAdvice a = latest;
    if (a != null && clock.nanoTime() - a.evaluatedAtNanos() < intervalNanos) {
      return a;
    }
    if (a == null) {
      lock.lock();
    } else if (!lock.tryLock()) {
      return a;
    }
    try {
      a = latest;
      if (a == null || clock.nanoTime() - a.evaluatedAtNanos() >= intervalNanos) {
        a = evaluateLocked();
      }
      return a;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the latest advice without evaluating.
   *
   * @return the advice, or null before the first evaluation
   */
  public ReplicaAdvice peek() {
    return latest;
  }

  private ReplicaAdvice evaluateLocked() {
    long now = clock.nanoTime();
    evaluations.increment();
    int current = readCurrent();
    List<ReplicaAdvice.Proposal> proposals = new ArrayList<>(signals.size());
    if (current < 0) {
      for (Signal s : signals) {
        double v = s.read();
        proposals.add(new ReplicaAdvice.Proposal(s.name(), s.scope(), v, s.targetPerPod(), -1));
      }
      ReplicaAdvice previous = latest;
      int keep = previous == null ? minReplicas : previous.desiredReplicas();
      return publish(new ReplicaAdvice(name, keep, -1, keep, ReplicaAdvice.Limit.UNKNOWN_PODS,
          "pod count unknown: keeping " + pods(keep), proposals, now));
    }

    int recommended = -1;
    Signal driver = null;
    double driverValue = 0;
    Signal missing = null;
    for (Signal s : signals) {
      double v = s.read();
      int replicas = -1;
      if (Double.isNaN(v)) {
        if (missing == null) {
          missing = s;
        }
      } else {
        replicas = Hpa.proposal(current, v, s.targetPerPod(), s.scope(), tolerance);
        if (replicas > recommended) {
          recommended = replicas;
          driver = s;
          driverValue = v;
        }
      }
      proposals.add(new ReplicaAdvice.Proposal(s.name(), s.scope(), v, s.targetPerPod(),
          replicas));
    }

    ReplicaAdvice.Limit limit;
    String reason;
    int desired;
    if (driver == null) {
      recommended = current;
      desired = current;
      limit = ReplicaAdvice.Limit.MISSING_READING;
      reason = "no valid reading from " + quote(missing.name()) + ": keeping " + pods(current);
    } else if (missing != null && recommended < current) {
      desired = current;
      limit = ReplicaAdvice.Limit.MISSING_READING;
      reason = "scale-in skipped: no valid reading from " + quote(missing.name()) + " (signals"
          + " ask for " + recommended + ", keeping " + pods(current) + ")";
    } else {
      desired = recommended;
      limit = ReplicaAdvice.Limit.SIGNALS;
      reason = describe(current, recommended, driver, driverValue);
    }

    // Stabilisation: the window remembers recommendations, as the HPA does; a scale-in goes no
    // lower than the highest of the window's, a scale-out happens at once.
    if (driver != null) {
      record(now, recommended);
    }
    if (desired < current && limit == ReplicaAdvice.Limit.SIGNALS) {
      int highest = windowMax(now);
      if (highest > desired) {
        int stabilized = Math.min(current, highest);
        reason = "scale-in from " + current + " to " + desired + " held at " + pods(stabilized)
            + ": the highest recommendation within the " + seconds(windowNanos)
            + " stabilisation window";
        desired = stabilized;
        limit = ReplicaAdvice.Limit.STABILIZATION;
      }
    }

    int wanted = desired;
    if (desired < minReplicas) {
      desired = minReplicas;
      limit = ReplicaAdvice.Limit.MIN_REPLICAS;
      reason = "raised to minReplicas " + minReplicas + " (signals ask for " + wanted + ")";
    }
    if (desired > maxReplicas) {
      desired = maxReplicas;
      limit = ReplicaAdvice.Limit.MAX_REPLICAS;
      reason = "capped at maxReplicas " + maxReplicas + " (signals ask for " + wanted + ")";
    }
    if (tightestDatabase != null && desired > tightestDatabase.maxPods) {
      desired = tightestDatabase.maxPods;
      limit = ReplicaAdvice.Limit.DATABASE_BUDGET;
      reason = "capped by database budget " + quote(tightestDatabase.name) + " at "
          + pods(desired) + " (signals ask for " + wanted + ")";
    }
    if (desired > current && desired > minReplicas) {
      List<String> open = openDependencies();
      if (!open.isEmpty()) {
        int held = Math.max(current, minReplicas);
        reason = "held: " + (open.size() == 1 ? "breaker " : "breakers ") + String.join(", ",
            open) + " open (signals ask for " + wanted + ", keeping " + held + ")";
        desired = held;
        limit = ReplicaAdvice.Limit.BREAKER_OPEN;
      }
    }
    return publish(new ReplicaAdvice(name, desired, current, recommended, limit, reason,
        proposals, now));
  }

  private ReplicaAdvice publish(ReplicaAdvice advice) {
    latest = advice;
    return advice;
  }

  private int readCurrent() {
    try {
      int c = currentReplicas.getAsInt();
      return c < 0 ? -1 : c;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private List<String> openDependencies() {
    List<String> open = new ArrayList<>(1);
    for (Hold h : holds) {
      boolean isOpen;
      try {
        isOpen = h.open.getAsBoolean();
      } catch (RuntimeException e) {
        isOpen = false;
      }
      if (isOpen) {
        open.add(quote(h.dependency));
      }
    }
    return open;
  }

  private void record(long now, int replicas) {
    while (!window.isEmpty() && window.peekLast()[1] <= replicas) {
      window.pollLast();
    }
    window.addLast(new long[] {now, replicas});
  }

  /** The highest recommendation recorded within the window (strictly after now - window). */
  private int windowMax(long now) {
    while (!window.isEmpty() && now - window.peekFirst()[0] >= windowNanos
        && window.size() > 1) {
      window.pollFirst();
    }
    long[] head = window.peekFirst();
    if (head == null || (now - head[0] >= windowNanos && windowNanos > 0)) {
      return -1;
    }
    return windowNanos == 0 ? -1 : (int) head[1];
  }

  private static String describe(int current, int recommended, Signal s, double value) {
    String reading = quote(s.name()) + " reads " + Json.number(round(value)) + " " + s.unit()
        + (s.scope() == SignalScope.PER_POD ? " per pod" : "") + ", target "
        + Json.number(round(s.targetPerPod())) + " per pod";
    if (recommended > current) {
      return "scale out from " + current + " to " + pods(recommended) + ": " + reading;
    }
    if (recommended < current) {
      return "scale in from " + current + " to " + pods(recommended) + ": " + reading;
    }
    return "steady at " + pods(current) + ": " + reading;
  }

  private static double round(double v) {
    return Math.abs(v) >= 1e15 ? v : Math.round(v * 1000.0) / 1000.0;
  }

  private static String pods(int n) {
    return n + (n == 1 ? " pod" : " pods");
  }

  private static String quote(String s) {
    return "'" + s + "'";
  }

  private static String seconds(long nanos) {
    return Json.number(nanos / 1e9) + " s";
  }

  /**
   * Returns the name.
   *
   * @return the advisor's name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the signals, in the order they were added.
   *
   * @return an unmodifiable list
   */
  public List<Signal> signals() {
    return signals;
  }

  /**
   * Returns the current pod count from the configured source.
   *
   * @return the count, or -1 if unknown
   */
  public int currentReplicas() {
    return readCurrent();
  }

  /**
   * Returns the smallest replica cap among the databases' budgets.
   *
   * @return the cap, or {@link Integer#MAX_VALUE} without a database
   */
  public int databaseCap() {
    return tightestDatabase == null ? Integer.MAX_VALUE : tightestDatabase.maxPods;
  }

  /**
   * Returns the number of evaluations so far.
   *
   * @return the count
   */
  public long evaluationCount() {
    return evaluations.sum();
  }

  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(id("headroom.advice.desired_replicas", "Replicas the service should run"),
        () -> latest().desiredReplicas());
    sink.gauge(id("headroom.advice.current_replicas", "Replicas running, -1 if unknown"),
        () -> latest().currentReplicas());
    sink.gauge(id("headroom.advice.recommended_replicas",
        "Replicas the signals alone ask for"), () -> latest().recommendedReplicas());
    if (tightestDatabase != null) {
      sink.gauge(id("headroom.advice.cap_replicas",
          "Most replicas the databases' connection budgets allow"), () -> databaseCap());
    }
    sink.gauge(id("headroom.advice.capped", "1 while a database budget caps the advice"),
        () -> latest().capped() ? 1 : 0);
    sink.gauge(id("headroom.advice.held", "1 while an open breaker holds the advice"),
        () -> latest().held() ? 1 : 0);
    sink.counter(id("headroom.advice.evaluations", "Evaluations of the advice"),
        evaluations::sum);
  }

  private MeterId id(String meter, String description) {
    return MeterId.of(meter).tag("name", name).description(description);
  }

  @Override
  public String toString() {
    ReplicaAdvice a = latest;
    return "ReplicaAdvisor[" + name + ", " + signals.size() + " signals"
        + (a == null ? "" : ", " + a.desiredReplicas() + " desired: " + a.reason()) + "]";
  }

  private static final class DatabaseCap {
    final String name;
    final int maxPods;

    DatabaseCap(String name, int maxPods) {
      this.name = name;
      this.maxPods = maxPods;
    }
  }

  private static final class Hold {
    final String dependency;
    final BooleanSupplier open;

    Hold(String dependency, BooleanSupplier open) {
      this.dependency = dependency;
      this.open = open;
    }
  }

  /**
   * Builds a {@link ReplicaAdvisor}. Each setter validates its argument and may be called once
   * (signals, databases and holds once per name); {@link #build()} checks the combination.
   * Required: at least one signal and the current replica source.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final String name;
    private final Map<String, Signal> signals = new LinkedHashMap<>();
    private IntSupplier currentReplicas;
    private int minReplicas = -1;
    private int maxReplicas = -1;
    private double tolerance = Double.NaN;
    private Duration window;
    private Duration interval;
    private final List<DatabaseCap> databases = new ArrayList<>();
    private final List<Hold> holds = new ArrayList<>();
    private NanoClock clock;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Adds a signal.
     *
     * @param signal the signal
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a signal of this name was already added
     */
    public Builder signal(Signal signal) {
      Checks.requireNonNull("signal", signal);
      Checks.requireNotSet(!signals.containsKey(signal.name()), "signal " + signal.name(),
          signals.get(signal.name()));
      signals.put(signal.name(), signal);
      return this;
    }

    /**
     * Sets where the current replica count comes from. Required (or
     * {@link #currentReplicas(PodCountSource)}).
     *
     * @param source returns the count, or a negative number when unknown
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder currentReplicas(IntSupplier source) {
      Checks.requireNonNull("currentReplicas", source);
      Checks.requireNotSet(currentReplicas == null, "currentReplicas", currentReplicas);
      currentReplicas = source;
      return this;
    }

    /**
     * Sets a pod-count source (the one a {@code PoolSizer} uses) as the current replica count.
     *
     * @param source the source; an empty count is "unknown"
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder currentReplicas(PodCountSource source) {
      Checks.requireNonNull("currentReplicas", source);
      return currentReplicas(() -> source.currentPods().orElse(-1));
    }

    /**
     * Sets the fewest replicas to advise. Default 1.
     *
     * @param value {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder minReplicas(int value) {
      Checks.requireNonNegative("minReplicas", value);
      Checks.requireNotSet(minReplicas < 0, "minReplicas", minReplicas);
      minReplicas = value;
      return this;
    }

    /**
     * Sets the most replicas to advise. Default: no limit but the databases' budgets (the
     * autoscaler's own maximum still applies).
     *
     * @param value {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder maxReplicas(int value) {
      Checks.requirePositive("maxReplicas", value);
      Checks.requireNotSet(maxReplicas < 0, "maxReplicas", maxReplicas);
      maxReplicas = value;
      return this;
    }

    /**
     * Sets the tolerance: a signal whose ratio to its target is within it asks for the current
     * count. Default {@value ReplicaAdvisor#DEFAULT_TOLERANCE}, the HPA's.
     *
     * @param value in {@code [0, 1)}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder tolerance(double value) {
      Checks.requireInRange("tolerance", value, 0.0, true, 1.0, false);
      Checks.requireNotSet(Double.isNaN(tolerance), "tolerance", tolerance);
      tolerance = value;
      return this;
    }

    /**
     * Sets the scale-down stabilisation window: a scale-in goes no lower than the highest
     * recommendation within it. Default 300 s, the HPA's; zero scales in at once.
     *
     * @param value {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder scaleDownStabilization(Duration value) {
      Checks.requireNonNegative("scaleDownStabilization", value);
      Checks.requireNotSet(window == null, "scaleDownStabilization", window);
      window = value;
      return this;
    }

    /**
     * Sets how old the latest advice may get before {@link ReplicaAdvisor#latest()} evaluates
     * again. Default 15 s.
     *
     * @param value {@code >= 0}; zero evaluates at every call
     * @return this builder
     * @throws IllegalArgumentException if null or negative
     * @throws IllegalStateException if already set
     */
    public Builder evaluationInterval(Duration value) {
      Checks.requireNonNegative("evaluationInterval", value);
      Checks.requireNotSet(interval == null, "evaluationInterval", interval);
      interval = value;
      return this;
    }

    /**
     * Caps the advice at the most replicas a database's connection budget was sized for: the
     * service's {@code maxReplicas} in {@code budget} (the budget keeps the rollout surge above
     * it). With several databases the smallest cap applies and the reason names it.
     *
     * @param database the database's name, for the reason ({@code "enrollment-db"})
     * @param budget the budget
     * @param service this service's name in the budget
     * @return this builder
     * @throws IllegalArgumentException if an argument is null or blank, or the budget has no
     *     such service
     * @throws IllegalStateException if this database was already added
     */
    public Builder database(String database, PoolBudget budget, String service) {
      Checks.requireNonBlank("database", database);
      Checks.requireNonNull("budget", budget);
      Checks.requireNonBlank("service", service);
      int maxPods = budget.allocation(service).service().maxReplicas();
      for (DatabaseCap d : databases) {
        Checks.requireNotSet(!d.name.equals(database), "database " + database, d.maxPods);
      }
      databases.add(new DatabaseCap(database, maxPods));
      return this;
    }

    /**
     * Holds the advice (no scale-out) while the breaker admits nothing (open or forced open).
     *
     * @param breaker the dependency's breaker; its name names the dependency in the reason
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if a dependency of this name was already added
     */
    public Builder holdWhileOpen(CircuitBreaker breaker) {
      Checks.requireNonNull("breaker", breaker);
      return holdWhileOpen(breaker.name(), () -> breaker.admittedFraction() == 0.0);
    }

    /**
     * Holds the advice (no scale-out) while {@code open} says the dependency's breaker is open:
     * for breakers of other libraries.
     *
     * @param dependency the dependency's name, for the reason
     * @param open whether its breaker is open now; cheap and thread-safe
     * @return this builder
     * @throws IllegalArgumentException if an argument is null or blank
     * @throws IllegalStateException if a dependency of this name was already added
     */
    public Builder holdWhileOpen(String dependency, BooleanSupplier open) {
      Checks.requireNonBlank("dependency", dependency);
      Checks.requireNonNull("open", open);
      for (Hold h : holds) {
        Checks.requireNotSet(!h.dependency.equals(dependency), "dependency " + dependency,
            "a breaker");
      }
      holds.add(new Hold(dependency, open));
      return this;
    }

    /**
     * Sets the clock that times the stabilisation window and the evaluation interval. Default
     * {@link NanoClock#system()}; a {@code ManualClock} in tests.
     *
     * @param value the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock value) {
      Checks.requireNonNull("clock", value);
      Checks.requireNotSet(clock == null, "clock", clock);
      clock = value;
      return this;
    }

    /**
     * Builds the advisor.
     *
     * @return the advisor
     * @throws IllegalArgumentException if {@code minReplicas > maxReplicas}, or
     *     {@code minReplicas} is above a database's cap
     * @throws IllegalStateException if no signal or no current replica source was set
     */
    public ReplicaAdvisor build() {
      Checks.requireState(!signals.isEmpty(), "signals must be added with signal(...)");
      Checks.requireState(currentReplicas != null,
          "currentReplicas must be set with currentReplicas(...)");
      int min = minReplicas < 0 ? 1 : minReplicas;
      if (maxReplicas >= 0) {
        Checks.requireArgument(min <= maxReplicas, "minReplicas",
            "<= maxReplicas " + maxReplicas, min);
      }
      for (DatabaseCap d : databases) {
        Checks.requireArgument(min <= d.maxPods, "minReplicas",
            "<= the " + d.maxPods + " pods database budget '" + d.name + "' allows", min);
      }
      return new ReplicaAdvisor(this);
    }
  }
}
