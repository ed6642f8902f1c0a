package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HeavyHittersTest {

  /**
   * Regression: rows indexed by double hashing ({@code h1 + r * h2}) on a 512-wide sketch shared
   * all four cells between two keys whose hashes agreed in 18 bits, so among 100k cold keys one
   * was reported as hot as the hot key. Rows now take independent 16-bit slices of the hash.
   */
  @Test
  void noColdKeyInheritsTheCountOfAHotKey() {
    HeavyHitters sketch = new HeavyHitters(0.02, 0);
    assertEquals(512, sketch.width());
    long hot = 336848792L;
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      sketch.offer(i % 4 == 0 ? hot : random.nextLong());
    }
    assertTrue(sketch.estimate(hot) >= 50_000);
    SplittableRandom probe = new SplittableRandom(8);
    double worst = 0;
    for (int i = 0; i < 200_000; i++) {
      worst = Math.max(worst, sketch.estimate(probe.nextLong()));
    }
    assertTrue(worst < 0.02 * sketch.total() / 2, "worst cold estimate " + worst);
  }

  @Test
  void everyHalfLifeHalvesTheCountsAndTheTotal() {
    HeavyHitters sketch = new HeavyHitters(0.1, 0);
    for (int i = 0; i < 64; i++) {
      sketch.offer(42);
    }
    assertEquals(1.0, sketch.decayTo(0));
    // Another thread reads the undecayed sketch as of a later epoch.
    assertEquals(16.0, sketch.estimateAt(42, 2));
    assertEquals(16.0, sketch.totalAt(2));
    assertEquals(0.25, sketch.decayTo(2));
    assertEquals(16.0, sketch.estimate(42));
    assertEquals(16.0, sketch.total());
    assertEquals(0.0, sketch.decayTo(2 + 2000));
    assertEquals(0.0, sketch.estimate(42));
  }
}
