package dev.headroom.bench.breaker;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.NanoClock;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * The circuit breaker's hot path in the closed state: ask for permission, then record a
 * success, for one breaker shared by all benchmark threads. Headroom's breaker runs with its
 * sliding time window on (failure-rate and slow-call-rate rules, 10 s in 10 buckets, the
 * coarse clock), next to Resilience4j 2.x (count window of 100 calls, and a 10 s time window)
 * and Failsafe 3.x (count-based over 100 executions, and time-based over 10 s).
 *
 * <p>Read against {@code CounterBaselineBenchmark.longAdderIncrement}. Run at 1 and 2 threads:
 * {@code java -jar benchmarks/target/benchmarks.jar BreakerBenchmark -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BreakerBenchmark {

  /** A duration for the success record: 1 ms, well under every slow-call threshold. */
  private static final long DURATION_NANOS = 1_000_000L;

  /** Which breaker. */
  @Param({"headroom", "headroom-adaptive", "resilience4j-count", "resilience4j-time",
      "failsafe-count", "failsafe-time"})
  public String impl;

  private Breaker breaker;

  /** Builds the selected breaker, closed. */
  @Setup
  public void setUp() {
    breaker = switch (impl) {
      case "headroom" -> headroom(CircuitBreaker.builder("bench")
          .failureRateThreshold(0.5)
          .slowCallRateThreshold(0.8)
          .slowCallThreshold(Duration.ofSeconds(1))
          .window(Duration.ofSeconds(10), 10)
          .clock(NanoClock.coarse())
          .build());
      case "headroom-adaptive" -> headroom(CircuitBreaker.builder("bench")
          .failureRateThreshold(0.5)
          .slowCallRateThreshold(0.8)
          .window(Duration.ofSeconds(10), 10)
          .clock(NanoClock.coarse())
          .build());
      case "resilience4j-count" -> resilience4j(SlidingWindowType.COUNT_BASED, 100);
      case "resilience4j-time" -> resilience4j(SlidingWindowType.TIME_BASED, 10);
      case "failsafe-count" -> failsafe(dev.failsafe.CircuitBreaker.builder()
          .withFailureThreshold(50, 100) // 50 failures among the last 100 executions
          .build());
      case "failsafe-time" -> failsafe(dev.failsafe.CircuitBreaker.builder()
          .withFailureRateThreshold(50, 100, Duration.ofSeconds(10)) // 50% over 10 s, >= 100
          .build());
      default -> throw new IllegalArgumentException("impl: " + impl);
    };
  }

  /** Permission plus a success record. */
  @Benchmark
  public boolean acquireAndRecordSuccess() {
    return breaker.acquireAndRecordSuccess();
  }

  /** One implementation per fork, so this call site stays monomorphic. */
  private interface Breaker {
    boolean acquireAndRecordSuccess();
  }

  private static Breaker headroom(CircuitBreaker cb) {
    return () -> {
      long permit = cb.tryAcquire();
      if (permit == CircuitBreaker.REJECTED) {
        return false;
      }
      cb.onSuccess(permit, DURATION_NANOS);
      return true;
    };
  }

  private static Breaker resilience4j(SlidingWindowType type, int size) {
    io.github.resilience4j.circuitbreaker.CircuitBreaker cb =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench",
            CircuitBreakerConfig.custom()
                .slidingWindowType(type)
                .slidingWindowSize(size)
                .failureRateThreshold(50)
                .slowCallRateThreshold(80)
                .slowCallDurationThreshold(Duration.ofSeconds(1))
                .build());
    return () -> {
      if (!cb.tryAcquirePermission()) {
        return false;
      }
      cb.onSuccess(DURATION_NANOS, TimeUnit.NANOSECONDS);
      return true;
    };
  }

  private static Breaker failsafe(dev.failsafe.CircuitBreaker<Object> cb) {
    return () -> {
      if (!cb.tryAcquirePermit()) {
        return false;
      }
      cb.recordSuccess();
      return true;
    };
  }
}
