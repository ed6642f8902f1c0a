package dev.headroom.partition;

/**
 * A Count-Min sketch with conservative update (Cormode and Muthukrishnan, 2005; Estan and
 * Varghese, 2002) over a decaying window: the frequency estimate of a key among the sampled
 * records. Single writer: every method must be called by the thread that holds the
 * partitioner's sampling flag (see {@link KeyPartitioner}); the flag's CAS (acquire) and release
 * store order one holder's writes before the next holder's reads. Nothing here is read by other
 * threads.
 *
 * <p>Four rows of {@code width} counters, {@code width} a power of two of at least
 * {@code 8 / threshold} (at most 2^16); a key's cell in row {@code r} is the {@code r}-th 16-bit
 * slice of {@code fmix64(hash)}, so the rows are independent and two keys share all four cells
 * with probability {@code width^-4}. An estimate is the smallest of its cells, so it is never below the
 * key's true (sampled, decayed) count, and with probability at least {@code 1 - e^-4} it is
 * at most {@code e / width <= threshold / 3} of the total above it: a key at the threshold is
 * always found, a key at a third of it rarely. Each update costs four cells whatever the number
 * of keys. Every {@code halfLife} all cells and the total are halved: the window is an
 * exponential decay in steps.
 */
final class HeavyHitters {

  private static final int ROWS = 4;

  private final float[] cells;
  private final int mask;
  private final int width;
  private double total;

  private final long halfLifeNanos;
  private long lastDecay;

  HeavyHitters(double threshold, long halfLifeNanos, long now) {
    int w = Integer.highestOneBit((int) Math.ceil(8.0 / threshold) - 1) << 1;
    this.width = Math.min(1 << 16, Math.max(256, w));
    this.mask = width - 1;
    this.cells = new float[ROWS * width];
    this.halfLifeNanos = halfLifeNanos;
    this.lastDecay = now;
  }

  int width() {
    return width;
  }

  /**
   * Halves everything once per elapsed half-life.
   *
   * @return the factor applied: 1.0 when no half-life has passed
   */
  double decayTo(long now) {
    long elapsed = now - lastDecay;
    if (elapsed < halfLifeNanos) {
      return 1.0;
    }
    long steps = elapsed / halfLifeNanos;
    lastDecay += steps * halfLifeNanos;
    double factor = steps >= 1075 ? 0.0 : Math.pow(0.5, steps);
    float f = (float) factor;
    for (int i = 0; i < cells.length; i++) {
      cells[i] *= f;
    }
    total *= factor;
    return factor;
  }

  /**
   * Counts one sampled record of key {@code hash} (conservative update: only the cells at the
   * minimum grow).
   *
   * @return the key's new estimate
   */
  double offer(long hash) {
    total += 1.0;
    long h = KeyHasher.fmix64(hash);
    float min = Float.MAX_VALUE;
    for (int r = 0; r < ROWS; r++) {
      min = Math.min(min, cells[r * width + ((int) (h >>> (16 * r)) & mask)]);
    }
    float next = min + 1.0f;
    for (int r = 0; r < ROWS; r++) {
      int at = r * width + ((int) (h >>> (16 * r)) & mask);
      if (cells[at] < next) {
        cells[at] = next;
      }
    }
    return next;
  }

  /** The estimate of key {@code hash}: never below its true decayed sampled count. */
  double estimate(long hash) {
    long h = KeyHasher.fmix64(hash);
    float min = Float.MAX_VALUE;
    for (int r = 0; r < ROWS; r++) {
      min = Math.min(min, cells[r * width + ((int) (h >>> (16 * r)) & mask)]);
    }
    return min;
  }

  double total() {
    return total;
  }
}
