package dev.headroom.samples.drill;

import dev.headroom.core.Checks;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one scenario of the drill measured: what it ran on, its before/after figures, the rows
 * of its console table, its charts and its notes (gaps included, never a made-up figure).
 *
 * <p>Thread-safety: not thread-safe while it is being built; read-only afterwards.
 */
public final class DrillResult {

  private final String scenario;
  private final String title;
  private final String ranOn;
  private final String naiveLabel;
  private final String peerLabel;
  private final List<Comparison> comparisons = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<Chart> charts = new ArrayList<>();
  private long elapsedMillis;

  /**
   * Starts a result.
   *
   * @param scenario the scenario's name, as {@code --scenario} takes it
   * @param title a one-line description of the incident
   * @param ranOn what the scenario ran on (simulator, real broker, real database)
   * @param naiveLabel the set-up without Headroom
   * @param peerLabel the peer, or null if the replay has none
   * @throws IllegalArgumentException if a required argument is null
   */
  public DrillResult(String scenario, String title, String ranOn, String naiveLabel,
      String peerLabel) {
    this.scenario = Checks.requireNonNull("scenario", scenario);
    this.title = Checks.requireNonNull("title", title);
    this.ranOn = Checks.requireNonNull("ranOn", ranOn);
    this.naiveLabel = Checks.requireNonNull("naiveLabel", naiveLabel);
    this.peerLabel = peerLabel;
  }

  /**
   * Adds a figure.
   *
   * @param comparison the figure
   * @return this
   */
  public DrillResult add(Comparison comparison) {
    comparisons.add(Checks.requireNonNull("comparison", comparison));
    return this;
  }

  /**
   * Adds a note printed under the table.
   *
   * @param note the note
   * @return this
   */
  public DrillResult note(String note) {
    notes.add(Checks.requireNonNull("note", note));
    return this;
  }

  /**
   * Adds a chart.
   *
   * @param chart the chart
   * @return this
   */
  public DrillResult chart(Chart chart) {
    charts.add(Checks.requireNonNull("chart", chart));
    return this;
  }

  void elapsedMillis(long value) {
    elapsedMillis = value;
  }

  /** @return the scenario's name */
  public String scenario() {
    return scenario;
  }

  /** @return the one-line description */
  public String title() {
    return title;
  }

  /** @return what it ran on */
  public String ranOn() {
    return ranOn;
  }

  /** @return the naive set-up's label */
  public String naiveLabel() {
    return naiveLabel;
  }

  /** @return the peer's label, or null */
  public String peerLabel() {
    return peerLabel;
  }

  /** @return the figures, in order */
  public List<Comparison> comparisons() {
    return List.copyOf(comparisons);
  }

  /**
   * Returns the figure named {@code figure}.
   *
   * @param figure the figure's name
   * @return the comparison
   * @throws IllegalArgumentException if there is none of that name
   */
  public Comparison comparison(String figure) {
    for (Comparison c : comparisons) {
      if (c.figure().equals(figure)) {
        return c;
      }
    }
    throw new IllegalArgumentException("figure must be one of " + comparisons.stream()
        .map(Comparison::figure).toList() + " (was " + figure + ")");
  }

  /** @return the notes */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  /** @return the charts */
  public List<Chart> charts() {
    return List.copyOf(charts);
  }

  /** @return how long the scenario took, wall clock */
  public long elapsedMillis() {
    return elapsedMillis;
  }

  /**
   * The before/after table as console text.
   *
   * @return the table, its header, what it ran on and its notes
   */
  public String consoleTable() {
    List<String[]> rows = new ArrayList<>();
    List<String> header = new ArrayList<>(List.of("figure", "without: " + naiveLabel));
    if (peerLabel != null) {
      header.add("peer: " + peerLabel);
    }
    header.add("Headroom defaults");
    header.add("");
    rows.add(header.toArray(new String[0]));
    for (Comparison c : comparisons) {
      List<String> row = new ArrayList<>();
      row.add(c.figure());
      row.add(format(c.naive()));
      if (peerLabel != null) {
        row.add(c.hasPeer() ? format(c.peer()) : "not in this replay");
      }
      row.add(format(c.headroom()));
      row.add(verdict(c));
      rows.add(row.toArray(new String[0]));
    }
    int[] width = new int[header.size()];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder s = new StringBuilder();
    s.append("== ").append(scenario).append(": ").append(title).append('\n');
    s.append("   ran on: ").append(ranOn).append('\n');
    for (int k = 0; k < rows.size(); k++) {
      String[] r = rows.get(k);
      s.append("   ");
      for (int i = 0; i < r.length; i++) {
        String cell = r[i];
        boolean number = k > 0 && i > 0 && i < r.length - 1;
        s.append(number ? pad(cell, width[i], true) : pad(cell, width[i], false));
        s.append(i < r.length - 1 ? " | " : "");
      }
      s.append('\n');
      if (k == 0) {
        s.append("   ");
        for (int i = 0; i < width.length; i++) {
          s.append("-".repeat(width[i])).append(i < width.length - 1 ? "-+-" : "");
        }
        s.append('\n');
      }
    }
    for (String n : notes) {
      s.append("   * ").append(n).append('\n');
    }
    s.append(String.format(Locale.ROOT, "   (%.1f s)%n", elapsedMillis / 1000.0));
    return s.toString();
  }

  /**
   * How Headroom's value compares with the others, in words.
   *
   * @param c the figure
   * @return e.g. "better than both", "ties the peer"
   */
  static String verdict(Comparison c) {
    boolean beatsNaive = c.headroomBeats(c.naive());
    boolean tiesNaive = !beatsNaive && c.headroomAtLeast(c.naive());
    if (!c.hasPeer()) {
      return Double.isNaN(c.naive()) ? "naive served none"
          : beatsNaive ? "better" : tiesNaive ? "same" : "WORSE";
    }
    boolean beatsPeer = c.headroomBeats(c.peer());
    boolean tiesPeer = !beatsPeer && c.headroomAtLeast(c.peer());
    if (beatsNaive && beatsPeer) {
      return "better than both";
    }
    String n = Double.isNaN(c.naive()) ? "naive served none"
        : beatsNaive ? "better than naive" : tiesNaive ? "same as naive" : "WORSE than naive";
    String p = beatsPeer ? "better than peer" : tiesPeer ? "same as peer" : "WORSE than peer";
    return n + ", " + p;
  }

  static String format(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return String.format(Locale.ROOT, "%,d", (long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%,.0f" : Math.abs(v) >= 10
        ? "%.1f" : "%.2f", v);
  }

  private static String pad(String s, int width, boolean right) {
    String fill = " ".repeat(Math.max(0, width - s.length()));
    return right ? fill + s : s + fill;
  }
}
