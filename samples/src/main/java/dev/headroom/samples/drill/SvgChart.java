package dev.headroom.samples.drill;

import java.util.Locale;

/**
 * Renders a {@link Chart} as inline SVG: axes with ticks and units, a legend, shaded bands, no
 * script. "Without Headroom" series are dashed, Headroom's are solid.
 *
 * <p>Thread-safety: stateless.
 */
final class SvgChart {

  static final int WIDTH = 960;
  static final int PLOT_HEIGHT = 300;
  static final int LEFT = 80;
  static final int RIGHT = 24;
  static final int TOP = 40;
  static final int AXIS = 56;
  static final int LEGEND_ROW = 20;

  private SvgChart() {}

  static String render(Chart c) {
    int legendRows = (c.series().size() + 1) / 2;
    int height = TOP + PLOT_HEIGHT + AXIS + legendRows * LEGEND_ROW + 10;
    int plotW = WIDTH - LEFT - RIGHT;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
        + " height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\""
        + " role=\"img\">%n", WIDTH, height, WIDTH, height));
    s.append(String.format(Locale.ROOT, "<title>%s</title>%n", esc(c.title())));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(text(LEFT, 22, "start", "bold", 15, c.title()));
    double yMax = Double.isNaN(c.yMax()) ? niceTop(maxY(c)) : c.yMax();
    double[] xr = c.isBars() ? new double[] {0, c.categories().size()} : xRange(c);
    // Bands first, under everything.
    for (int i = 0; i < c.bands().size(); i++) {
      double[] b = c.bands().get(i);
      double x0 = sx(b[0], xr, plotW);
      double x1 = sx(b[1], xr, plotW);
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\""
          + " fill=\"#fde9c9\"/>%n", x0, TOP, x1 - x0, PLOT_HEIGHT));
      s.append(text((x0 + x1) / 2, TOP + 16, "middle", "normal", 12, c.bandLabels().get(i)));
    }
    // Y grid and ticks.
    double step = niceStep(yMax / 5);
    for (double v = 0; v <= yMax + step * 1e-9; v += step) {
      double y = sy(v, yMax);
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\""
          + " stroke=\"#e0e0e0\"/>%n", LEFT, LEFT + plotW, y, y));
      s.append(text(LEFT - 6, y + 4, "end", "normal", 12, tick(v, step)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\""
        + " transform=\"rotate(-90 18 %d)\">%s</text>%n", TOP + PLOT_HEIGHT / 2,
        TOP + PLOT_HEIGHT / 2, esc(c.yLabel())));
    if (c.isBars()) {
      bars(s, c, yMax, plotW);
    } else {
      double xStep = niceStep((xr[1] - xr[0]) / 10);
      for (double v = Math.ceil(xr[0] / xStep) * xStep; v <= xr[1] + xStep * 1e-9; v += xStep) {
        double x = sx(v, xr, plotW);
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\""
            + " stroke=\"#444\"/>%n", x, x, TOP + PLOT_HEIGHT, TOP + PLOT_HEIGHT + 5));
        s.append(text(x, TOP + PLOT_HEIGHT + 19, "middle", "normal", 12, tick(v, xStep)));
      }
      s.append(text(LEFT + plotW / 2.0, TOP + PLOT_HEIGHT + 40, "middle", "normal", 13,
          c.xLabel()));
      for (Series series : c.series()) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < series.x().length; i++) {
          double y = Math.min(series.y()[i], yMax);
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx(series.x()[i], xr, plotW),
              sy(y, yMax)));
        }
        s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\""
            + " stroke-width=\"%s\"%s points=\"%s\"/>%n", series.color(),
            series.dashed() ? "2" : "2.5",
            series.dashed() ? " stroke-dasharray=\"7 4\"" : "", pts.toString().trim()));
      }
    }
    // Axes.
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\""
        + " stroke=\"#444\"/>%n", LEFT, LEFT + plotW, TOP + PLOT_HEIGHT, TOP + PLOT_HEIGHT));
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\""
        + " stroke=\"#444\"/>%n", LEFT, LEFT, TOP, TOP + PLOT_HEIGHT));
    // Legend, two columns.
    int ly = TOP + PLOT_HEIGHT + AXIS + 4;
    for (int i = 0; i < c.series().size(); i++) {
      Series series = c.series().get(i);
      int lx = LEFT + (i % 2) * (plotW / 2);
      int y = ly + (i / 2) * LEGEND_ROW;
      if (c.isBars()) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"12\""
            + " fill=\"%s\"/>%n", lx, y, series.color()));
      } else {
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\""
            + " stroke=\"%s\" stroke-width=\"3\"%s/>%n", lx, lx + 28, y + 6, y + 6,
            series.color(), series.dashed() ? " stroke-dasharray=\"7 4\"" : ""));
      }
      s.append(text(lx + 34, y + 11, "start", "normal", 13, series.name()));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static void bars(StringBuilder s, Chart c, double yMax, int plotW) {
    int groups = c.categories().size();
    int n = c.series().size();
    double groupW = plotW / (double) groups;
    double barW = groupW * 0.8 / n;
    for (int g = 0; g < groups; g++) {
      double gx = LEFT + g * groupW;
      for (int k = 0; k < n; k++) {
        Series series = c.series().get(k);
        double v = g < series.y().length ? series.y()[g] : Double.NaN;
        if (Double.isNaN(v)) {
          continue;
        }
        double shown = Math.min(v, yMax);
        double x = gx + groupW * 0.1 + k * barW;
        double y = sy(shown, yMax);
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
            + " height=\"%.1f\" fill=\"%s\"/>%n", x, y, Math.max(1, barW - 2),
            TOP + PLOT_HEIGHT - y, series.color()));
        if (barW >= 24) { // room for "99.5" at 11 px
          s.append(text(x + barW / 2 - 1, y - 4, "middle", "normal", 11,
              DrillResult.format(v)));
        }
      }
      s.append(text(gx + groupW / 2, TOP + PLOT_HEIGHT + 19, "middle", "normal", 12,
          c.categories().get(g)));
    }
  }

  private static double maxY(Chart c) {
    double m = 0;
    for (Series series : c.series()) {
      for (double v : series.y()) {
        if (!Double.isNaN(v)) {
          m = Math.max(m, v);
        }
      }
    }
    return m == 0 ? 1 : m * (c.isBars() ? 1.12 : 1.05);
  }

  private static double[] xRange(Chart c) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (Series series : c.series()) {
      for (double v : series.x()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return hi > lo ? new double[] {lo, hi} : new double[] {lo, lo + 1};
  }

  private static double sx(double v, double[] xr, int plotW) {
    return LEFT + (v - xr[0]) / (xr[1] - xr[0]) * plotW;
  }

  private static double sy(double v, double yMax) {
    return TOP + PLOT_HEIGHT - v / yMax * PLOT_HEIGHT;
  }

  static double niceStep(double raw) {
    if (raw <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  static double niceTop(double v) {
    double step = niceStep(v / 8);
    return Math.ceil(v / step) * step;
  }

  private static String tick(double v, double step) {
    if (step >= 1) {
      return String.format(Locale.ROOT, "%,d", Math.round(v));
    }
    int decimals = (int) Math.ceil(-Math.log10(step));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String text(double x, double y, String anchor, String weight, int size,
      String value) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\""
        + " font-weight=\"%s\" font-size=\"%d\">%s</text>%n", x, y, anchor, weight, size,
        esc(value));
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
