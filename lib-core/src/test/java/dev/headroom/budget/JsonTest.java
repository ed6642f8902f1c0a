package dev.headroom.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void readsEveryKindOfValue() {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("s", "a\"b\\c/\n\u00e9");
    expected.put("n", -12.5e2);
    expected.put("i", 0.0);
    expected.put("list", Arrays.asList(true, false, null, List.of()));
    expected.put("o", Map.of());
    assertEquals(expected, Json.parse(" {\"s\":\"a\\\"b\\\\c\\/\\n\\u00e9\", \"n\" : -12.5e2,"
        + "\"i\":0,\"list\":[true,false,null,[]],\"o\":{}}\n"));
  }

  @Test
  void rejectsWhatIsNotOneCompleteValue() {
    assertEquals("JSON must have a value at offset 0 (was end of input)",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("")).getMessage());
    assertEquals("JSON must have end of input at offset 3 (was 'x')",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{} x")).getMessage());
    assertEquals("JSON must have ',' or '}' at offset 6 (was ']')",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1]")).getMessage());
    assertEquals("JSON must have a closing quote at offset 4 (was end of input)",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"abc")).getMessage());
    assertEquals("JSON must have a digit at offset 1 (was end of input)",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("-")).getMessage());
    assertEquals("JSON must have a member name at offset 1 (was '1')",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{1:2}")).getMessage());
    assertEquals("JSON must have a value at offset 0 (was 't')",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("tru")).getMessage());
    assertEquals("JSON must have nesting of at most 64 levels at offset 65 (was '[')",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(100)))
            .getMessage());
  }
}
