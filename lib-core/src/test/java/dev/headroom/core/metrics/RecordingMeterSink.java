package dev.headroom.core.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * A {@link MeterSink} for tests: remembers every declaration and reads values by name and tags.
 * Shared with other modules' tests through the test-jar.
 */
public final class RecordingMeterSink implements MeterSink {

  /** One declared meter. */
  public record Declared(String kind, MeterId id, DoubleSupplier value) {}

  // Primitives may declare further meters later, from their own threads.
  private final List<Declared> declared = new CopyOnWriteArrayList<>();

  @Override
  public void counter(MeterId id, LongSupplier count) {
    declared.add(new Declared("counter", id, () -> (double) count.getAsLong()));
  }

  @Override
  public void gauge(MeterId id, DoubleSupplier value) {
    declared.add(new Declared("gauge", id, value));
  }

  @Override
  public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
    declared.add(new Declared("timer", id, () -> (double) count.getAsLong()));
  }

  /** Returns every declaration, in order. */
  public List<Declared> declared() {
    return List.copyOf(declared);
  }

  /**
   * Reads the meter with this name whose tags include all of {@code tags}.
   *
   * @throws AssertionError if none or several match
   */
  public double value(String name, String... tags) {
    Declared match = null;
    for (Declared d : declared) {
      if (!d.id().name().equals(name)) {
        continue;
      }
      boolean all = true;
      for (int i = 0; i < tags.length; i += 2) {
        if (!tags[i + 1].equals(d.id().tagValue(tags[i]))) {
          all = false;
          break;
        }
      }
      if (all) {
        if (match != null) {
          throw new AssertionError("several meters match " + name + " " + List.of(tags));
        }
        match = d;
      }
    }
    if (match == null) {
      throw new AssertionError("no meter " + name + " " + List.of(tags) + " in " + declared);
    }
    return match.value().getAsDouble();
  }
}
