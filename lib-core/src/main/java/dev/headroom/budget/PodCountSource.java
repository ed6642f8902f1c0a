package dev.headroom.budget;

import dev.headroom.core.Checks;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Tells a pod how many pods of its service run: the input of {@link PoolSizer}.
 *
 * <p>A source never throws into its caller and never blocks: {@link #currentPods()} returns the
 * latest known count, or empty when nothing is known (not read yet, unreadable, or expired).
 * The {@link PoolSizer} then sizes for the service's declared maximum of pods, the one count that
 * is safe whatever the truth.
 *
 * <p>A source also states what the sizer's guarantee rests on: {@link #maxDelay()}, the longest
 * a change of the fleet takes to show in {@link #currentPods()}, and
 * {@link #includesTerminatingPods()}, whether a pod stays counted until it is gone.
 *
 * <p>Sources:
 * <ul>
 *   <li>{@link #fixed(int)}: a constant;
 *   <li>{@link #fromEnvironment(String)} and {@link #fromSystemProperty(String)}: read once;
 *   <li>{@link PushedPodCountSource} ({@link #pushed()}): driven by a watcher that calls
 *       {@code update(int)} with every count it learns: the Kubernetes watch of
 *       {@code headroom-kubernetes}, a pod ledger in a shared store;
 *   <li>{@link PolledPodCountSource}: any {@code Supplier<Integer>} polled on a scheduler and
 *       cached, keeping the last good value on errors.
 * </ul>
 *
 * <p>Thread-safety: implementations are safe for concurrent use; listeners may be added and
 * removed from any thread.
 */
public interface PodCountSource extends AutoCloseable {

  /**
   * Returns the latest known pod count. Never throws, never blocks.
   *
   * @return a count {@code >= 0}, or empty when nothing is known
   */
  OptionalInt currentPods();

  /**
   * Adds a listener that hears every later change of {@link #currentPods()}, including changes
   * to and from "unknown". Listeners are called one at a time, in the order of the changes, on
   * the thread that observed the change; they must return quickly and must not throw (a thrown
   * exception is logged and ignored).
   *
   * @param listener the listener
   * @throws IllegalArgumentException if {@code listener} is null
   */
  void addListener(Listener listener);

  /**
   * Removes a listener added before.
   *
   * @param listener the listener
   * @return whether it was registered
   */
  boolean removeListener(Listener listener);

  /**
   * Returns the longest a change of the fleet can take to show in {@link #currentPods()}, as
   * this source vouches for it: the {@code D} of {@link PoolSizer}'s guarantee. A pod waits this
   * long after its sizer starts before it opens a connection, so that every other pod has seen
   * the count that includes it. A source that cannot vouch for its count any longer makes it
   * unknown rather than let it grow older than this.
   *
   * @return the bound, {@code >= 0}
   */
  Duration maxDelay();

  /**
   * Tells whether a pod stays in this count until it is gone, its connections closed (a count of
   * the pods that exist, terminating ones included), rather than leaving the count as soon as it
   * is told to stop (a desired replica count). With such a count a {@link PoolSizer} needs no
   * hold window, and its default hold window is zero. The default returns false.
   *
   * @return whether terminating pods are counted until they are gone
   */
  default boolean includesTerminatingPods() {
    return false;
  }

  /** Stops polling or watching, if the source does. Idempotent; never throws. */
  @Override
  default void close() {}

  /**
   * Hears changes of a {@link PodCountSource}'s count.
   *
   * <p>Thread-safety: called from the source's polling thread.
   */
  @FunctionalInterface
  interface Listener {
    /**
     * Called after the count changed.
     *
     * @param previous the count before, or empty if it was unknown
     * @param current the count now, or empty if it is unknown
     */
    void podCountChanged(OptionalInt previous, OptionalInt current);
  }

  /**
   * Returns a source with a constant count, for fixed-size deployments and tests.
   *
   * @param pods the count, {@code > 0}
   * @return a source that never changes
   * @throws IllegalArgumentException if {@code pods <= 0}
   */
  static PodCountSource fixed(int pods) {
    Checks.requirePositive("pods", pods);
    return new FixedPodCountSource(OptionalInt.of(pods), "fixed " + pods);
  }

  /**
   * Returns a source with the count read once from an environment variable (for example one set
   * by the Deployment's manifest or by the Downward API). An unset variable, or one that is not
   * a positive integer, makes the count unknown (and is logged).
   *
   * @param variable the variable's name
   * @return a source that never changes
   * @throws IllegalArgumentException if {@code variable} is null or blank
   */
  static PodCountSource fromEnvironment(String variable) {
    Checks.requireNonBlank("variable", variable);
    return FixedPodCountSource.parse("environment variable " + variable,
        System.getenv(variable));
  }

  /**
   * Returns a source with the count read once from a system property. An unset property, or one
   * that is not a positive integer, makes the count unknown (and is logged). Poll the property
   * with {@link PolledPodCountSource} and {@code () -> Integer.getInteger(name)} if it changes.
   *
   * @param property the property's name
   * @return a source that never changes
   * @throws IllegalArgumentException if {@code property} is null or blank
   */
  static PodCountSource fromSystemProperty(String property) {
    Checks.requireNonBlank("property", property);
    return FixedPodCountSource.parse("system property " + property,
        System.getProperty(property));
  }

  /**
   * Starts a source that a watcher drives with {@code update(int)}; shorthand for
   * {@code PushedPodCountSource.builder()}.
   *
   * @return a new builder
   */
  static PushedPodCountSource.Builder pushed() {
    return PushedPodCountSource.builder();
  }

  /**
   * Starts a source that polls {@code supplier}; shorthand for
   * {@code PolledPodCountSource.builder().supplier(supplier)}.
   *
   * @param supplier returns the count; may throw or return null, which counts as an error
   * @return a builder with the supplier set
   * @throws IllegalArgumentException if {@code supplier} is null
   */
  static PolledPodCountSource.Builder polling(Supplier<Integer> supplier) {
    return PolledPodCountSource.builder().supplier(supplier);
  }
}
