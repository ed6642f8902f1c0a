/**
 * JDBC adapter: {@link dev.headroom.jdbc.BudgetedDataSource} wraps a connection pool (HikariCP
 * first-class, any pool through {@link dev.headroom.jdbc.PoolControl}), enforces the per-pod
 * pool budget with its own lock-free permits, guards connection acquisition with a
 * {@link dev.headroom.breaker.CircuitBreaker} (driven through a
 * {@link dev.headroom.guard.Guard}), gives statements a default query timeout, and resizes the
 * pool live when the budget changes, closing only the surplus connections; a
 * database that refuses connections at its limit is retried with back-off within the caller's
 * deadline. {@link dev.headroom.jdbc.BudgetedHikari} builds and owns a HikariCP pool at the
 * budgeted size, so it can never fill before it is sized. A refusal is a
 * {@link dev.headroom.jdbc.ConnectionRejectedException}, a
 * {@link java.sql.SQLTransientConnectionException} naming the budget, the permits in use and the
 * callers waiting. {@link dev.headroom.jdbc.PostgresIntrospection} reads a PostgreSQL server's
 * connection limits and current connections, to fill a budget automatically.
 *
 * <p>HikariCP is an optional dependency: it is only loaded when the wrapped pool is a
 * {@code HikariDataSource}.
 */
package dev.headroom.jdbc;
