package dev.headroom.jdbc;

import dev.headroom.core.Checks;
import java.time.Duration;

/**
 * The settings a {@link BudgetedDataSource} was built with, made by
 * {@link BudgetedDataSource#builder}. The sizes are the initial ones; {@link
 * BudgetedDataSource#resize} moves the live budget later.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the name used in metrics and messages
 * @param maxPoolSize the initial per-pod budget, {@code >= 1}
 * @param minIdle the initial minimum idle count, in {@code [0, maxPoolSize]}
 * @param acquireTimeout the longest wait for a permit, {@code >= 0}
 * @param defaultQueryTimeout the query timeout given to new statements, whole seconds,
 *     {@code >= 0} (zero: none)
 * @param reclaimAbandoned whether unreachable, unclosed connections are reclaimed
 */
public record BudgetedDataSourceConfig(String name, int maxPoolSize, int minIdle,
    Duration acquireTimeout, Duration defaultQueryTimeout, boolean reclaimAbandoned) {

  /** Default wait for a permit: one second. */
  public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(1);

  /** Default statement query timeout: five seconds, not the thirty a slow replica exploits. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Validates every field.
   *
   * @param name the name used in metrics and messages
   * @param maxPoolSize the initial per-pod budget, {@code >= 1}
   * @param minIdle the initial minimum idle count, in {@code [0, maxPoolSize]}
   * @param acquireTimeout the longest wait for a permit, {@code >= 0}
   * @param defaultQueryTimeout the query timeout given to new statements, whole seconds,
   *     {@code >= 0}
   * @param reclaimAbandoned whether unreachable, unclosed connections are reclaimed
   * @throws IllegalArgumentException naming the field, the constraint and the value
   */
  public BudgetedDataSourceConfig {
    Checks.requireNonBlank("name", name);
    Checks.requirePositive("maxPoolSize", maxPoolSize);
    Checks.requireNonNegative("minIdle", minIdle);
    requireMinIdleFits(minIdle, maxPoolSize);
    requireAcquireTimeout(acquireTimeout);
    requireQueryTimeout(defaultQueryTimeout);
  }

  static void requireMinIdleFits(int minIdle, int maxPoolSize) {
    Checks.requireArgument(minIdle <= maxPoolSize, "minIdle", "<= maxPoolSize " + maxPoolSize,
        minIdle);
  }

  static void requireAcquireTimeout(Duration acquireTimeout) {
    Checks.requireNonNegative("acquireTimeout", acquireTimeout);
    Checks.requireArgument(acquireTimeout.compareTo(Duration.ofDays(1)) <= 0, "acquireTimeout",
        "<= 1 day", acquireTimeout);
  }

  static void requireQueryTimeout(Duration defaultQueryTimeout) {
    Checks.requireNonNegative("defaultQueryTimeout", defaultQueryTimeout);
    Checks.requireArgument(defaultQueryTimeout.getNano() == 0, "defaultQueryTimeout",
        "whole seconds (JDBC query timeouts are in seconds)", defaultQueryTimeout);
    Checks.requireArgument(defaultQueryTimeout.getSeconds() <= Integer.MAX_VALUE,
        "defaultQueryTimeout", "<= " + Integer.MAX_VALUE + " seconds", defaultQueryTimeout);
  }
}
