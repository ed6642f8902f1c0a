package dev.headroom.partition;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A Count-Min sketch with conservative update (Cormode and Muthukrishnan, 2005; Estan and
 * Varghese, 2002) over a decaying window: the frequency estimate of a key among the sampled
 * records of one stripe of a {@link KeyPartitioner}.
 *
 * <p>Four rows of {@code width} counters, {@code width} a power of two of at least
 * {@code 8 / threshold} (at most 2^16); a key's cell in row {@code r} is the {@code r}-th 16-bit
 * slice of {@code fmix64(hash)}, so the rows are independent and two keys share all four cells
 * with probability {@code width^-4}. An estimate is the smallest of its cells, so it is never
 * below the key's true (sampled, decayed) count, and with probability at least {@code 1 - e^-4}
 * it is at most {@code e / width <= threshold / 3} of the total above it: a key at the threshold
 * is always found, a key at a third of it rarely. Each update costs four cells whatever the
 * number of keys.
 *
 * <p>Decay is in epochs of one half-life, counted from the partitioner's creation: at each new
 * epoch all cells and the total are halved, once per epoch passed ({@link #decayTo}).
 *
 * <p>Concurrency: one writer, the thread that holds its stripe's flag in
 * {@link KeyPartitioner} ({@link #offer}, {@link #decayTo}); the flag's CAS (acquire) and
 * release store order one holder's writes before the next holder's reads. Any thread may read
 * ({@link #estimateAt}, {@link #totalAt}) without the flag: cells, total and epoch are written
 * and read with opaque accesses, so a reader sees each value whole (never torn) but possibly
 * stale, and a reader racing with a decay step may pair a decayed cell with an undecayed epoch
 * (an estimate off by a factor of two for that one read). Readers use it for decisions that the
 * next sample or the next decay step revisits: a hot-key confirmation, a share for a fanout.
 */
final class HeavyHitters {

  private static final int ROWS = 4;
  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(float[].class);
  private static final VarHandle TOTAL;
  private static final VarHandle EPOCH;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      TOTAL = lookup.findVarHandle(HeavyHitters.class, "total", double.class);
      EPOCH = lookup.findVarHandle(HeavyHitters.class, "epoch", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final float[] cells;
  private final int mask;
  private final int width;
  @SuppressWarnings("unused") // accessed through TOTAL
  private double total;
  @SuppressWarnings("unused") // accessed through EPOCH
  private long epoch;

  HeavyHitters(double threshold, long epoch) {
    int w = Integer.highestOneBit((int) Math.ceil(8.0 / threshold) - 1) << 1;
    this.width = Math.min(1 << 16, Math.max(256, w));
    this.mask = width - 1;
    this.cells = new float[ROWS * width];
    this.epoch = epoch;
  }

  int width() {
    return width;
  }

  /**
   * Halves everything once per epoch passed since the last call (writer only).
   *
   * @return the factor applied: 1.0 when no epoch has passed
   */
  double decayTo(long now) {
    long steps = now - (long) EPOCH.getOpaque(this);
    if (steps <= 0) {
      return 1.0;
    }
    double factor = factor(steps);
    float f = (float) factor;
    for (int i = 0; i < cells.length; i++) {
      CELLS.setOpaque(cells, i, (float) CELLS.getOpaque(cells, i) * f);
    }
    TOTAL.setOpaque(this, (double) TOTAL.getOpaque(this) * factor);
    EPOCH.setOpaque(this, now);
    return factor;
  }

  /** {@code 0.5^steps}, exactly 0 past the smallest double. */
  static double factor(long steps) {
    return steps <= 0 ? 1.0 : steps >= 1075 ? 0.0 : Math.pow(0.5, steps);
  }

  /**
   * Counts one sampled record of key {@code hash} (conservative update: only the cells at the
   * minimum grow; writer only).
   *
   * @return the key's new estimate
   */
  double offer(long hash) {
    TOTAL.setOpaque(this, (double) TOTAL.getOpaque(this) + 1.0);
    long h = KeyHasher.fmix64(hash);
    float min = Float.MAX_VALUE;
    for (int r = 0; r < ROWS; r++) {
      min = Math.min(min, cells[r * width + ((int) (h >>> (16 * r)) & mask)]);
    }
    float next = min + 1.0f;
    for (int r = 0; r < ROWS; r++) {
      int at = r * width + ((int) (h >>> (16 * r)) & mask);
      if (cells[at] < next) {
        CELLS.setOpaque(cells, at, next);
      }
    }
    return next;
  }

  /** The writer's own estimate of key {@code hash}: never below its true decayed sampled count. */
  double estimate(long hash) {
    return estimateAt(hash, (long) EPOCH.getOpaque(this));
  }

  /** The writer's own total. */
  double total() {
    return (double) TOTAL.getOpaque(this);
  }

  /** Any thread: the estimate of key {@code hash} as of epoch {@code now} (decay applied). */
  double estimateAt(long hash, long now) {
    long at = (long) EPOCH.getOpaque(this);
    long h = KeyHasher.fmix64(hash);
    float min = Float.MAX_VALUE;
    for (int r = 0; r < ROWS; r++) {
      min = Math.min(min, (float) CELLS.getOpaque(cells, r * width + ((int) (h >>> (16 * r)) & mask)));
    }
    return min * factor(now - at);
  }

  /** Any thread: the total as of epoch {@code now} (decay applied). */
  double totalAt(long now) {
    long at = (long) EPOCH.getOpaque(this);
    return (double) TOTAL.getOpaque(this) * factor(now - at);
  }
}
