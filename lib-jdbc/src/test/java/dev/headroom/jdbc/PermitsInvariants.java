package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The invariants of {@link Permits}, shared by the unit tests, the hammer test and the stateful
 * property, so that the three check the same thing.
 */
final class PermitsInvariants {

  private PermitsInvariants() {}

  /** A quiescent semaphore agrees with a model that knows the limit and the holders. */
  static void checkQuiescent(Permits permits, int expectedLimit, int expectedInUse) {
    assertEquals(expectedLimit, permits.limit(), "limit");
    assertEquals(expectedInUse, permits.inUse(), "inUse");
    assertEquals(0, permits.waiting(), "waiting");
    assertTrue(permits.inUse() >= 0, "inUse never negative");
    // A free permit is grantable and an exhausted semaphore grants nothing.
    boolean granted = permits.tryAcquire();
    assertEquals(expectedInUse < expectedLimit, granted,
        "tryAcquire with " + expectedInUse + " of " + expectedLimit + " in use");
    if (granted) {
      permits.release();
    }
    assertEquals(expectedInUse, permits.inUse(), "inUse after probe");
  }
}
