package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.cache.CacheConfig;
import dev.headroom.cache.HeadroomCache;
import dev.headroom.http.HeadroomHttpClient;
import dev.headroom.http.RetryPolicy;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's tables of defaults, read from README.md and compared with what the builders
 * produce: a table row that no longer matches the code fails here, naming the row, the README's
 * value and the code's.
 */
class ReadmeDefaultsTest {

  /** README.md's text, found from the samples module (or the working directory). */
  static String readme() throws IOException {
    Path base = Path.of(System.getProperty("headroom.basedir", "."));
    Path file = base.resolve("../README.md").normalize();
    if (!Files.exists(file)) {
      file = Path.of("README.md");
    }
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  /**
   * The rows of the first table after {@code header}: the first cell (backticks and the
   * arguments of a call removed) to the cells.
   */
  static Map<String, List<String>> table(String text, String header) {
    int at = text.indexOf(header);
    assertTrue(at >= 0, "README has no table headed " + header);
    Map<String, List<String>> rows = new LinkedHashMap<>();
    String[] lines = text.substring(at).split("\n");
    for (int i = 2; i < lines.length && lines[i].startsWith("|"); i++) {
      String[] cells = lines[i].substring(1, lines[i].length() - 1).split("\\|");
      List<String> values = new java.util.ArrayList<>();
      for (String c : cells) {
        values.add(c.trim());
      }
      rows.put(values.get(0).replace("`", ""), values);
    }
    return rows;
  }

  private static void check(String table, String row, String readme, Object expected,
      Object actual) {
    assertEquals(expected, actual, table + ", row " + row + ": the README says '" + readme
        + "', the code has " + actual);
  }

  @Test
  void theShedderTableMatchesTheDefaultShares() throws IOException {
    Map<String, List<String>> rows = table(readme(),
        "| priority | share | admitted while in-flight < (limit 20) | use for |");
    LoadShedder shedder = LoadShedder.builder("readme").build();
    assertEquals(20, LimitPolicy.gradient().build().initialLimit(),
        "the table's example limit is the gradient's starting limit");
    for (Priority p : List.of(Priority.HIGH, Priority.NORMAL, Priority.LOW)) {
      List<String> cells = rows.get(p.name());
      assertTrue(cells != null, "README shedder table has no row " + p);
      check("shedder", p.name(), cells.get(1), Double.parseDouble(cells.get(1)),
          shedder.share(p));
      check("shedder", p.name(), cells.get(2), Integer.parseInt(cells.get(2)),
          shedder.capacity(p));
    }
  }

  @Test
  void theCacheTableMatchesTheBuilder() throws IOException {
    Map<String, List<String>> rows = table(readme(), "| builder option | default | meaning |");
    CacheConfig c = HeadroomCache.<String, String>builder("readme")
        .ttl(Duration.ofSeconds(60)).build().config();
    check("cache", "earlyRefresh", rows.get("earlyRefresh").get(1),
        Double.parseDouble(rows.get("earlyRefresh").get(1)), c.earlyRefresh());
    check("cache", "beta", rows.get("beta").get(1),
        Double.parseDouble(rows.get("beta").get(1)), c.beta());
    check("cache", "ttlJitter", rows.get("ttlJitter").get(1),
        Double.parseDouble(rows.get("ttlJitter").get(1)), c.ttlJitter());
    assertTrue(rows.get("staleIfError").get(1).equals("one TTL"), "cache staleIfError row");
    check("cache", "staleIfError", "one TTL", c.ttl(), c.staleIfError());
    assertTrue(rows.get("negativeTtl").get(1).startsWith("0 "), "cache negativeTtl row");
    check("cache", "negativeTtl", rows.get("negativeTtl").get(1), Duration.ZERO,
        c.negativeTtl());
    assertTrue(rows.get("loaderTimeout").get(1).startsWith("0 "), "cache loaderTimeout row");
    check("cache", "loaderTimeout", rows.get("loaderTimeout").get(1), Duration.ZERO,
        c.loaderTimeout());
    String bound = rows.keySet().stream().filter(k -> k.startsWith("maximumSize"))
        .findFirst().orElseThrow();
    assertEquals("unbounded", rows.get(bound).get(1), "cache " + bound + " row");
    check("cache", bound, "unbounded", CacheConfig.UNBOUNDED, c.maximumSize());
    check("cache", bound, "unbounded", CacheConfig.UNBOUNDED, c.maximumWeight());
  }

  @Test
  void theHttpClientTableMatchesTheBuilder() throws IOException {
    Map<String, List<String>> rows = table(readme(), "| option | default | what it does |");
    HeadroomHttpClient client = HeadroomHttpClient.builder(HttpClient.newHttpClient()).build();
    String ceiling = rows.get("deadlineCeiling").get(1);
    check("HTTP client", "deadlineCeiling", ceiling,
        Duration.ofSeconds(Long.parseLong(ceiling.replace(" s", ""))),
        HeadroomHttpClient.DEFAULT_DEADLINE_CEILING);
    String max = rows.get("maxDependencies").get(1);
    check("HTTP client", "maxDependencies", max, Integer.parseInt(max),
        client.maxDependencies());
    check("HTTP client", "limit", rows.get("limit").get(1), null,
        client.guardFor(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:1/")).build()).limit());
    String retry = rows.get("retry").get(1);
    RetryPolicy d = RetryPolicy.defaults();
    assertTrue(retry.contains(d.maxAttempts() + " attempts"), "HTTP client, row retry: '"
        + retry + "', the code has " + d.maxAttempts() + " attempts");
    assertTrue(retry.contains("up to " + d.maxRetryAfter().toSeconds() + " s"),
        "HTTP client, row retry: '" + retry + "', the code honours Retry-After up to "
            + d.maxRetryAfter());
    assertTrue(retry.contains("from " + d.baseBackoff().toMillis() + " ms to "
        + d.maxBackoff().toSeconds() + " s"), "HTTP client, row retry: '" + retry
        + "', the code backs off from " + d.baseBackoff() + " to " + d.maxBackoff());
  }
}
