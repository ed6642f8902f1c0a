/**
 * Spring Boot 3 auto-configuration for Headroom: named breakers, guards, the application's load
 * shedder, caches, the pool budget and scaling signals from {@code headroom.*} properties; their
 * meters in the application's {@code MeterRegistry}; readiness that follows the warm-up gate and
 * the shedder, liveness that never follows a dependency; the {@code headroom} Actuator endpoint;
 * a HikariCP pool wrapped by {@code BudgetedDataSource}; and live re-reading of the limits and
 * thresholds that may change while the application runs.
 */
package dev.headroom.spring.boot;
