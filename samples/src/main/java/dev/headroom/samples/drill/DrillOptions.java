package dev.headroom.samples.drill;

import dev.headroom.core.Checks;
import java.nio.file.Path;

/**
 * The drill's options.
 *
 * @param seed the random seed every scenario uses
 * @param postgresUrl the JDBC URL of a PostgreSQL superuser connection (loopback only)
 * @param report where the HTML report is written
 */
public record DrillOptions(long seed, String postgresUrl, Path report) {

  /** The seed used unless {@code --seed} is given. */
  public static final long DEFAULT_SEED = 1L;
  /** The PostgreSQL the project's machines run: trust auth on loopback, database {@code test}. */
  public static final String DEFAULT_POSTGRES_URL =
      "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  /**
   * Validates the options.
   *
   * @throws IllegalArgumentException if a reference is null or the URL is not on loopback
   */
  public DrillOptions {
    Checks.requireNonNull("postgresUrl", postgresUrl);
    Checks.requireNonNull("report", report);
    Checks.requireArgument(postgresUrl.startsWith("jdbc:postgresql://127.0.0.1")
        || postgresUrl.startsWith("jdbc:postgresql://localhost")
        || postgresUrl.startsWith("jdbc:postgresql://[::1]"), "postgresUrl",
        "a jdbc:postgresql:// URL on loopback (127.0.0.1, localhost or [::1])", postgresUrl);
  }

  /**
   * The defaults: seed 1, the local PostgreSQL, {@code samples/target/fire-drill.html} (or
   * {@code target/fire-drill.html} when run from inside {@code samples/}).
   *
   * @return the default options
   */
  public static DrillOptions defaults() {
    Path report = java.nio.file.Files.isDirectory(Path.of("samples", "target"))
        ? Path.of("samples", "target", "fire-drill.html")
        : Path.of("target", "fire-drill.html");
    return new DrillOptions(DEFAULT_SEED, DEFAULT_POSTGRES_URL, report);
  }
}
