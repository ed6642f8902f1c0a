package dev.headroom.partition;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of the hot keys, published by a volatile write and probed on every record: a small
 * open-addressing table from key hash to entry. The set of keys is immutable; each entry's share
 * and spreading candidates are refreshed in place by the partitioner's maintainer (the holder of
 * its maintenance flag), with opaque writes that readers see whole but possibly late: a reader
 * may pair a new candidate count with older candidates, and every slot of {@link #candidates}
 * always holds a valid partition (slots are filled at creation), so a stale read only makes one
 * choice slightly worse.
 */
final class HotSet {

  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle DOUBLES = MethodHandles.arrayElementVarHandle(double[].class);

  static final HotSet EMPTY = new HotSet(new long[0], new CompositeKey[0], new double[0],
      new int[0][], new int[0]);

  final long[] hashes;
  final CompositeKey[] keys;
  private final double[] shares;
  private final int[][] candidates;
  private final int[] counts;
  private final int[] table; // entry index + 1, 0 = empty
  private final int mask;

  private HotSet(long[] hashes, CompositeKey[] keys, double[] shares, int[][] candidates,
      int[] counts) {
    this.hashes = hashes;
    this.keys = keys;
    this.shares = shares;
    this.candidates = candidates;
    this.counts = counts;
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

  /** How many of entry {@code e}'s candidate partitions are in use (at least 1). */
  int count(int e) {
    return (int) INTS.getOpaque(counts, e);
  }

  /** Entry {@code e}'s {@code i}-th candidate partition. */
  int candidate(int e, int i) {
    return (int) INTS.getOpaque(candidates[e], i);
  }

  /** Entry {@code e}'s last assessed share. */
  double share(int e) {
    return (double) DOUBLES.getOpaque(shares, e);
  }

  /** Maintainer only: sets entry {@code e}'s share. */
  void setShare(int e, double share) {
    DOUBLES.setOpaque(shares, e, share);
  }

  /** Maintainer only: entry {@code e}'s candidates become the first {@code k} of {@code order}. */
  void setCandidates(int e, int[] order, int k) {
    int[] c = candidates[e];
    int n = Math.min(k, c.length);
    for (int i = 0; i < n; i++) {
      INTS.setOpaque(c, i, order[i]);
    }
    INTS.setOpaque(counts, e, n);
  }

  /** Entry {@code e}'s candidates in use, as a list. */
  List<Integer> candidateList(int e) {
    int k = count(e);
    List<Integer> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      out.add(candidate(e, i));
    }
    return out;
  }

  /**
   * A copy with the {@code keep[i]} entries only (all when null) and, when {@code extraKey} is
   * not null, one entry appended whose {@code slots} candidate slots all hold {@code home}. Kept
   * entries share their arrays' contents by copy: the old snapshot is no longer refreshed.
   */
  HotSet with(boolean[] keep, long extraHash, CompositeKey extraKey, double extraShare, int home,
      int slots) {
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < hashes.length; i++) {
      if (keep == null || keep[i]) {
        kept.add(i);
      }
    }
    int n = kept.size() + (extraKey != null ? 1 : 0);
    if (n == 0) {
      return EMPTY;
    }
    long[] h = new long[n];
    CompositeKey[] k = new CompositeKey[n];
    double[] s = new double[n];
    int[][] c = new int[n][];
    int[] counts = new int[n];
    int at = 0;
    for (int i : kept) {
      h[at] = hashes[i];
      k[at] = keys[i];
      s[at] = share(i);
      c[at] = candidates[i].clone();
      counts[at] = count(i);
      at++;
    }
    if (extraKey != null) {
      h[at] = extraHash;
      k[at] = extraKey;
      s[at] = extraShare;
      c[at] = new int[Math.max(1, slots)];
      Arrays.fill(c[at], home);
      counts[at] = 1;
    }
    return new HotSet(h, k, s, c, counts);
  }
}
