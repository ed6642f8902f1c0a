package dev.headroom.bench.core;

import dev.headroom.core.NanoClock;
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
 * The price of "now": reading the exact system clock through the seam against reading the
 * coarse clock, which hot paths use when they need the time on every call.
 *
 * <p>Run at 1 and 2 threads: {@code java -jar benchmarks/target/benchmarks.jar ClockBenchmark -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClockBenchmark {

  @Param({"system", "coarse"})
  public String clock;

  private NanoClock nanoClock;

  @Setup
  public void setUp() {
    nanoClock = switch (clock) {
      case "system" -> NanoClock.system();
      case "coarse" -> NanoClock.coarse();
      default -> throw new IllegalArgumentException("clock must be system or coarse (was " + clock + ")");
    };
  }

  /** One clock read through the seam. */
  @Benchmark
  public long read() {
    return nanoClock.nanoTime();
  }
}
