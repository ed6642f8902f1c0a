package dev.headroom.spring.boot;

import dev.headroom.core.Checks;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes the application's readiness from the warm-up gate and the shedder; never touches
 * liveness. A pod whose dependency is down, or whose breaker is open, stays live: restarting it
 * would not mend the dependency and would throw away its warm caches and pools.
 *
 * <p>Every {@code headroom.readiness.interval} (and at once when something else marks the
 * application ready) it evaluates:
 * <ul>
 *   <li>the {@link WarmUpGate}: closed means {@code REFUSING_TRAFFIC};
 *   <li>the shedder, if there is one: when it refused at least {@code refused-fraction} of the
 *       requests it saw since the last evaluation, and saw at least {@code minimum-requests},
 *       the pod is refusing most of its traffic, and it is better for the load balancer to send
 *       new connections elsewhere until it recovers: {@code REFUSING_TRAFFIC}. The next interval
 *       with fewer refusals makes it ready again.
 * </ul>
 * Otherwise {@code ACCEPTING_TRAFFIC}. It only lowers readiness and lifts what it lowered: it
 * publishes {@code REFUSING_TRAFFIC} (an {@link AvailabilityChangeEvent}) when it decides so and
 * the application is accepting traffic, including right after Spring Boot marked it ready
 * during a warm-up; and {@code ACCEPTING_TRAFFIC} only when the refusal was its own, so a
 * refusal published by someone else (Spring Boot's graceful shutdown, the application) is never
 * overridden.
 *
 * <p>Thread-safety: {@link #evaluate()} may be called from any thread; evaluations are
 * serialised.
 */
public final class HeadroomReadiness implements AutoCloseable {

  private final ApplicationEventPublisher publisher;
  private final ApplicationAvailability availability;
  private final WarmUpGate gate;
  private final HeadroomShedder shedder;
  private final double refusedFraction;
  private final int minimumRequests;
  private final Duration interval;
  private ScheduledExecutorService scheduler;
  private long lastAdmitted;
  private long lastRefused;
  /** The state this evaluator last published; ACCEPTING until it lowers it. */
  private ReadinessState published = ReadinessState.ACCEPTING_TRAFFIC;
  /** Whether readiness is down because this evaluator put it down (and so may raise it). */
  private boolean heldDown;
  private volatile String reason = "not evaluated yet";

  /**
   * Creates the evaluator; nothing runs until {@link #start()} or {@link #evaluate()}.
   *
   * @param publisher where availability changes are published
   * @param availability the application's availability, whose readiness is compared with the
   *     decision (so that a state another publisher set is corrected), or null to compare with
   *     the last state this evaluator published
   * @param gate the warm-up gate
   * @param shedder the application's shedder, or null when there is none
   * @param properties the thresholds
   * @throws IllegalArgumentException {@code "headroom.readiness.refused-fraction must be in (0,
   *     1] (was 2)"} and the like for a bad value
   */
  public HeadroomReadiness(ApplicationEventPublisher publisher,
      ApplicationAvailability availability, WarmUpGate gate, HeadroomShedder shedder,
      HeadroomProperties.Readiness properties) {
    this.publisher = Checks.requireNonNull("publisher", publisher);
    this.availability = availability;
    this.gate = Checks.requireNonNull("gate", gate);
    this.shedder = shedder;
    this.refusedFraction = Checks.requireFraction("headroom.readiness.refused-fraction",
        properties.refusedFraction());
    this.minimumRequests = Checks.requirePositive("headroom.readiness.minimum-requests",
        properties.minimumRequests());
    this.interval = Checks.requirePositive("headroom.readiness.interval", properties.interval());
    if (shedder != null) {
      lastAdmitted = shedder.admitted();
      lastRefused = shedder.refused();
    }
  }

  /** Starts the periodic evaluation on a daemon thread; later calls do nothing. */
  public synchronized void start() {
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "headroom-readiness");
        t.setDaemon(true);
        return t;
      });
      long nanos = interval.toNanos();
      scheduler.scheduleWithFixedDelay(this::evaluate, nanos, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Decides the readiness state now and publishes it if it changed.
   *
   * @return the state decided
   */
  public synchronized ReadinessState evaluate() {
    return evaluate(availability != null ? availability.getReadinessState() : published);
  }

  private ReadinessState evaluate(ReadinessState current) {
    ReadinessState state = ReadinessState.ACCEPTING_TRAFFIC;
    String why = "warm-up over, shedder admitting";
    if (!gate.isOpen()) {
      state = ReadinessState.REFUSING_TRAFFIC;
      why = "warming up: " + Configs.format(gate.remaining()) + " left, held by " + gate.holds();
    }
    if (shedder != null) {
      long admitted = shedder.admitted();
      long refused = shedder.refused();
      long a = admitted - lastAdmitted;
      long r = refused - lastRefused;
      lastAdmitted = admitted;
      lastRefused = refused;
      if (a + r >= minimumRequests && r >= refusedFraction * (a + r)) {
        state = ReadinessState.REFUSING_TRAFFIC;
        why = "shedder refused " + r + " of " + (a + r) + " requests in the last interval";
      }
    }
    reason = why;
    if (state == ReadinessState.REFUSING_TRAFFIC) {
      if (current != ReadinessState.REFUSING_TRAFFIC) {
        heldDown = true;
        publish(state);
      }
    } else if (heldDown) {
      // Raise only what this evaluator lowered: a REFUSING_TRAFFIC that someone else
      // published (Spring Boot's graceful shutdown, the application) is left alone.
      heldDown = false;
      if (current != ReadinessState.ACCEPTING_TRAFFIC) {
        publish(state);
      }
    }
    return state;
  }

  private void publish(ReadinessState state) {
    published = state;
    AvailabilityChangeEvent.publish(publisher, this, state);
  }

  /**
   * Called when something else (Spring Boot, once the application is ready) published a
   * readiness state: re-decides at once, so a warm-up in progress is not overridden.
   *
   * @param state the state published
   */
  public synchronized void onPublished(ReadinessState state) {
    // Someone else decided: a refusal is theirs to lift, an acceptance is judged at once.
    heldDown = false;
    published = state;
    evaluate(state);
  }

  /**
   * Returns why the last evaluation decided as it did.
   *
   * @return the reason
   */
  public String reason() {
    return reason;
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
