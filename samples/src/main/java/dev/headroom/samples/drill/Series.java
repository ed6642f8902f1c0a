package dev.headroom.samples.drill;

import dev.headroom.core.Checks;

/**
 * One line (or one set of bars) of a chart.
 *
 * @param name the legend's label
 * @param color a CSS colour
 * @param dashed whether the line is dashed (the "without Headroom" side uses dashes)
 * @param x the x values, ascending (for bars, the bar's index)
 * @param y the y values, as many as {@code x}
 */
public record Series(String name, String color, boolean dashed, double[] x, double[] y) {

  /**
   * Validates the lengths.
   *
   * @throws IllegalArgumentException if a reference is null or the lengths differ
   */
  public Series {
    Checks.requireNonNull("name", name);
    Checks.requireNonNull("color", color);
    Checks.requireNonNull("x", x);
    Checks.requireNonNull("y", y);
    Checks.requireArgument(x.length == y.length, "y.length", "x.length " + x.length, y.length);
  }
}
