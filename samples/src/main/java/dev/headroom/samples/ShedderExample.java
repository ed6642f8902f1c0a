package dev.headroom.samples;

import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import java.time.Duration;

/**
 * The README's load-shedding example: a request handler that admits by priority, answers 429
 * with Retry-After when shed, and reports each outcome so the adaptive limit can learn.
 */
public final class ShedderExample {

  // tag::shedder[]
  private static final LoadShedder SHEDDER = LoadShedder.builder("api")
      .limit(LimitPolicy.gradient().minLimit(4).maxLimit(200).build())
      .maxWait(Duration.ofMillis(20))          // optional: wait briefly for a slot
      .build();
  // end::shedder[]

  private ShedderExample() {}

  /** What the handler returns, reduced to a status and a Retry-After header. */
  record Response(int status, long retryAfterSeconds) {}

  // tag::handle[]
  static Response handle(Priority priority, Runnable work) {
    try (Permit permit = SHEDDER.tryAcquire(priority)) {
      if (!permit.isAdmitted()) {
        return new Response(429, permit.retryAfterSeconds()); // LIMIT, QUEUE_FULL, ...
      }
      try {
        work.run();
        permit.onSuccess();                    // latency measured from admission
        return new Response(200, 0);
      } catch (RuntimeException timeoutOrOverload) {
        permit.onDropped();                    // overload evidence: the limit backs off
        return new Response(503, 1);
      }
    }
  }
  // end::handle[]

  /**
   * Serves a few requests and prints what the shedder saw.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println(handle(Priority.CRITICAL, () -> { }));
    System.out.println(handle(Priority.LOW, () -> { }));
    System.out.println("inFlight=" + SHEDDER.inFlight() + " waiting=" + SHEDDER.waiting()
        + " limit=" + SHEDDER.limit());
  }
}
