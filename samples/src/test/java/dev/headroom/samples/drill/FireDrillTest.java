package dev.headroom.samples.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drill's command line, console table and HTML report. */
class FireDrillTest {

  @TempDir
  Path dir;

  @Test
  void oneScenarioByNamePrintsItsTableAndWritesAReportWithAChartAndNoScript() throws Exception {
    Path report = dir.resolve("drill.html");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = FireDrill.run(new String[] {"--scenario", "scaling", "--seed", "3", "--report",
        report.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    assertTrue(out.contains("1 scenario(s), seed 3"), out);
    assertTrue(out.contains("== scaling: "), out);
    assertTrue(out.contains("ran on: discrete-time model"), out);
    assertTrue(out.contains("first scale-out after the spike began (s)"), out);
    String html = Files.readString(report);
    assertEquals(3, html.split("<svg ", -1).length - 1, "one svg per chart");
    assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("<script"), "no JavaScript");
    assertTrue(html.contains("time (s)") && html.contains("<title>"), "axes and titles");
  }

  @Test
  void anUnknownScenarioNamesTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FireDrill.run(new String[] {"--scenario", "flood"}, System.out));
    assertEquals("--scenario must be one of overload|cascade|connection-wall|hot-partition|"
        + "stampede|scaling (was flood)", e.getMessage());
  }

  @Test
  void aBadSeedAndAnUnknownOptionAreRefused() {
    assertEquals("--seed must be an integer (was x)", assertThrows(
        IllegalArgumentException.class,
        () -> FireDrill.run(new String[] {"--seed", "x"}, System.out)).getMessage());
    assertEquals("argument must be one of --scenario, --seed, --postgres, --report (was --fast)",
        assertThrows(IllegalArgumentException.class,
            () -> FireDrill.run(new String[] {"--fast", "1"}, System.out)).getMessage());
  }

  @Test
  void aDatabaseOffLoopbackIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FireDrill.run(new String[] {"--postgres", "jdbc:postgresql://db.example:5432/x"},
            System.out));
    assertTrue(e.getMessage().startsWith("postgresUrl must be a jdbc:postgresql:// URL on"
        + " loopback"), e.getMessage());
  }

  @Test
  void everyScenarioHasAUniqueName() {
    List<String> names = FireDrill.scenarios().stream().map(DrillScenario::name).toList();
    assertEquals(names.size(), names.stream().distinct().count(), names.toString());
  }
}
