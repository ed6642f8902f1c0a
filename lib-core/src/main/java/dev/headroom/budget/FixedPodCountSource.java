package dev.headroom.budget;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.OptionalInt;

/** A source whose count never changes, so listeners never hear anything. Immutable. */
final class FixedPodCountSource implements PodCountSource {

  private static final System.Logger LOG = System.getLogger(PodCountSource.class.getName());

  private final OptionalInt pods;
  private final String description;
  private final Listeners<Listener> listeners = new Listeners<>();

  FixedPodCountSource(OptionalInt pods, String description) {
    this.pods = pods;
    this.description = description;
  }

  static FixedPodCountSource parse(String where, String text) {
    if (text == null) {
      LOG.log(Level.WARNING, "{0} is not set: the pod count is unknown", where);
      return new FixedPodCountSource(OptionalInt.empty(), where + " (unset)");
    }
    try {
      int pods = Integer.parseInt(text.trim());
      if (pods > 0) {
        return new FixedPodCountSource(OptionalInt.of(pods), where + " = " + pods);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    LOG.log(Level.WARNING, "{0} must be a positive integer (was \"{1}\"): the pod count is"
        + " unknown", where, text);
    return new FixedPodCountSource(OptionalInt.empty(), where + " (unusable \"" + text + "\")");
  }

  @Override
  public OptionalInt currentPods() {
    return pods;
  }

  /** A constant is never late: it is a declaration, not an observation. */
  @Override
  public Duration maxDelay() {
    return Duration.ZERO;
  }

  @Override
  public void addListener(Listener listener) {
    // Kept only so that removeListener answers truthfully: the count never changes.
    listeners.add(listener);
  }

  @Override
  public boolean removeListener(Listener listener) {
    return listeners.remove(listener);
  }

  @Override
  public String toString() {
    return "PodCountSource[" + description + "]";
  }
}
