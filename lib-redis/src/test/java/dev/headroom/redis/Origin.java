package dev.headroom.redis;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** An origin that counts its calls and the most that ran at once, and takes real time. */
final class Origin implements Function<String, String> {

  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger running = new AtomicInteger();
  final AtomicInteger maxRunning = new AtomicInteger();
  private final long latencyMillis;

  Origin(long latencyMillis) {
    this.latencyMillis = latencyMillis;
  }

  @Override
  public String apply(String key) {
    int n = calls.incrementAndGet();
    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    try {
      sleep(latencyMillis);
      return key + "#" + n;
    } finally {
      running.decrementAndGet();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
