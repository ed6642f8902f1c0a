package dev.headroom.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BreakerRegistryTest {

  private final ManualClock clock = new ManualClock();
  private final BreakerConfig defaults = BreakerConfig.builder().clock(clock)
      .failureRateThreshold(0.5).build();

  @Test
  void sameNameSameBreakerSharingTheDefaults() {
    List<String> created = new ArrayList<>();
    BreakerRegistry r = BreakerRegistry.builder().defaults(defaults)
        .onCreate(b -> created.add(b.name())).executor(Runnable::run).build();
    CircuitBreaker a = r.breaker("db:host-a");
    assertSame(a, r.breaker("db:host-a"));
    CircuitBreaker b = r.breaker("db:host-b");
    assertNotSame(a, b);
    assertSame(defaults, a.config());
    assertEquals(List.of("db:host-a", "db:host-b"), created);
    assertEquals(Set.of("db:host-a", "db:host-b"), r.names());
    assertEquals(2, r.createdCount());
    CircuitBreaker custom = r.breaker("slow-api",
        BreakerConfig.builder().from(defaults).minimumCalls(3).build());
    assertEquals(3, custom.config().minimumCalls());
    assertTrue(r.remove("slow-api"));
    assertFalse(r.find("slow-api").isPresent());
  }

  @Test
  void idleBreakersAreEvictedAndComeBackFresh() {
    BreakerRegistry r = BreakerRegistry.builder().defaults(defaults)
        .expireAfterIdle(Duration.ofMinutes(10)).executor(Runnable::run).build();
    CircuitBreaker busy = r.breaker("busy");
    CircuitBreaker idle = r.breaker("idle");
    idle.forceOpen();
    for (int i = 0; i < 11; i++) {
      clock.advance(Duration.ofMinutes(1));
      r.breaker("busy");
    }
    r.cleanUp();
    assertEquals(Set.of("busy"), r.names());
    assertEquals(1, r.evictedCount());
    assertSame(busy, r.breaker("busy"));
    CircuitBreaker again = r.breaker("idle");
    assertNotSame(idle, again);
    assertEquals(BreakerState.CLOSED, again.state());
  }

  @Test
  void sizeIsBounded() {
    BreakerRegistry r = BreakerRegistry.builder().defaults(defaults).maximumSize(10)
        .executor(Runnable::run).build();
    for (int i = 0; i < 100; i++) {
      r.breaker("host-" + i);
    }
    r.cleanUp();
    assertTrue(r.size() <= 10, "size " + r.size());
    assertEquals(100 - r.size(), r.evictedCount());
    RecordingMeterSink sink = new RecordingMeterSink();
    r.describeMeters(sink);
    assertEquals(r.size(), sink.value("headroom.breaker.registry.size"));
    assertEquals(100, sink.value("headroom.breaker.registry.created"));
  }

  @Test
  void badInput() {
    assertEquals("maximumSize must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
        () -> BreakerRegistry.builder().maximumSize(0)).getMessage());
    assertEquals("expireAfterIdle must be > 0 (was PT0S)",
        assertThrows(IllegalArgumentException.class,
            () -> BreakerRegistry.builder().expireAfterIdle(Duration.ZERO)).getMessage());
    BreakerRegistry r = BreakerRegistry.builder().defaults(defaults).build();
    assertEquals("name must be non-blank (was \"\")",
        assertThrows(IllegalArgumentException.class, () -> r.breaker("")).getMessage());
  }

  @Test
  void concurrentFetchesCreateOneBreakerPerName() throws Exception {
    java.util.concurrent.atomic.AtomicInteger callbacks =
        new java.util.concurrent.atomic.AtomicInteger();
    BreakerRegistry r = BreakerRegistry.builder().defaults(defaults)
        .onCreate(b -> callbacks.incrementAndGet()).build();
    int threads = 4;
    java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(threads);
    java.util.List<java.util.Set<CircuitBreaker>> seen = new ArrayList<>();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      java.util.Set<CircuitBreaker> mine =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      seen.add(mine);
      workers[t] = new Thread(() -> {
        try {
          barrier.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        for (int i = 0; i < 10_000; i++) {
          mine.add(r.breaker("host-" + (i % 50)));
        }
      });
      workers[t].start();
    }
    for (Thread w : workers) {
      w.join(30_000);
    }
    java.util.Set<CircuitBreaker> all =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    seen.forEach(all::addAll);
    assertEquals(50, all.size());
    assertEquals(50, callbacks.get());
    assertEquals(50, r.createdCount());
  }
}
