package dev.headroom.samples.drill;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Calls into lib-core's incident simulators that are package-private in its test-jar
 * ({@code dev.headroom.sim.dependency.DependencyScenario}, {@code dev.headroom.cache
 * .FleetSimulation}): the drill replays them as they are rather than copying them. A renamed
 * member fails the scenario with the member's name, never a made-up figure.
 *
 * <p>Thread-safety: stateless.
 */
final class Simulators {

  private Simulators() {}

  static Class<?> type(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("simulator class " + name + " is not on the class path"
          + " (headroom-core's test-jar)", e);
    }
  }

  /** Calls a static or instance method by name and parameter types. */
  static Object call(Class<?> owner, Object target, String method, Class<?>[] types,
      Object... args) {
    try {
      Method m = owner.getDeclaredMethod(method, types);
      m.setAccessible(true);
      return m.invoke(target, args);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite
          ? ite.getCause() : e;
      throw new IllegalStateException("simulator call " + owner.getSimpleName() + "." + method
          + " failed: " + cause, cause);
    }
  }

  /** Reads a field, static when {@code target} is null. */
  static Object field(Class<?> owner, Object target, String name) {
    try {
      Field f = owner.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("simulator field " + owner.getSimpleName() + "." + name
          + " not readable: " + e, e);
    }
  }

  /** Calls a no-argument accessor of a record or object. */
  static Object get(Object target, String accessor) {
    return call(target.getClass(), target, accessor, new Class<?>[0]);
  }

  /** The enum constant {@code name} of a nested enum. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static Object constant(String enumClass, String name) {
    return Enum.valueOf((Class) type(enumClass), name);
  }
}
