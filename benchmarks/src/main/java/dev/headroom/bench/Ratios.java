package dev.headroom.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The short form of the benchmarks: each hot path beside the peer a user would otherwise pick,
 * measured in the same run, printed as one line per comparison with the ratio. Short settings
 * (one fork, 2 warm-up and 3 measured iterations of 1 s, one thread) so that it finishes in about
 * two minutes; the full classes, with their own longer settings, remain the figures to quote.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.headroom.bench.Ratios
 * java -cp benchmarks/target/benchmarks.jar dev.headroom.bench.Ratios breaker guard   # some only
 * </pre>
 *
 * <p>A ratio below 1 means Headroom is faster; the error is JMH's 99.9% interval of each score.
 * Run it on a quiet machine: two builds at once on two cores make every figure meaningless.
 */
public final class Ratios {

  private Ratios() {}

  /** One comparison: a benchmark method, its parameter, Headroom's value and the peers'. */
  record Comparison(String name, String what, String benchmark, String param, String headroom,
      List<String> peers) {}

  static final List<Comparison> COMPARISONS = List.of(
      new Comparison("breaker", "permission + success record, closed",
          "breaker.BreakerBenchmark.acquireAndRecordSuccess", "impl", "headroom",
          List.of("resilience4j-count", "failsafe-count")),
      new Comparison("shedder", "admission + completion, priorities on",
          "shed.ShedderBenchmark.acquireAndComplete", "impl", "headroom",
          List.of("netflix-gradient2", "resilience4j-semaphore-bulkhead")),
      new Comparison("guard", "breaker + limit + deadline around one call",
          "guard.GuardBenchmark.call", "impl", "guard-call",
          List.of("resilience4j", "failsafe")),
      new Comparison("cache", "one hit, 4,096 keys",
          "cache.CacheBenchmark.hit", "cache", "headroom-get",
          List.of("caffeine-get")),
      new Comparison("partitioner", "partition of a two-field key, 12 partitions",
          "partition.PartitionerBenchmark.partition", "impl", "headroom-compatible",
          List.of("kafka-path")),
      new Comparison("jdbc", "borrow + close (the peer is the bare pool)",
          "jdbc.DataSourceBenchmark.borrowAndClose", "pool", "headroom",
          List.of("hikari")));

  /**
   * Runs the comparisons named in {@code args} (all when none) and prints the ratios.
   *
   * @param args comparison names: breaker, shedder, guard, cache, partitioner, jdbc
   * @throws RunnerException if JMH fails
   */
  public static void main(String[] args) throws RunnerException {
    List<Comparison> chosen = new ArrayList<>();
    for (String arg : args) {
      Comparison found = null;
      for (Comparison c : COMPARISONS) {
        if (c.name().equals(arg)) {
          found = c;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("unknown comparison '" + arg + "'; one of "
            + COMPARISONS.stream().map(Comparison::name).toList());
      }
      chosen.add(found);
    }
    if (chosen.isEmpty()) {
      chosen.addAll(COMPARISONS);
    }
    System.out.printf(Locale.ROOT, "%-12s %-44s %18s  %-32s %18s  %s%n", "component", "what",
        "Headroom", "peer", "peer", "ratio");
    for (Comparison c : chosen) {
      Map<String, Result<?>> scores = run(c);
      Result<?> own = scores.get(c.headroom());
      for (String peer : c.peers()) {
        Result<?> other = scores.get(peer);
        System.out.printf(Locale.ROOT, "%-12s %-44s %18s  %-32s %18s  %.2fx%n", c.name(),
            c.what(), format(own), peer, format(other), own.getScore() / other.getScore());
      }
    }
  }

  private static Map<String, Result<?>> run(Comparison c) throws RunnerException {
    List<String> values = new ArrayList<>();
    values.add(c.headroom());
    values.addAll(c.peers());
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include("dev\\.headroom\\.bench\\." + c.benchmark().replace(".", "\\.") + "$")
        .param(c.param(), values.toArray(String[]::new))
        .forks(1)
        .warmupIterations(2).warmupTime(TimeValue.seconds(1))
        .measurementIterations(3).measurementTime(TimeValue.seconds(1))
        .threads(1)
        .jvmArgsAppend("-Dslf4j.internal.verbosity=ERROR") // peers' logging, unconfigured here
        .timeUnit(TimeUnit.NANOSECONDS)
        .verbosity(VerboseMode.SILENT);
    Collection<RunResult> results = new Runner(options.build()).run();
    Map<String, Result<?>> scores = new LinkedHashMap<>();
    for (RunResult r : results) {
      scores.put(r.getParams().getParam(c.param()), r.getPrimaryResult());
    }
    for (String v : values) {
      if (!scores.containsKey(v)) {
        throw new IllegalStateException(c.benchmark() + " gave no result for " + c.param() + "="
            + v + " (got " + scores.keySet() + ")");
      }
    }
    return scores;
  }

  private static String format(Result<?> r) {
    return String.format(Locale.ROOT, "%.1f ± %.1f ns", r.getScore(), r.getScoreError());
  }
}
