package dev.headroom.spring.boot;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Named primitives built from properties, each replaceable by a new instance when its
 * properties change: Headroom's primitives have immutable configurations, so a new limit or
 * threshold takes effect by building a new primitive and publishing it in place of the old one.
 *
 * <p>How a replacement works, and who races with whom: readers ({@link #get}) read a volatile
 * reference and see either the old or the new instance, never a half-built one. A permit taken
 * from the old instance completes on the old instance (permits carry their primitive), so its
 * accounting stays right; the new instance starts with its own counts (a shedder's in-flight
 * count starts at zero, so for one request duration both instances may admit up to their
 * limit). {@link #prepare} builds every replacement first and throws on the first invalid
 * value, before anything is published, so a bad reload changes nothing. Replacements are
 * published by one thread at a time (the reloader's), under this object's monitor; readers
 * never take it.
 *
 * <p>Meters survive replacements: {@link #describeMeters} declares, for each meter of the
 * first instance, a function that reads the same meter of whichever instance is current;
 * counters and timers add the totals of the instances they replaced, so they never go down.
 * A meter that only a later instance has (a guard that gained a deadline) is not declared.
 *
 * <p>Thread-safety: safe for concurrent use.
 *
 * @param <S> the properties of one primitive
 * @param <T> the primitive
 */
final class LiveSet<S, T extends Instrumented> implements Instrumented {

  private final String kind;
  private final BiFunction<String, S, T> factory;
  private final Predicate<T> replaceableNow;
  private final Map<String, Entry<S, T>> entries;

  /**
   * Builds every primitive from its properties.
   *
   * @param kind the property path of the map, e.g. {@code headroom.breakers}
   * @param specs the properties, by name
   * @param factory builds a primitive; throws {@link IllegalArgumentException} for a bad value
   * @param replaceableNow whether a primitive may be replaced at this moment (a breaker only
   *     while closed); a change that waits is applied by a later {@link #publish}
   * @throws IllegalArgumentException naming the property path and the library's message
   */
  LiveSet(String kind, Map<String, S> specs, BiFunction<String, S, T> factory,
      Predicate<T> replaceableNow) {
    this.kind = kind;
    this.factory = factory;
    this.replaceableNow = replaceableNow;
    Map<String, Entry<S, T>> built = new LinkedHashMap<>();
    specs.forEach((name, spec) -> built.put(name, new Entry<>(spec, build(name, spec))));
    this.entries = Collections.unmodifiableMap(built);
  }

  private T build(String name, S spec) {
    try {
      return factory.apply(name, spec);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException(kind + "." + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Returns the current primitive of this name.
   *
   * @param name the name, as configured
   * @return the primitive
   * @throws IllegalArgumentException if no primitive of that name is configured
   */
  T get(String name) {
    Entry<S, T> e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException(Checks.message(kind + " name",
          "one of " + entries.keySet(), name));
    }
    return e.current;
  }

  /** Returns the configured names, in configuration order. */
  Set<String> names() {
    return entries.keySet();
  }

  /** Returns the properties the current primitive of this name was built from. */
  S spec(String name) {
    return entries.get(name).spec;
  }

  /**
   * Builds a replacement for every primitive whose properties differ from the current ones,
   * without publishing anything.
   *
   * @param specs the new properties, by name
   * @return the replacements, by name; names not configured at startup are left out (adding or
   *     removing a primitive needs a restart)
   * @throws IllegalArgumentException naming the property path and the library's message, on
   *     the first bad value
   */
  Map<String, Pending<S, T>> prepare(Map<String, S> specs) {
    Map<String, Pending<S, T>> out = new LinkedHashMap<>();
    for (Map.Entry<String, S> s : specs.entrySet()) {
      Entry<S, T> e = entries.get(s.getKey());
      if (e != null && !Objects.equals(e.spec, s.getValue())) {
        out.put(s.getKey(), new Pending<>(s.getValue(), build(s.getKey(), s.getValue())));
      }
    }
    return out;
  }

  /**
   * Publishes prepared replacements; a primitive that may not be replaced now keeps its
   * current instance.
   *
   * @param prepared what {@link #prepare} returned
   * @return the names that still wait (for example a breaker that is open)
   */
  synchronized List<String> publish(Map<String, Pending<S, T>> prepared) {
    List<String> waiting = new ArrayList<>();
    prepared.forEach((name, p) -> {
      Entry<S, T> e = entries.get(name);
      if (replaceableNow.test(e.current)) {
        e.replace(p.spec, p.instance);
      } else {
        waiting.add(name);
      }
    });
    return waiting;
  }

  @Override
  public void describeMeters(MeterSink sink) {
    entries.values().forEach(e -> e.describeMeters(sink));
  }

  /**
   * A built, unpublished replacement.
   *
   * @param spec its properties
   * @param instance the primitive
   * @param <S> the properties' type
   * @param <T> the primitive's type
   */
  record Pending<S, T>(S spec, T instance) {}

  /** One name: its current primitive and the meter totals of the ones it replaced. */
  private static final class Entry<S, T extends Instrumented> {
    volatile S spec;
    volatile T current;
    /** The current instance's meter functions, by meter; replaced as a whole on publish. */
    volatile Map<MeterId, Object> readers;
    /** Totals carried over from replaced instances, by counter or timer (count, nanos). */
    final Map<MeterId, long[]> carried = new HashMap<>();
    volatile Map<MeterId, long[]> carriedView = Map.of();

    Entry(S spec, T current) {
      this.spec = spec;
      this.current = current;
      this.readers = capture(current);
    }

    /** Called under the set's monitor only. */
    void replace(S newSpec, T next) {
      Map<MeterId, Object> old = readers;
      old.forEach((id, reader) -> {
        long[] c = carried.computeIfAbsent(id, k -> new long[2]);
        if (reader instanceof LongSupplier count) {
          c[0] += count.getAsLong();
        } else if (reader instanceof LongSupplier[] timer) {
          c[0] += timer[0].getAsLong();
          c[1] += timer[1].getAsLong();
        }
      });
      Map<MeterId, long[]> snapshot = new HashMap<>();
      carried.forEach((id, c) -> snapshot.put(id, c.clone()));
      // Benign race: a scrape between these writes may read the new instance's zero counts
      // without the carried totals, or the carried totals plus the old instance's; the next
      // scrape is exact. The old instance's completions that land after the swap are not
      // counted.
      this.carriedView = snapshot;
      this.readers = capture(next);
      this.current = next;
      this.spec = newSpec;
    }

    void describeMeters(MeterSink sink) {
      current.describeMeters(new MeterSink() {
        @Override
        public void counter(MeterId id, LongSupplier count) {
          sink.counter(id, () -> carried(id, 0) + (readers.get(id) instanceof LongSupplier r
              ? r.getAsLong() : 0L));
        }

        @Override
        public void gauge(MeterId id, DoubleSupplier value) {
          sink.gauge(id, () -> readers.get(id) instanceof DoubleSupplier r ? r.getAsDouble()
              : Double.NaN);
        }

        @Override
        public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
          sink.timer(id,
              () -> carried(id, 0) + (readers.get(id) instanceof LongSupplier[] r
                  ? r[0].getAsLong() : 0L),
              () -> carried(id, 1) + (readers.get(id) instanceof LongSupplier[] r
                  ? r[1].getAsLong() : 0L));
        }
      });
    }

    private long carried(MeterId id, int index) {
      long[] c = carriedView.get(id);
      return c == null ? 0L : c[index];
    }

    private static Map<MeterId, Object> capture(Instrumented instance) {
      Map<MeterId, Object> readers = new HashMap<>();
      instance.describeMeters(new MeterSink() {
        @Override
        public void counter(MeterId id, LongSupplier count) {
          readers.put(id, count);
        }

        @Override
        public void gauge(MeterId id, DoubleSupplier value) {
          readers.put(id, value);
        }

        @Override
        public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
          readers.put(id, new LongSupplier[] {count, totalNanos});
        }
      });
      return Map.copyOf(readers);
    }
  }
}
