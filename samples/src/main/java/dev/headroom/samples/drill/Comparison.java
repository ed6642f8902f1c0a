package dev.headroom.samples.drill;

import dev.headroom.core.Checks;

/**
 * One measured figure of a scenario, without Headroom, with the peer (if the replay has one)
 * and with Headroom: the numbers the console table and the scenario tests read.
 *
 * @param figure what is measured, with its unit, e.g. {@code "HIGH goodput during the spike (%)"}
 * @param higherIsBetter whether a larger value is the better one
 * @param naive the naive set-up's value
 * @param peer the peer's value, NaN if the replay has no peer
 * @param headroom Headroom's value at its defaults
 */
public record Comparison(String figure, boolean higherIsBetter, double naive, double peer,
    double headroom) {

  /**
   * Validates the figure's name and Headroom's value.
   *
   * @throws IllegalArgumentException if the name is null or Headroom's value is NaN
   */
  public Comparison {
    Checks.requireNonNull("figure", figure);
    Checks.requireArgument(!Double.isNaN(headroom), "headroom", "a measured value", headroom);
  }

  /**
   * Whether the peer was run.
   *
   * @return {@code !isNaN(peer)}
   */
  public boolean hasPeer() {
    return !Double.isNaN(peer);
  }

  /**
   * Whether Headroom's value is at least as good as {@code other}.
   *
   * @param other the value compared with
   * @return true if it is as good or better
   */
  public boolean headroomAtLeast(double other) {
    return higherIsBetter ? headroom >= other : headroom <= other;
  }

  /**
   * Whether Headroom's value is strictly better than {@code other}.
   *
   * @param other the value compared with
   * @return true if it is better
   */
  public boolean headroomBeats(double other) {
    return higherIsBetter ? headroom > other : headroom < other;
  }
}
