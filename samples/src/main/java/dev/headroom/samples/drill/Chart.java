package dev.headroom.samples.drill;

import dev.headroom.core.Checks;
import java.util.List;

/**
 * A chart of a scenario: line series over time, or grouped bars over categories.
 *
 * @param title the chart's title
 * @param xLabel the x axis label with its unit
 * @param yLabel the y axis label with its unit
 * @param series the series, drawn in order
 * @param categories for a bar chart, the label of each group of bars; empty for a line chart
 * @param bands shaded spans of x with a label (e.g. the spike), as {start, end} pairs
 * @param bandLabels one label per band
 * @param yMax the top of the y axis (values above it are clipped at the edge), NaN for automatic
 */
public record Chart(String title, String xLabel, String yLabel, List<Series> series,
    List<String> categories, List<double[]> bands, List<String> bandLabels, double yMax) {

  /**
   * Freezes the lists.
   *
   * @throws IllegalArgumentException if a reference is null or bands and labels differ
   */
  public Chart {
    Checks.requireNonNull("title", title);
    series = List.copyOf(series);
    categories = List.copyOf(categories);
    bands = List.copyOf(bands);
    bandLabels = List.copyOf(bandLabels);
    Checks.requireArgument(bands.size() == bandLabels.size(), "bandLabels.size",
        "bands.size " + bands.size(), bandLabels.size());
  }

  /**
   * A line chart over time.
   *
   * @param title the title
   * @param xLabel the x axis label
   * @param yLabel the y axis label
   * @param series the lines
   * @return the chart, without bands
   */
  public static Chart lines(String title, String xLabel, String yLabel, List<Series> series) {
    return new Chart(title, xLabel, yLabel, series, List.of(), List.of(), List.of(), Double.NaN);
  }

  /**
   * A grouped bar chart.
   *
   * @param title the title
   * @param yLabel the y axis label
   * @param categories the groups' labels
   * @param series one series per bar in a group, {@code y[i]} the bar of group {@code i}
   * @return the chart
   */
  public static Chart bars(String title, String yLabel, List<String> categories,
      List<Series> series) {
    return new Chart(title, "", yLabel, series, categories, List.of(), List.of(), Double.NaN);
  }

  /**
   * Returns this chart with a shaded span of x.
   *
   * @param from where the span starts
   * @param to where it ends
   * @param label its label
   * @return a new chart
   */
  public Chart band(double from, double to, String label) {
    List<double[]> b = new java.util.ArrayList<>(bands);
    b.add(new double[] {from, to});
    List<String> l = new java.util.ArrayList<>(bandLabels);
    l.add(label);
    return new Chart(title, xLabel, yLabel, series, categories, b, l, yMax);
  }

  /**
   * Returns this chart with the top of its y axis fixed.
   *
   * @param top the top of the y axis
   * @return a new chart
   */
  public Chart clipAt(double top) {
    return new Chart(title, xLabel, yLabel, series, categories, bands, bandLabels, top);
  }

  /**
   * Whether this is a bar chart.
   *
   * @return true if it has categories
   */
  public boolean isBars() {
    return !categories.isEmpty();
  }
}
