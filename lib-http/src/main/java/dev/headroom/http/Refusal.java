package dev.headroom.http;

import dev.headroom.shed.Permit;
import java.nio.charset.StandardCharsets;

/** The 429 answer both server adapters send: status, Retry-After and a one-line body. */
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
}
