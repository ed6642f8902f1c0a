package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class KeyPartitionerConfigTest {

  private static void assertMessage(Class<? extends Throwable> type, String message,
      Executable call) {
    assertEquals(message, assertThrows(type, call).getMessage());
  }

  @Test
  void defaults() {
    KeyPartitionerConfig c = KeyPartitionerConfig.builder().name("t").partitions(12).build();
    assertEquals(HashMode.KAFKA_COMPATIBLE, c.hashMode());
    assertFalse(c.spreading());
    assertEquals(12, c.fanout());
    assertEquals(2, c.choices());
    assertEquals(1.0 / 192, c.hotKeyThreshold());
    assertEquals(0.001, KeyPartitionerConfig.builder().name("t").partitions(1000).build()
        .hotKeyThreshold());
    assertEquals(1.0 / 32, KeyPartitionerConfig.defaultHotKeyThreshold(1));
    assertEquals(Duration.ofSeconds(10), c.window());
    assertEquals(16, c.sampleEvery());
    assertEquals(2, KeyPartitionerConfig.builder().name("t").partitions(2).build().fanout());
  }

  @Test
  void eachSetterRejectsABadValueWithTheSharedMessage() {
    assertMessage(IllegalArgumentException.class, "name must be non-blank (was \" \")",
        () -> KeyPartitionerConfig.builder().name(" "));
    assertMessage(IllegalArgumentException.class, "partitions must be > 0 (was 0)",
        () -> KeyPartitionerConfig.builder().partitions(0));
    assertMessage(IllegalArgumentException.class, "fanout must be in [2, 2147483647] (was 1)",
        () -> KeyPartitionerConfig.builder().fanout(1));
    assertMessage(IllegalArgumentException.class,
        "hotKeyThreshold must be in [0.001, 1] (was 1.0E-4)",
        () -> KeyPartitionerConfig.builder().hotKeyThreshold(0.0001));
    assertMessage(IllegalArgumentException.class, "sampleEvery must be a power of two (was 3)",
        () -> KeyPartitionerConfig.builder().sampleEvery(3));
    assertMessage(IllegalArgumentException.class, "window must be > 0 (was PT0S)",
        () -> KeyPartitionerConfig.builder().window(Duration.ZERO));
    assertMessage(IllegalStateException.class, "partitions was already set to 3",
        () -> KeyPartitionerConfig.builder().partitions(3).partitions(4));
  }

  @Test
  void combinationsAreCheckedAtBuild() {
    assertMessage(IllegalStateException.class, "partitions must be set",
        () -> KeyPartitionerConfig.builder().name("t").build());
    assertMessage(IllegalArgumentException.class, "choices must be in [2, 4] (was 5)",
        () -> KeyPartitionerConfig.builder().name("t").partitions(12).fanout(4).choices(5)
            .build());
    assertMessage(IllegalArgumentException.class, "fanout must be <= partitions (6) (was 8)",
        () -> KeyPartitionerConfig.builder().name("t").partitions(6).fanout(8).build());
  }
}
