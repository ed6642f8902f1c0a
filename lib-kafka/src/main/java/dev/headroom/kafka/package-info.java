/**
 * Kafka adapter: a {@code Partitioner} for composite keys with hot-key spreading, a consumer-lag
 * scaling signal, and a breaker-aware consumer runner. Depends on {@code kafka-clients} in
 * provided scope, so users bring their own 3.x or 4.x client.
 */
package dev.headroom.kafka;
