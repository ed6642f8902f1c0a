package dev.headroom.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Every comparison the short form runs names a real benchmark method and values its
 * {@code @Param} really has, so a renamed benchmark or value fails the build, not a user's run.
 */
class RatiosTest {

  @Test
  void everyComparisonNamesARealBenchmarkAndItsParamValues() throws Exception {
    for (Ratios.Comparison c : Ratios.COMPARISONS) {
      int dot = c.benchmark().lastIndexOf('.');
      Class<?> type = Class.forName("dev.headroom.bench." + c.benchmark().substring(0, dot));
      String method = c.benchmark().substring(dot + 1);
      boolean found = false;
      for (Method m : type.getMethods()) {
        found |= m.getName().equals(method) && m.isAnnotationPresent(Benchmark.class);
      }
      assertTrue(found, c.benchmark() + " is not a @Benchmark method");
      List<String> values = paramValues(type, c.param());
      assertTrue(values.contains(c.headroom()), c.name() + ": " + c.param() + "="
          + c.headroom() + " not in " + values);
      for (String peer : c.peers()) {
        assertTrue(values.contains(peer), c.name() + ": " + c.param() + "=" + peer
            + " not in " + values);
      }
    }
  }

  @Test
  void anUnknownComparisonIsRefusedNamingTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Ratios.main(new String[] {"breakr"}));
    assertTrue(e.getMessage().startsWith("unknown comparison 'breakr'; one of [breaker, "),
        e.getMessage());
  }

  /** The values of a {@code @Param} field on the class or one of its nested state classes. */
  private static List<String> paramValues(Class<?> type, String name) {
    List<Class<?>> types = new ArrayList<>(List.of(type));
    types.addAll(Arrays.asList(type.getDeclaredClasses()));
    for (Class<?> t : types) {
      for (Field f : t.getDeclaredFields()) {
        Param p = f.getAnnotation(Param.class);
        if (p != null && f.getName().equals(name)) {
          return List.of(p.value());
        }
      }
    }
    throw new AssertionError(type + " has no @Param " + name);
  }
}
