package dev.headroom.breaker;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers a breaker's phase changes to its listeners exactly once each, in generation order.
 *
 * <p>Algorithm: every phase change is made by a CAS that installs generation {@code g + 1} over
 * generation {@code g}, so generations are gapless. The thread whose CAS won posts an event
 * keyed by the new generation, then tries to become the single drainer (CAS on
 * {@code draining}). The drainer delivers event {@code delivered + 1} while it is present, so
 * two winners that post out of order (the second transition's thread overtakes the first's) are
 * still delivered in order: the later event waits in the map until the earlier one arrives, and
 * whoever posts the earlier one drains both. After releasing the flag the drainer re-checks the
 * map, so an event posted while it was draining is never stranded.
 *
 * <p>Memory orders: {@code delivered} is a plain field read and written only while holding the
 * {@code draining} flag; the flag's CAS (acquire) and volatile clear (release) order those
 * accesses between successive drainers. The map publishes events safely between threads.
 */
final class TransitionLog {

  /** One phase change; {@code from == to} for a ramp step, {@code silent} for reset-in-place. */
  record Event(long generation, BreakerState from, BreakerState to, int step, double fraction,
      boolean silent) {}

  private final ConcurrentHashMap<Long, Event> pending = new ConcurrentHashMap<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final List<BreakerListener> listeners = new CopyOnWriteArrayList<>();
  private long delivered;

  TransitionLog(long initialGeneration) {
    this.delivered = initialGeneration;
  }

  void add(BreakerListener listener) {
    listeners.add(listener);
  }

  boolean remove(BreakerListener listener) {
    return listeners.remove(listener);
  }

  void post(CircuitBreaker breaker, Event event) {
    pending.put(event.generation(), event);
    drain(breaker);
  }

  private void drain(CircuitBreaker breaker) {
    while (draining.compareAndSet(false, true)) {
      long next;
      try {
        Event event;
        while ((event = pending.remove(delivered + 1)) != null) {
          delivered++;
          deliver(breaker, event);
        }
        next = delivered + 1; // read while holding the flag
      } finally {
        draining.set(false);
      }
      if (!pending.containsKey(next)) {
        return;
      }
    }
  }

  private void deliver(CircuitBreaker breaker, Event event) {
    if (event.silent()) {
      return;
    }
    for (BreakerListener listener : listeners) {
      try {
        if (event.from() == event.to()) {
          listener.onRampStep(breaker, event.step(), event.fraction());
        } else {
          listener.onTransition(breaker, event.from(), event.to());
        }
      } catch (RuntimeException ignored) {
        // A listener's failure must not break the breaker or starve other listeners.
      }
    }
  }
}
