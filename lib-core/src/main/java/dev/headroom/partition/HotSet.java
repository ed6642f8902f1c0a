package dev.headroom.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable snapshot of the hot keys, published by a volatile write and probed on every
 * record: a small open-addressing table from key hash to entry, with each entry's candidate
 * partitions precomputed.
 */
final class HotSet {

  static final HotSet EMPTY = new HotSet(new long[0], new CompositeKey[0], new double[0],
      new int[0][]);

  final long[] hashes;
  final CompositeKey[] keys;
  final double[] shares;
  final int[][] candidates;
  private final int[] table; // entry index + 1, 0 = empty
  private final int mask;

  HotSet(long[] hashes, CompositeKey[] keys, double[] shares, int[][] candidates) {
    this.hashes = hashes;
    this.keys = keys;
    this.shares = shares;
    this.candidates = candidates;
    int capacity = Integer.highestOneBit(Math.max(2, hashes.length * 2) - 1) << 1;
    this.table = new int[capacity];
    this.mask = capacity - 1;
    for (int i = 0; i < hashes.length; i++) {
      int at = spread(hashes[i]) & mask;
      while (table[at] != 0) {
        at = (at + 1) & mask;
      }
      table[at] = i + 1;
    }
  }

  int size() {
    return hashes.length;
  }

  /** The entry of {@code hash}, or -1. */
  int indexOf(long hash) {
    int at = spread(hash) & mask;
    while (true) {
      int e = table[at];
      if (e == 0) {
        return -1;
      }
      if (hashes[e - 1] == hash) {
        return e - 1;
      }
      at = (at + 1) & mask;
    }
  }

  private static int spread(long h) {
    int x = (int) (h ^ (h >>> 32));
    return x * 0x9e3779b9 >>> 7;
  }

  /** The {@code fanout} distinct candidate partitions of a key, its home partition first. */
  static int[] candidates(HashMode mode, long hash, int partitions, int fanout) {
    int k = Math.min(fanout, partitions);
    int[] out = new int[k];
    out[0] = KeyHasher.partitionOf(mode, hash, partitions);
    int found = 1;
    for (long j = 1; found < k; j++) {
      int p;
      if (j <= 16L * k) {
        long h = KeyHasher.fmix64(hash + j * KeyHasher.K1);
        p = (int) (((h >>> 32) * partitions) >>> 32);
      } else {
        p = (int) ((out[0] + j) % partitions); // many collisions: walk on from home
      }
      boolean dup = false;
      for (int i = 0; i < found; i++) {
        dup |= out[i] == p;
      }
      if (!dup) {
        out[found++] = p;
      }
    }
    return out;
  }

  /** A copy with {@code keep[i]} entries only and {@code extra} appended (null for none). */
  HotSet with(boolean[] keep, long extraHash, CompositeKey extraKey, double extraShare,
      int[] extraCandidates) {
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < hashes.length; i++) {
      if (keep == null || keep[i]) {
        kept.add(i);
      }
    }
    int n = kept.size() + (extraCandidates != null ? 1 : 0);
    long[] h = new long[n];
    CompositeKey[] k = new CompositeKey[n];
    double[] s = new double[n];
    int[][] c = new int[n][];
    int at = 0;
    for (int i : kept) {
      h[at] = hashes[i];
      k[at] = keys[i];
      s[at] = shares[i];
      c[at] = candidates[i];
      at++;
    }
    if (extraCandidates != null) {
      h[at] = extraHash;
      k[at] = extraKey;
      s[at] = extraShare;
      c[at] = extraCandidates;
    }
    return n == 0 ? EMPTY : new HotSet(h, k, s, c);
  }

  /** A copy with new shares. */
  HotSet withShares(double[] newShares) {
    return new HotSet(hashes, keys, newShares, candidates);
  }
}
