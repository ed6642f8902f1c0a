package dev.headroom.bench.guard;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.NanoClock;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.guard.GuardPermit;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One admitted call through a per-dependency guard (breaker, then concurrency limit, then
 * deadline), against the sum of its parts measured in the same run and against the
 * compositions a user would otherwise write with Resilience4j (circuit breaker around a
 * semaphore bulkhead) and Failsafe (circuit breaker and bulkhead policies).
 *
 * <ul>
 *   <li>{@code parts}: the guard's own steps written out by hand: breaker permit, limit permit,
 *       a clock read at admission and one at completion, breaker success, limit success; the
 *       target is that {@code guard-call} costs at most this plus 5 ns.
 *   <li>{@code guard-call}: {@link Guard#call} with a lambda; {@code guard-permit}: the permit
 *       API adapters use ({@link Guard#tryAcquire()} then {@link GuardPermit#onSuccess()}),
 *       which allocates one permit; {@code guard-adaptive}: {@code guard-call} with the
 *       adaptive deadline (its histogram takes each success).
 *   <li>{@code resilience4j}: {@code CircuitBreaker.decorateSupplier} around
 *       {@code Bulkhead.decorateSupplier}; {@code failsafe}: {@code Failsafe.with(breaker,
 *       bulkhead).get(...)}.
 * </ul>
 *
 * <p>Every call succeeds and is admitted (limits 1000): the benchmark measures the fast path.
 * Headroom's breaker, limit and guard read the same clock, their default
 * {@link NanoClock#coarse()}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar GuardBenchmark -t 1 -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GuardBenchmark {

  private static final int LIMIT = 1000;
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final Integer VALUE = 42;

  /** Which call path. */
  @Param({"parts", "guard-call", "guard-permit", "guard-adaptive", "resilience4j", "failsafe"})
  public String impl;

  private Path path;

  /** Builds the selected call path. */
  @Setup
  public void setUp() {
    path = switch (impl) {
      case "parts" -> parts();
      case "guard-call" -> guardCall(guard(DeadlinePolicy.fixed(DEADLINE)));
      case "guard-permit" -> guardPermit(guard(DeadlinePolicy.fixed(DEADLINE)));
      case "guard-adaptive" -> guardCall(guard(DeadlinePolicy.adaptive().build()));
      case "resilience4j" -> resilience4j();
      case "failsafe" -> failsafe();
      default -> throw new IllegalArgumentException("unknown impl " + impl);
    };
  }

  /**
   * One admitted, successful call.
   *
   * @return the call's result
   */
  @Benchmark
  public Object call() {
    return path.call();
  }

  /** One implementation per fork, so this call site stays monomorphic. */
  private interface Path {
    Object call();
  }

  private static Guard guard(DeadlinePolicy deadline) {
    return Guard.builder("bench")
        .breaker(BreakerConfig.defaults())
        .limit(LimitPolicy.gradient().initialLimit(LIMIT).maxLimit(LIMIT).build())
        .deadline(deadline)
        .build();
  }

  private static Path parts() {
    NanoClock clock = NanoClock.coarse();
    CircuitBreaker breaker = CircuitBreaker.builder("bench").clock(clock).build();
    LoadShedder limit = LoadShedder.builder("bench")
        .limit(LimitPolicy.gradient().initialLimit(LIMIT).maxLimit(LIMIT).build())
        .clock(clock).build();
    return () -> {
      long b = breaker.tryAcquire();
      if (b == CircuitBreaker.REJECTED) {
        return null;
      }
      Permit p = limit.tryAcquire(Priority.HIGH);
      if (!p.isAdmitted()) {
        breaker.onIgnore(b);
        return null;
      }
      long start = clock.nanoTime();
      Object result = VALUE;
      long latency = clock.nanoTime() - start;
      breaker.onSuccess(b, latency);
      p.onSuccess(latency);
      return result;
    };
  }

  private static Path guardCall(Guard guard) {
    return () -> {
      try {
        return guard.call(timeout -> VALUE);
      } catch (Exception e) {
        return e;
      }
    };
  }

  private static Path guardPermit(Guard guard) {
    return () -> {
      GuardPermit permit = guard.tryAcquire();
      if (!permit.isAdmitted()) {
        return null;
      }
      permit.onSuccess();
      return VALUE;
    };
  }

  private static Path resilience4j() {
    io.github.resilience4j.circuitbreaker.CircuitBreaker cb =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench",
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(100)
                .failureRateThreshold(50)
                .build());
    Bulkhead bulkhead = Bulkhead.of("bench", BulkheadConfig.custom()
        .maxConcurrentCalls(LIMIT).maxWaitDuration(Duration.ZERO).build());
    Supplier<Object> decorated = io.github.resilience4j.circuitbreaker.CircuitBreaker
        .decorateSupplier(cb, Bulkhead.decorateSupplier(bulkhead, () -> VALUE));
    return decorated::get;
  }

  private static Path failsafe() {
    dev.failsafe.CircuitBreaker<Object> cb = dev.failsafe.CircuitBreaker.builder()
        .withFailureRateThreshold(50, 100, Duration.ofSeconds(10))
        .build();
    dev.failsafe.Bulkhead<Object> bulkhead = dev.failsafe.Bulkhead.builder(LIMIT).build();
    dev.failsafe.FailsafeExecutor<Object> executor = dev.failsafe.Failsafe.with(cb, bulkhead);
    return () -> executor.get(() -> VALUE);
  }
}
