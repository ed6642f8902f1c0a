package dev.headroom.bench.shed;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limiter.AbstractPartitionedLimiter;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One admission plus its completion (acquire, then record success), the hot path of every
 * request a shedder guards, for Headroom's {@link LoadShedder} and the peers a user would pick
 * instead: Netflix concurrency-limits' {@code SimpleLimiter} with a fixed limit and with
 * {@code Gradient2Limit}, its partitioned limiter (percentage shares per partition), and
 * Resilience4j's {@code SemaphoreBulkhead}.
 *
 * <p>Each thread cycles through the four priorities (CRITICAL, HIGH, NORMAL, LOW), so
 * Headroom's priority shares are on; the Netflix partitioned limiter gets the same four
 * partitions; the other peers have no priorities. Limits are high (1000), so every call is
 * admitted: the benchmark measures the admitted fast path, not shedding. Headroom reads time
 * from its default coarse clock; the Netflix limiters call {@code System.nanoTime()} at acquire
 * and completion, as they do by default.
 *
 * <p>{@code headroom-atomic-completion} is {@code headroom} with permits that arbitrate racing
 * completions by CAS, which costs the permit's allocation.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ShedderBenchmark -t 1} and
 * {@code -t 2}; add {@code -prof gc} for allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ShedderBenchmark {

  private static final int LIMIT = 1000;
  private static final String[] PARTITIONS = {"critical", "high", "normal", "low"};

  /** Which implementation to measure. */
  @Param({"headroom", "headroom-gradient", "headroom-atomic-completion", "netflix-simple-fixed",
      "netflix-gradient2",
      "netflix-partitioned", "resilience4j-semaphore-bulkhead"})
  public String impl;

  private LoadShedder shedder;
  private Limiter<String> limiter;
  private Bulkhead bulkhead;

  /** Per-thread position in the priority cycle. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    int advance() {
      int i = next;
      next = (i + 1) & 3;
      return i;
    }
  }

  /** Builds the selected implementation. */
  @Setup(Level.Trial)
  public void setUp() {
    switch (impl) {
      case "headroom" -> shedder = LoadShedder.builder("bench")
          .limit(LimitPolicy.fixed(LIMIT)).build();
      case "headroom-gradient" -> shedder = LoadShedder.builder("bench")
          .limit(LimitPolicy.gradient().initialLimit(LIMIT).maxLimit(LIMIT).build()).build();
      case "headroom-atomic-completion" -> shedder = LoadShedder.builder("bench")
          .limit(LimitPolicy.fixed(LIMIT)).atomicCompletion(true).build();
      case "netflix-simple-fixed" -> limiter = SimpleLimiter.newBuilder()
          .limit(FixedLimit.of(LIMIT)).build();
      case "netflix-gradient2" -> limiter = SimpleLimiter.newBuilder()
          .limit(Gradient2Limit.newBuilder().initialLimit(LIMIT).maxConcurrency(LIMIT).build())
          .build();
      case "netflix-partitioned" -> limiter = new PartitionedBuilder()
          .partitionResolver(context -> context)
          .partition("critical", 0.1).partition("high", 0.3)
          .partition("normal", 0.3).partition("low", 0.3)
          .limit(FixedLimit.of(LIMIT)).build();
      case "resilience4j-semaphore-bulkhead" -> bulkhead = Bulkhead.of("bench",
          BulkheadConfig.custom().maxConcurrentCalls(LIMIT).maxWaitDuration(Duration.ZERO)
              .build());
      default -> throw new IllegalArgumentException("unknown impl " + impl);
    }
  }

  /**
   * Acquire, then complete with success.
   *
   * @param cursor the thread's priority cycle
   * @return whether the call was admitted
   */
  @Benchmark
  public boolean acquireAndComplete(Cursor cursor) {
    int i = cursor.advance();
    if (shedder != null) {
      Permit permit = shedder.tryAcquire(PRIORITIES[i]);
      boolean admitted = permit.isAdmitted();
      permit.onSuccess();
      return admitted;
    }
    if (limiter != null) {
      Optional<Limiter.Listener> listener = limiter.acquire(PARTITIONS[i]);
      if (listener.isPresent()) {
        listener.get().onSuccess();
        return true;
      }
      return false;
    }
    if (bulkhead.tryAcquirePermission()) {
      bulkhead.onComplete();
      return true;
    }
    return false;
  }

  private static final Priority[] PRIORITIES = {
      Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW};

  /** concurrency-limits' partitioned limiter, built through its abstract builder. */
  static final class PartitionedBuilder
      extends AbstractPartitionedLimiter.Builder<PartitionedBuilder, String> {
    @Override
    protected PartitionedBuilder self() {
      return this;
    }
  }
}
