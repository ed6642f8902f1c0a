/**
 * JDBC adapter: a {@code DataSource} wrapper that enforces the per-pod pool budget, guards
 * connection acquisition with a breaker and applies a default query timeout.
 */
package dev.headroom.jdbc;
