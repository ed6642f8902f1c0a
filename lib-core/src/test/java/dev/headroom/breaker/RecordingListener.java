package dev.headroom.breaker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Records transitions as "FROM>TO" and ramp steps as "step N @ f", in delivery order. */
final class RecordingListener implements BreakerListener {

  final List<String> transitions = Collections.synchronizedList(new ArrayList<>());
  final List<String> events = Collections.synchronizedList(new ArrayList<>());

  @Override
  public void onTransition(CircuitBreaker breaker, BreakerState from, BreakerState to) {
    transitions.add(from + ">" + to);
    events.add(from + ">" + to);
  }

  @Override
  public void onRampStep(CircuitBreaker breaker, int step, double admittedFraction) {
    events.add("step " + step + " @ " + admittedFraction);
  }

  List<String> transitions() {
    synchronized (transitions) {
      return List.copyOf(transitions);
    }
  }

  List<String> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }
}
