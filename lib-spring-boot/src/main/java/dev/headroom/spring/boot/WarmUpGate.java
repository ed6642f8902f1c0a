package dev.headroom.spring.boot;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps readiness down while the application warms up: for {@code headroom.readiness.warm-up}
 * after it started (JIT, connection pools, caches filling), and while any part of the
 * application holds the gate.
 *
 * <pre>{@code
 * gate.hold("plan-cache");
 * planCache.prime();
 * gate.release("plan-cache");
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class WarmUpGate {

  private final Duration warmUp;
  private final NanoClock clock;
  private final Set<String> holds = ConcurrentHashMap.newKeySet();
  private volatile long startedAt;
  private volatile boolean started;

  /**
   * Creates a closed gate; it starts counting at {@link #start()}.
   *
   * @param warmUp how long after the start the gate stays closed, {@code >= 0}
   * @param clock the clock
   * @throws IllegalArgumentException if {@code warmUp} is negative or an argument is null
   */
  public WarmUpGate(Duration warmUp, NanoClock clock) {
    this.warmUp = Checks.requireNonNegative("warmUp", warmUp);
    this.clock = Checks.requireNonNull("clock", clock);
  }

  /**
   * Starts the warm-up period (the auto-configuration calls it when the application is ready).
   * Later calls do nothing.
   */
  public synchronized void start() {
    if (!started) {
      startedAt = clock.nanoTime();
      started = true;
    }
  }

  /**
   * Holds the gate closed until {@link #release} with the same reason.
   *
   * @param reason what is warming up
   * @throws IllegalArgumentException if {@code reason} is blank
   */
  public void hold(String reason) {
    holds.add(Checks.requireNonBlank("reason", reason));
  }

  /**
   * Releases a hold; releasing a reason not held does nothing.
   *
   * @param reason what finished warming up
   * @throws IllegalArgumentException if {@code reason} is null
   */
  public void release(String reason) {
    holds.remove(Checks.requireNonNull("reason", reason));
  }

  /**
   * Returns whether the gate is open: started, the warm-up period over and nothing held.
   *
   * @return whether the application may accept traffic as far as warm-up goes
   */
  public boolean isOpen() {
    return started && holds.isEmpty() && clock.nanoTime() - startedAt >= warmUp.toNanos();
  }

  /**
   * Returns the reasons holding the gate.
   *
   * @return the reasons, possibly empty
   */
  public Set<String> holds() {
    return Set.copyOf(holds);
  }

  /**
   * Returns how much of the warm-up period is left, zero once over.
   *
   * @return the time left; the whole period before {@link #start()}
   */
  public Duration remaining() {
    if (!started) {
      return warmUp;
    }
    long left = warmUp.toNanos() - (clock.nanoTime() - startedAt);
    return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
  }
}
