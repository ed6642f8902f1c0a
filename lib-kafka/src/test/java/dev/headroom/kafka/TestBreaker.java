package dev.headroom.kafka;

/**
 * Stands in for a circuit breaker's admitted fraction: 0 while open, the ramp step while
 * half-open, 1 while closed. Thread-safe.
 */
final class TestBreaker {
  private volatile double admitted = 1.0;

  void open() {
    admitted = 0.0;
  }

  void halfOpen(double fraction) {
    admitted = fraction;
  }

  void close() {
    admitted = 1.0;
  }

  double admittedFraction() {
    return admitted;
  }
}
