package dev.headroom.bench.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floors other benchmarks are read against: one striped increment (the cheapest way to
 * count under contention, "within 3x of a bare {@code LongAdder.increment}") and one shared
 * atomic increment (cheap alone, costly when two threads share its cache line).
 *
 * <p>Run at 1 and 2 threads: {@code java -jar benchmarks/target/benchmarks.jar CounterBaseline -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CounterBaselineBenchmark {

  private final LongAdder adder = new LongAdder();
  private final AtomicLong atomic = new AtomicLong();

  /** One striped increment. */
  @Benchmark
  public void longAdderIncrement() {
    adder.increment();
  }

  /** One shared atomic increment. */
  @Benchmark
  public long atomicIncrement() {
    return atomic.incrementAndGet();
  }
}
