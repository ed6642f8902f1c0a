package dev.headroom.http;

import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import java.nio.charset.StandardCharsets;

/**
 * What both server adapters share: the 429 answer (status, Retry-After and a one-line body), how
 * an admitted request's permit is completed, and the meters. It names no servlet type, so that
 * {@link ShedHandler} runs without the servlet API on the class path.
 */
final class Refusal {

  static final int STATUS = 429;

  private Refusal() {}

  static String retryAfter(Permit permit) {
    return Long.toString(permit.retryAfterSeconds());
  }

  /** E.g. {@code "shed: LIMIT (priority LOW, retry after 1 s)\n"}. */
  static byte[] body(Permit permit) {
    return ("shed: " + permit.reason() + " (priority " + permit.priority() + ", retry after "
        + permit.retryAfterSeconds() + " s)\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Completes an admitted request's permit: a 5xx is a drop, anything else a success. */
  static void complete(Permit permit, int status) {
    if (status >= 500) {
      permit.onDropped();
    } else {
      permit.onSuccess();
    }
  }

  static void describe(MeterSink sink, LoadShedder shedder, PriorityRules rules) {
    shedder.describeMeters(sink);
    describeRules(sink, shedder.name(), rules);
  }

  static void describeRules(MeterSink sink, String name, PriorityRules rules) {
    sink.counter(MeterId.of("headroom.http.server.unknown_priority").tag("name", name)
        .description("Requests whose priority header held no priority"),
        rules::unknownHeaderValues);
  }
}
