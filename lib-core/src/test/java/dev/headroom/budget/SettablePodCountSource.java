package dev.headroom.budget;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link PodCountSource} set by hand, for tests here and in the adapters' tests (through the
 * test-jar). {@link #set} notifies listeners on the calling thread when the count changes.
 */
public final class SettablePodCountSource implements PodCountSource {

  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile OptionalInt pods;
  private volatile Duration maxDelay = Duration.ZERO;
  private volatile boolean includesTerminatingPods;

  /** Creates a source with an unknown count. */
  public SettablePodCountSource() {
    this.pods = OptionalInt.empty();
  }

  /**
   * Creates a source with a known count.
   *
   * @param pods the count
   */
  public SettablePodCountSource(int pods) {
    this.pods = OptionalInt.of(pods);
  }

  /**
   * Sets the count and notifies listeners if it changed.
   *
   * @param value the new count
   */
  public synchronized void set(int value) {
    set(OptionalInt.of(value));
  }

  /**
   * Sets the count (empty: unknown) and notifies listeners if it changed.
   *
   * @param value the new count
   */
  public synchronized void set(OptionalInt value) {
    OptionalInt before = pods;
    if (!before.equals(value)) {
      pods = value;
      for (Listener l : listeners) {
        l.podCountChanged(before, value);
      }
    }
  }

  @Override
  public OptionalInt currentPods() {
    return pods;
  }

  /**
   * Declares how late the count may be (default zero); read by a sizer when it is built.
   *
   * @param value the delay
   * @return this source
   */
  public SettablePodCountSource maxDelay(Duration value) {
    maxDelay = value;
    return this;
  }

  @Override
  public Duration maxDelay() {
    return maxDelay;
  }

  /**
   * Declares whether the count keeps terminating pods (default false).
   *
   * @param value whether it does
   * @return this source
   */
  public SettablePodCountSource includesTerminatingPods(boolean value) {
    includesTerminatingPods = value;
    return this;
  }

  @Override
  public boolean includesTerminatingPods() {
    return includesTerminatingPods;
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public boolean removeListener(Listener listener) {
    return listeners.remove(listener);
  }

  /**
   * Returns the number of registered listeners.
   *
   * @return the count
   */
  public int listenerCount() {
    return listeners.size();
  }
}
