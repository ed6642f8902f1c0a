package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block of README.md is a compiled sample: the line before it names a
 * file under {@code samples/src/main/java/dev/headroom/samples/} and one or more regions in it
 * ({@code <!-- snippet: BreakerExample#breaker -->}, or {@code #a+b} for regions joined by a
 * blank line), each marked {@code // tag::name[]} ... {@code // end::name[]}, and the block is
 * exactly the regions' text with their common indentation removed. The samples compile with the
 * build, so a README snippet that no longer compiles, or that drifted from the code that does,
 * fails here.
 */
class ReadmeSnippetsTest {

  static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\w+)#([\\w+]+) -->");

  record Block(int line, String marker, String text) {}

  static List<Block> javaBlocks(List<String> lines) {
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).equals("```java")) {
        continue;
      }
      int end = i + 1;
      while (end < lines.size() && !lines.get(end).startsWith("```")) {
        end++;
      }
      String marker = i > 0 ? lines.get(i - 1) : "";
      out.add(new Block(i + 1, marker, String.join("\n", lines.subList(i + 1, end))));
      i = end;
    }
    return out;
  }

  static String region(List<String> source, String file, String name) {
    int start = source.indexOf(findTag(source, "// tag::" + name + "[]"));
    int end = source.indexOf(findTag(source, "// end::" + name + "[]"));
    if (start < 0 || end < 0 || end < start) {
      throw new AssertionError(file + " has no region '" + name + "' (// tag::" + name
          + "[] ... // end::" + name + "[])");
    }
    List<String> body = source.subList(start + 1, end);
    int indent = Integer.MAX_VALUE;
    for (String l : body) {
      if (!l.isBlank()) {
        indent = Math.min(indent, l.length() - l.stripLeading().length());
      }
    }
    List<String> out = new ArrayList<>();
    for (String l : body) {
      out.add(l.isBlank() ? "" : l.substring(indent));
    }
    return String.join("\n", out);
  }

  private static String findTag(List<String> source, String tag) {
    for (String l : source) {
      if (l.strip().equals(tag)) {
        return l;
      }
    }
    return "\u0000 absent";
  }

  @Test
  void everyJavaBlockIsTheRegionOfACompiledSample() throws IOException {
    Path base = Path.of(System.getProperty("headroom.basedir", "samples"));
    Path readme = base.resolve("../README.md").normalize();
    List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    List<Block> blocks = javaBlocks(lines);
    assertTrue(blocks.size() >= 10, "README java blocks found: " + blocks.size());
    List<String> problems = new ArrayList<>();
    for (Block b : blocks) {
      Matcher m = MARKER.matcher(b.marker().strip());
      if (!m.matches()) {
        problems.add("README line " + b.line() + ": a ```java block without a"
            + " <!-- snippet: File#region --> line before it");
        continue;
      }
      String file = m.group(1) + ".java";
      Path source = base.resolve("src/main/java/dev/headroom/samples").resolve(file);
      if (!Files.exists(source)) {
        problems.add("README line " + b.line() + ": no sample " + source);
        continue;
      }
      List<String> code = Files.readAllLines(source, StandardCharsets.UTF_8);
      List<String> parts = new ArrayList<>();
      try {
        for (String name : m.group(2).split("\\+")) {
          parts.add(region(code, file, name));
        }
      } catch (AssertionError e) {
        problems.add("README line " + b.line() + ": " + e.getMessage());
        continue;
      }
      String expected = String.join("\n\n", parts);
      if (!expected.equals(b.text())) {
        problems.add("README line " + b.line() + " differs from " + file + "#" + m.group(2)
            + firstDifference(expected, b.text()));
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " README snippet(s) are not compiled samples:\n"
          + String.join("\n", problems));
    }
  }

  private static String firstDifference(String code, String readme) {
    String[] a = code.split("\n", -1);
    String[] b = readme.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String x = i < a.length ? a[i] : "<end>";
      String y = i < b.length ? b[i] : "<end>";
      if (!x.equals(y)) {
        return ", line " + (i + 1) + " of the block:\n  code:   " + x + "\n  README: " + y;
      }
    }
    return "";
  }
}
