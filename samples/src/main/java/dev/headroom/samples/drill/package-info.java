/**
 * The fire drill: the incidents Headroom answers, each replayed without Headroom (the naive
 * set-up, and the peer a user would pick where the replay has one) and with Headroom at its
 * defaults, printed as before/after tables and written to an HTML report with one inline SVG
 * chart per scenario.
 *
 * <p>Run {@link dev.headroom.samples.drill.FireDrill}: every scenario, or one with
 * {@code --scenario NAME}; a fixed seed unless {@code --seed N} is given. Each scenario says
 * what it ran on: lib-core's virtual-time simulators, the real in-process Kafka broker, or the
 * real PostgreSQL on loopback.
 */
package dev.headroom.samples.drill;
