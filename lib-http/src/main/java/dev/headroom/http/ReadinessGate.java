package dev.headroom.http;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.shed.ShedReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * What the startup, readiness and liveness probes answer.
 *
 * <ul>
 *   <li><b>Started</b> once every declared warm-up task is done (a cache preload, a pool
 *       filled to its minimum idle): until then the pod takes no traffic. The cold-start storm
 *       (40 new pods taking traffic inside their 12 s boot window) is what this prevents.
 *   <li><b>Ready</b> when started and no condition holds: the shedder is refusing most traffic
 *       ({@link Builder#shedderRefusingMost}), a pool budget is exhausted, or any other
 *       {@link Builder#notReadyWhen condition}. A saturated pod leaves the load balancer's
 *       rotation instead of taking new connections it will refuse.
 *   <li><b>Live</b> always, once the process answers at all: liveness never depends on a
 *       dependency. An open breaker, an exhausted pool or a failing database must not get the
 *       pod restarted, since a restart fixes none of them and adds a cold start.
 * </ul>
 *
 * <pre>{@code
 * ReadinessGate gate = ReadinessGate.builder()
 *     .warmUp("credit-cache-preload")
 *     .shedderRefusingMost(shedder, 0.5)
 *     .notReadyWhen("db-pool-exhausted", () -> pool.getHikariPoolMXBean().getThreadsAwaitingConnection() > 0)
 *     .build();
 * ... gate.done("credit-cache-preload");
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use. Conditions are evaluated when a probe asks, on the
 * probe's thread.
 */
public final class ReadinessGate implements Instrumented {

  /**
   * A probe's answer.
   *
   * @param ok whether the probe passes
   * @param reasons why not, empty when it passes
   */
  public record Status(boolean ok, List<String> reasons) {
    /**
     * Creates a status.
     *
     * @param ok whether the probe passes
     * @param reasons why not
     */
    public Status {
      reasons = List.copyOf(reasons);
    }
  }

  private final Map<String, Boolean> warmUps;
  private final String[] conditionNames;
  private final BooleanSupplier[] conditions;
  private volatile boolean started;

  private ReadinessGate(Builder b) {
    this.warmUps = new java.util.concurrent.ConcurrentHashMap<>(b.warmUps);
    this.conditionNames = b.conditionNames.toArray(new String[0]);
    this.conditions = b.conditions.toArray(new BooleanSupplier[0]);
    this.started = warmUps.isEmpty();
  }

  /**
   * Starts a builder.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Marks a declared warm-up task done. Idempotent.
   *
   * @param task the task's name, as declared
   * @throws IllegalArgumentException if the task was not declared
   */
  public void done(String task) {
    Checks.requireArgument(task != null && warmUps.containsKey(task), "task",
        "a declared warm-up task " + warmUps.keySet(), task);
    warmUps.put(task, Boolean.TRUE);
    if (!warmUps.containsValue(Boolean.FALSE)) {
      started = true;
    }
  }

  /**
   * The startup probe: every warm-up task done.
   *
   * @return the status, naming the tasks still pending
   */
  public Status startup() {
    if (started) {
      return new Status(true, List.of());
    }
    List<String> pending = new ArrayList<>();
    warmUps.forEach((k, v) -> {
      if (!v) {
        pending.add("warm-up " + k + " pending");
      }
    });
    return new Status(pending.isEmpty(), pending);
  }

  /**
   * The readiness probe: started, and no condition holds.
   *
   * @return the status, naming what holds the pod back
   */
  public Status readiness() {
    Status s = startup();
    List<String> reasons = new ArrayList<>(s.reasons());
    for (int i = 0; i < conditions.length; i++) {
      if (conditions[i].getAsBoolean()) {
        reasons.add(conditionNames[i]);
      }
    }
    return new Status(reasons.isEmpty(), reasons);
  }

  /**
   * The liveness probe: always passes; it depends on no dependency.
   *
   * @return a passing status
   */
  public Status liveness() {
    return new Status(true, List.of());
  }

  /**
   * Returns whether every warm-up task is done.
   *
   * @return true once started
   */
  public boolean isStarted() {
    return started;
  }

  /**
   * Returns whether the readiness probe passes now.
   *
   * @return true if ready
   */
  public boolean isReady() {
    return readiness().ok();
  }

  /**
   * Describes {@code headroom.http.server.started} and {@code headroom.http.server.ready}
   * (gauges, 1 or 0).
   *
   * @param sink receives the meters
   */
  @Override
  public void describeMeters(MeterSink sink) {
    sink.gauge(MeterId.of("headroom.http.server.started")
        .description("1 once every warm-up task is done"), () -> started ? 1 : 0);
    sink.gauge(MeterId.of("headroom.http.server.ready")
        .description("1 while the readiness probe passes"), () -> isReady() ? 1 : 0);
  }

  @Override
  public String toString() {
    return "ReadinessGate[" + readiness() + "]";
  }

  /**
   * A condition that holds while a shedder refused more than {@code fraction} of the
   * non-CRITICAL requests it saw since the previous evaluation, once at least
   * {@code minRequests} were seen. Each evaluation starts a new interval, so the answer follows
   * the probe period. Safe for concurrent evaluation (two probes at once split one interval).
   */
  static BooleanSupplier refusingMost(LoadShedder shedder, double fraction, int minRequests) {
    AtomicLong lastAdmitted = new AtomicLong(admitted(shedder));
    AtomicLong lastRefused = new AtomicLong(refused(shedder));
    boolean[] last = {false};
    return () -> {
      long a = admitted(shedder);
      long r = refused(shedder);
      long da = a - lastAdmitted.getAndSet(a);
      long dr = r - lastRefused.getAndSet(r);
      if (da + dr < minRequests) {
        // Too few to judge: keep the previous answer (a pod refusing everything sees little).
        return last[0] && da + dr > 0;
      }
      boolean most = dr > fraction * (da + dr);
      last[0] = most;
      return most;
    };
  }

  private static long admitted(LoadShedder s) {
    return s.admitted(Priority.HIGH) + s.admitted(Priority.NORMAL) + s.admitted(Priority.LOW);
  }

  private static long refused(LoadShedder s) {
    long n = 0;
    for (Priority p : new Priority[] {Priority.HIGH, Priority.NORMAL, Priority.LOW}) {
      for (ShedReason r : ShedReason.values()) {
        n += s.rejected(p, r);
      }
    }
    return n;
  }

  /** Builds a {@link ReadinessGate}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Boolean> warmUps = new LinkedHashMap<>();
    private final List<String> conditionNames = new ArrayList<>();
    private final List<BooleanSupplier> conditions = new ArrayList<>();

    private Builder() {}

    /**
     * Declares a warm-up task; the pod is not started until {@link ReadinessGate#done} names
     * it.
     *
     * @param task a unique name
     * @return this builder
     * @throws IllegalArgumentException if blank
     * @throws IllegalStateException if declared twice
     */
    public Builder warmUp(String task) {
      Checks.requireNonBlank("task", task);
      Checks.requireNotSet(!warmUps.containsKey(task), "warmUp " + task, task);
      warmUps.put(task, Boolean.FALSE);
      return this;
    }

    /**
     * Adds a condition under which the pod is not ready, e.g. a pool budget exhausted
     * ({@code () -> hikari.getThreadsAwaitingConnection() > 0}).
     *
     * @param reason what the readiness body says while it holds
     * @param condition evaluated at each readiness probe; must be fast and not throw
     * @return this builder
     * @throws IllegalArgumentException if an argument is null or blank
     */
    public Builder notReadyWhen(String reason, BooleanSupplier condition) {
      conditionNames.add(Checks.requireNonBlank("reason", reason));
      conditions.add(Checks.requireNonNull("condition", condition));
      return this;
    }

    /**
     * Not ready while the shedder refuses more than {@code fraction} of the non-CRITICAL
     * requests it saw since the previous readiness probe (at least 20 requests to judge).
     *
     * @param shedder the server's shedder
     * @param fraction in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if {@code shedder} is null or {@code fraction} is out
     *     of range
     */
    public Builder shedderRefusingMost(LoadShedder shedder, double fraction) {
      Checks.requireNonNull("shedder", shedder);
      Checks.requireFraction("fraction", fraction);
      return notReadyWhen("shedder " + shedder.name() + " refusing more than " + fraction
          + " of requests", refusingMost(shedder, fraction, 20));
    }

    /**
     * Builds the gate.
     *
     * @return the gate
     */
    public ReadinessGate build() {
      return new ReadinessGate(this);
    }
  }
}
