package dev.headroom.partition;

import java.util.List;

/**
 * A key found hot by a {@link KeyPartitioner}: its share of recent traffic reached the
 * threshold.
 *
 * @param key the key's fields (the ordering flag is that of the record that made it hot)
 * @param hash the key's hash in the partitioner's mode
 * @param share its share of the sampled traffic in the decaying window when last assessed (an
 *     upper bound: the Count-Min estimate, never below the true share)
 * @param homePartition the partition its hash maps to
 * @param partitions the partitions it may be spread over (home first); only its home
 *     partition when spreading is off
 */
public record HotKey(CompositeKey key, long hash, double share, int homePartition,
    List<Integer> partitions) {

  /**
   * Copies {@code partitions}.
   *
   * @throws NullPointerException if {@code partitions} is null
   */
  public HotKey {
    partitions = List.copyOf(partitions);
  }
}
