package dev.headroom.shed;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The layout of {@link LoadShedder}'s shared in-flight word, {@code inFlight}, padded on both
 * sides by a class hierarchy (the JCTools idiom; the JVM lays out superclass fields first and
 * does not reorder across classes) so that no other field shares its cache line. Near the
 * limit every admission and release writes it (far below the limit they write their stripe
 * instead, see LoadShedder); every admission also reads the limit, the waiting count and the
 * shares, which change rarely. Without the padding each of those reads would miss whenever
 * another core had just written {@code inFlight}.
 */
abstract class InFlightPadBefore {
  long p00, p01, p02, p03, p04, p05, p06, p07;
  long p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** Holds {@code inFlight}; see {@link InFlightPadBefore}. */
abstract class InFlightField extends InFlightPadBefore {
  /**
   * The in-flight word: admitted, not yet completed requests counted here (the rest are in
   * LoadShedder's stripes), plus LoadShedder.EXACT. Accessed through LoadShedder's VarHandle.
   */
  volatile int inFlight;
}

/** Padding after {@code inFlight}; see {@link InFlightPadBefore}. */
abstract class InFlightCell extends InFlightField {
  /** The handle of {@code inFlight} for CAS and atomic adds. */
  static final VarHandle IN_FLIGHT;

  static {
    try {
      IN_FLIGHT = MethodHandles.lookup().findVarHandle(InFlightField.class, "inFlight",
          int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  long p10, p11, p12, p13, p14, p15, p16, p17;
  long p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}
