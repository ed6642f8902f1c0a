package dev.headroom.budget;

import dev.headroom.core.Checks;
import java.lang.System.Logger.Level;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A list of listeners that is read far more often than it changes: a copy-on-write array, so
 * that notifying takes no lock and a listener added or removed during a notification affects
 * only later notifications. A listener that throws is logged and the others still hear.
 *
 * @param <L> the listener type
 */
final class Listeners<L> {

  private static final System.Logger LOG = System.getLogger(Listeners.class.getName());

  private final CopyOnWriteArrayList<L> list = new CopyOnWriteArrayList<>();

  void add(L listener) {
    list.add(Checks.requireNonNull("listener", listener));
  }

  boolean remove(L listener) {
    return list.remove(listener);
  }

  void notifyEach(Consumer<L> call) {
    for (L listener : list) {
      try {
        call.accept(listener);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "listener " + listener + " threw; ignored", e);
      }
    }
  }
}
