package dev.headroom.partition;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi, 2005) over a decaying window, plus a
 * decayed load per partition. Single writer: every mutating method must be called by the thread
 * that holds the partitioner's sampling flag (see {@link KeyPartitioner}); the flag's CAS
 * (acquire) and release store order one holder's writes before the next holder's reads.
 *
 * <p>The table holds {@code capacity = ceil(2 / threshold)} counters. A key not in the table
 * replaces the counter with the smallest count and inherits that count as its error bound, so
 * {@code count - error} never exceeds a key's true (sampled, decayed) frequency and every key
 * above {@code total / capacity} is in the table. Every {@code halfLife} all counts, errors,
 * the total and the loads are halved: the window is an exponential decay in steps.
 *
 * <p>Loads are the one field read by other threads (the spreading choice): they are written and
 * read with opaque accesses, so a reader sees some recent value of each partition's load, never a
 * torn one. A slightly stale load only makes one choice slightly worse; no invariant depends on it.
 */
final class HeavyHitters {

  private static final VarHandle LOADS = MethodHandles.arrayElementVarHandle(double[].class);

  private final long[] keys;
  private final double[] counts;
  private final double[] errors;
  private int size;
  private double total;

  private final double[] loads;

  private final long halfLifeNanos;
  private long lastDecay;

  HeavyHitters(int capacity, int partitions, long halfLifeNanos, long now) {
    this.keys = new long[capacity];
    this.counts = new double[capacity];
    this.errors = new double[capacity];
    this.loads = new double[partitions];
    this.halfLifeNanos = halfLifeNanos;
    this.lastDecay = now;
  }

  static int capacityFor(double threshold) {
    return (int) Math.ceil(2.0 / threshold);
  }

  /**
   * Halves everything once per elapsed half-life.
   *
   * @return whether anything decayed
   */
  boolean decayTo(long now) {
    long elapsed = now - lastDecay;
    if (elapsed < halfLifeNanos) {
      return false;
    }
    long steps = elapsed / halfLifeNanos;
    lastDecay += steps * halfLifeNanos;
    double factor = steps >= 1075 ? 0.0 : Math.pow(0.5, steps);
    for (int i = 0; i < size; i++) {
      counts[i] *= factor;
      errors[i] *= factor;
    }
    total *= factor;
    for (int p = 0; p < loads.length; p++) {
      LOADS.setOpaque(loads, p, (double) LOADS.getOpaque(loads, p) * factor);
    }
    return true;
  }

  /**
   * Counts one sampled record of key {@code hash} sent to {@code partition}.
   *
   * @return the key's slot
   */
  int offer(long hash, int partition) {
    total += 1.0;
    LOADS.setOpaque(loads, partition, (double) LOADS.getOpaque(loads, partition) + 1.0);
    int slot = -1;
    int min = 0;
    for (int i = 0; i < size; i++) {
      if (keys[i] == hash) {
        slot = i;
        break;
      }
      if (counts[i] < counts[min]) {
        min = i;
      }
    }
    if (slot < 0) {
      if (size < keys.length) {
        slot = size++;
        keys[slot] = hash;
        counts[slot] = 0.0;
        errors[slot] = 0.0;
      } else {
        slot = min;
        keys[slot] = hash;
        errors[slot] = counts[slot];
      }
    }
    counts[slot] += 1.0;
    return slot;
  }

  /** The slot of {@code hash}, or -1. */
  int find(long hash) {
    for (int i = 0; i < size; i++) {
      if (keys[i] == hash) {
        return i;
      }
    }
    return -1;
  }

  /** The guaranteed (lower-bound) decayed count of the key in {@code slot}. */
  double guaranteed(int slot) {
    return counts[slot] - errors[slot];
  }

  double total() {
    return total;
  }

  /** A partition's decayed sampled load; safe from any thread. */
  double load(int partition) {
    return (double) LOADS.getOpaque(loads, partition);
  }

  int partitions() {
    return loads.length;
  }

  /** For tests: the keys in the table. */
  long[] keys() {
    return Arrays.copyOf(keys, size);
  }
}
