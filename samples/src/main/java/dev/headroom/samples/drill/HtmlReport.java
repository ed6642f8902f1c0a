package dev.headroom.samples.drill;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the drill's HTML report: per scenario, what it ran on, the before/after table, the
 * notes and the charts as inline SVG. No script, no external resource.
 *
 * <p>Thread-safety: stateless.
 */
final class HtmlReport {

  private HtmlReport() {}

  static void write(List<DrillResult> results, DrillOptions options, double seconds)
      throws IOException {
    Path file = options.report();
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    Files.writeString(file, render(results, options, seconds), StandardCharsets.UTF_8);
  }

  static String render(List<DrillResult> results, DrillOptions options, double seconds) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<title>Headroom fire drill</title>\n<style>\n")
        .append("body{font-family:sans-serif;max-width:1000px;margin:24px auto;color:#222}\n")
        .append("table{border-collapse:collapse;margin:8px 0 12px}\n")
        .append("td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}\n")
        .append("td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
        .append("th{background:#f3f3f3;text-align:left}\n")
        .append(".ran{color:#555;font-size:14px}\n.worse{color:#b00020;font-weight:bold}\n")
        .append("svg{border:1px solid #ddd;margin:6px 0}\nli{font-size:14px}\n")
        .append("</style></head><body>\n");
    h.append("<h1>Headroom fire drill</h1>\n");
    h.append(String.format(Locale.ROOT, "<p>%d scenario(s), seed %d, %.1f s. Each incident is"
        + " replayed without Headroom (dashed lines in the charts), with the peer a user would"
        + " pick where the replay has one, and with Headroom at its defaults (solid lines)."
        + "</p>%n", results.size(), options.seed(), seconds));
    for (DrillResult r : results) {
      h.append("<h2>").append(SvgChart.esc(r.scenario())).append(": ")
          .append(SvgChart.esc(r.title())).append("</h2>\n");
      h.append("<p class=\"ran\">Ran on: ").append(SvgChart.esc(r.ranOn())).append("</p>\n");
      h.append("<table><tr><th>figure</th><th>without: ").append(SvgChart.esc(r.naiveLabel()))
          .append("</th>");
      if (r.peerLabel() != null) {
        h.append("<th>peer: ").append(SvgChart.esc(r.peerLabel())).append("</th>");
      }
      h.append("<th>Headroom defaults</th><th></th></tr>\n");
      for (Comparison c : r.comparisons()) {
        String verdict = DrillResult.verdict(c);
        h.append("<tr><td>").append(SvgChart.esc(c.figure())).append("</td><td class=\"n\">")
            .append(DrillResult.format(c.naive())).append("</td>");
        if (r.peerLabel() != null) {
          h.append("<td class=\"n\">").append(c.hasPeer() ? DrillResult.format(c.peer())
              : "not in this replay").append("</td>");
        }
        h.append("<td class=\"n\"><b>").append(DrillResult.format(c.headroom()))
            .append("</b></td><td").append(verdict.contains("WORSE") ? " class=\"worse\"" : "")
            .append(">").append(SvgChart.esc(verdict)).append("</td></tr>\n");
      }
      h.append("</table>\n");
      if (!r.notes().isEmpty()) {
        h.append("<ul>\n");
        for (String n : r.notes()) {
          h.append("<li>").append(SvgChart.esc(n)).append("</li>\n");
        }
        h.append("</ul>\n");
      }
      for (Chart c : r.charts()) {
        h.append(SvgChart.render(c));
      }
    }
    h.append("</body></html>\n");
    return h.toString();
  }
}
