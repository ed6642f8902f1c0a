package dev.headroom.samples.drill;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fire drill: replays each incident without Headroom and with Headroom at its defaults,
 * prints a before/after table per scenario and writes {@code fire-drill.html}.
 *
 * <pre>
 * java -jar samples/target/fire-drill.jar                       # every scenario, seed 1
 * java -jar samples/target/fire-drill.jar --scenario overload   # one scenario
 * java -jar samples/target/fire-drill.jar --seed 7 --postgres jdbc:postgresql://127.0.0.1:5432/test?user=postgres
 * </pre>
 *
 * <p>Exit status: 0 when every scenario ran, 1 when one failed to run, 2 on bad arguments.
 */
public final class FireDrill {

  private FireDrill() {}

  /**
   * Every scenario, in the order the drill runs them.
   *
   * @return the scenarios
   */
  public static List<DrillScenario> scenarios() {
    return List.of(new OverloadDrill(), new CascadeDrill(), new ConnectionWallDrill(),
        new HotPartitionDrill(), new StampedeDrill(), new ScalingLeadTimeDrill());
  }

  /**
   * Runs the drill.
   *
   * @param args {@code [--scenario NAME] [--seed N] [--postgres JDBC_URL] [--report FILE]}
   */
  public static void main(String[] args) {
    quietLogs();
    int status;
    try {
      status = run(args, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println("fire-drill: " + e.getMessage());
      System.err.println("usage: fire-drill [--scenario " + names() + "] [--seed N]"
          + " [--postgres JDBC_URL] [--report FILE]");
      status = 2;
    }
    System.exit(status);
  }

  /** Held so that java.util.logging keeps their levels (it references loggers weakly). */
  private static final List<java.util.logging.Logger> QUIETED = new ArrayList<>();

  /**
   * Kafka's broker and clients and HikariCP log through slf4j-simple, Caffeine through
   * java.util.logging: the drill's refusals and 429s are the point, so errors only.
   */
  static void quietLogs() {
    System.setProperty("org.slf4j.simpleLogger.log.com.zaxxer.hikari", "error");
    System.setProperty("log4j2.statusLoggerLevel", "OFF");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser",
        "error");
    for (String name : List.of("com.zaxxer.hikari", "com.github.benmanes.caffeine")) {
      java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
      logger.setLevel(java.util.logging.Level.OFF);
      QUIETED.add(logger);
    }
  }

  static String names() {
    return String.join("|", scenarios().stream().map(DrillScenario::name).toList());
  }

  /**
   * Runs the drill with arguments, printing to {@code out}.
   *
   * @param args the arguments
   * @param out where the tables go
   * @return the exit status
   * @throws IllegalArgumentException on a bad argument, naming it
   */
  public static int run(String[] args, PrintStream out) {
    DrillOptions defaults = DrillOptions.defaults();
    long seed = defaults.seed();
    String postgres = defaults.postgresUrl();
    Path report = defaults.report();
    String only = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("argument " + a + " must be followed by a value"
            + " or be one of --scenario, --seed, --postgres, --report");
      }
      String v = args[++i];
      switch (a) {
        case "--scenario" -> only = v;
        case "--seed" -> {
          try {
            seed = Long.parseLong(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed must be an integer (was " + v + ")");
          }
        }
        case "--postgres" -> postgres = v;
        case "--report" -> report = Path.of(v);
        default -> throw new IllegalArgumentException("argument must be one of --scenario,"
            + " --seed, --postgres, --report (was " + a + ")");
      }
    }
    List<DrillScenario> chosen = new ArrayList<>();
    for (DrillScenario s : scenarios()) {
      if (only == null || s.name().equals(only)) {
        chosen.add(s);
      }
    }
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("--scenario must be one of " + names() + " (was "
          + only + ")");
    }
    DrillOptions options = new DrillOptions(seed, postgres, report);
    out.printf(Locale.ROOT, "Headroom fire drill: %d scenario(s), seed %d%n%n", chosen.size(),
        seed);
    long start = System.nanoTime();
    List<DrillResult> results = new ArrayList<>();
    int status = 0;
    for (DrillScenario s : chosen) {
      long t0 = System.nanoTime();
      try {
        DrillResult r = s.run(options);
        r.elapsedMillis((System.nanoTime() - t0) / 1_000_000);
        results.add(r);
        out.println(r.consoleTable());
      } catch (Exception e) {
        status = 1;
        out.printf(Locale.ROOT, "== %s: FAILED TO RUN: %s%n%n", s.name(), e);
      }
      out.flush();
    }
    double total = (System.nanoTime() - start) / 1e9;
    try {
      HtmlReport.write(results, options, total);
      out.printf(Locale.ROOT, "Report: %s%nDrill took %.1f s%n", options.report().toAbsolutePath(),
          total);
    } catch (IOException e) {
      status = 1;
      out.println("Report not written: " + e);
    }
    return status;
  }
}
