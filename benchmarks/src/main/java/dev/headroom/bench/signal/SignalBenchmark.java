package dev.headroom.bench.signal;

import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * Reading a scaling signal, beside what a user would otherwise read: a Micrometer {@link Gauge}
 * over the same getter ({@code micrometer-gauge}) and the bare getter ({@code raw}). Headroom's
 * {@code signal} read validates the value (finite, not negative), remembers it and dates it
 * with the coarse clock (one volatile load). {@code advise} is one full
 * {@link ReplicaAdvisor#evaluate()} over two signals (HPA formula, stabilisation window,
 * bounds): it runs a few times a minute, never on a request path, and is here to show its cost
 * and allocation.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SignalBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SignalBenchmark {

  @Param({"signal", "micrometer-gauge", "raw"})
  public String impl;

  private final AtomicLong depth = new AtomicLong(4_200);
  private Signal signal;
  private Gauge gauge;
  private ReplicaAdvisor advisor;

  /** Builds the signal, the gauge and the advisor. */
  @Setup
  public void setUp() {
    signal = Signal.fleetTotal("remittance-queue", "messages", 100, depth::get);
    gauge = Gauge.builder("queue.depth", depth, AtomicLong::get)
        .register(new SimpleMeterRegistry());
    advisor = ReplicaAdvisor.builder("bench").signal(signal)
        .signal(Signal.perPod("waiting", "requests", 10, () -> 12))
        .currentReplicas(() -> 5).scaleDownStabilization(Duration.ofSeconds(300)).build();
  }

  /**
   * One read.
   *
   * @return the reading
   */
  @Benchmark
  public double read() {
    switch (impl) {
      case "signal":
        return signal.read();
      case "micrometer-gauge":
        return gauge.value();
      default:
        return depth.get();
    }
  }

  /**
   * One evaluation of the advice (the same for every {@code impl}).
   *
   * @return the desired replicas
   */
  @Benchmark
  public int advise() {
    return advisor.evaluate().desiredReplicas();
  }
}
