package dev.headroom.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeterIdTest {

  @Test
  void buildsImmutableCopies() {
    MeterId base = MeterId.of("headroom.breaker.calls");
    MeterId tagged = base.tag("name", "db").tag("outcome", "success")
        .description("Calls by outcome").baseUnit("calls");
    assertEquals(List.of(), base.tags());
    assertEquals(List.of("name", "db", "outcome", "success"), tagged.tags());
    assertEquals("db", tagged.tagValue("name"));
    assertNull(tagged.tagValue("state"));
    assertEquals("Calls by outcome", tagged.description());
    assertEquals("calls", tagged.baseUnit());
  }

  @Test
  void rejectsNamesOutsideTheConvention() {
    assertEquals("name must be lowercase and dot-separated under headroom. (was \"Headroom.Calls\")",
        assertThrows(IllegalArgumentException.class, () -> MeterId.of("Headroom.Calls"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> MeterId.of("breaker.calls"));
    assertThrows(IllegalArgumentException.class, () -> MeterId.of("headroom."));
    assertThrows(IllegalArgumentException.class, () -> MeterId.of("headroom.shed.in-flight"));
    MeterId.of("headroom.shed.inflight");
    MeterId.of("headroom.cache.load_time");
  }

  @Test
  void rejectsOddOrNullTags() {
    assertEquals("tags.size() must be even (key, value pairs) (was 1)",
        assertThrows(IllegalArgumentException.class,
            () -> new MeterId("headroom.x", "", "", List.of("name"))).getMessage());
    assertEquals("tag value must be non-null (was null)",
        assertThrows(IllegalArgumentException.class,
            () -> MeterId.of("headroom.x").tag("name", null)).getMessage());
  }
}
