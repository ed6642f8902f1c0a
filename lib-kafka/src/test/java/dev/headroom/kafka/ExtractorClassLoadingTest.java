package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.partition.CompositeKey;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extractor class is loaded as Kafka loads plug-ins, from a jar directory the test class
 * path does not have: compiled here into its own folder and visible only to a separate class
 * loader, as an application that adds plug-in jars at run time would have it.
 */
class ExtractorClassLoadingTest {

  @TempDir
  static Path dir;
  static URLClassLoader plugins;
  static final String NAME = "plugin.ReverseKeys";

  @BeforeAll
  static void compile() throws Exception {
    Path src = dir.resolve("plugin/ReverseKeys.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, "package plugin;\n"
        + "public final class ReverseKeys implements dev.headroom.kafka.KeyExtractor {\n"
        + "  private String suffix = \"\";\n"
        + "  public void configure(java.util.Map<String, ?> configs) {\n"
        + "    Object s = configs.get(\"reverse.suffix\");\n"
        + "    suffix = s == null ? \"\" : s.toString();\n"
        + "  }\n"
        + "  public boolean extract(String topic, Object key, byte[] keyBytes, Object value,\n"
        + "      byte[] valueBytes, org.apache.kafka.common.header.Headers headers,\n"
        + "      dev.headroom.partition.KeyHasher out) {\n"
        + "    out.putString(new StringBuilder(value.toString()).reverse() + suffix);\n"
        + "    return true;\n"
        + "  }\n"
        + "}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-classpath", System.getProperty("java.class.path"),
        "-d", dir.resolve("classes").toString(), src.toString());
    assertEquals(0, rc, "javac");
    plugins = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()},
        ExtractorClassLoadingTest.class.getClassLoader());
  }

  private static Map<String, Object> configs(Object extractor) {
    Map<String, Object> m = new HashMap<>();
    m.put("headroom.partitioner.name", "loading-" + System.nanoTime());
    m.put("headroom.partitioner.key.source", "extractor");
    m.put("headroom.partitioner.key.extractor", extractor);
    m.put("reverse.suffix", "!");
    return m;
  }

  private static void assertWorks(HeadroomPartitioner partitioner) {
    Cluster cluster = HeadroomPartitionerTest.cluster("t", 12);
    assertEquals(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("cba!").partition(12),
        partitioner.partition("t", null, null, "abc", null, cluster));
    assertEquals(1, partitioner.topic("t").orElseThrow().totalSends());
  }

  @Test
  void aNameIsFoundThroughTheContextClassLoaderAsKafkaFindsItsPlugins() {
    assertThrows(ClassNotFoundException.class,
        () -> Class.forName(NAME, false, getClass().getClassLoader()));
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(plugins);
    try {
      HeadroomPartitioner partitioner = new HeadroomPartitioner();
      partitioner.configure(configs(NAME));
      assertWorks(partitioner);
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  void aClassObjectIsUsedAsGiven() throws Exception {
    Class<?> type = Class.forName(NAME, true, plugins);
    assertNotSame(getClass().getClassLoader(), type.getClassLoader());
    HeadroomPartitioner partitioner = new HeadroomPartitioner();
    partitioner.configure(configs(type));
    assertWorks(partitioner);
  }

  @Test
  void aNameNoLoaderHasFailsWithKafkasConfigException() {
    HeadroomPartitioner partitioner = new HeadroomPartitioner();
    ConfigException e = assertThrows(ConfigException.class,
        () -> partitioner.configure(configs(NAME)));
    assertEquals("Invalid value plugin.ReverseKeys for configuration "
        + "headroom.partitioner.key.extractor: Class plugin.ReverseKeys could not be found.",
        e.getMessage());
    assertTrue(List.of(CompositeKey.of("x").encode()).size() == 1);
  }
}
