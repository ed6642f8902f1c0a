package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Runs the README's tax-credit client against a real rate-limited server on loopback: nobody
 * gets an error, the API sees about one call per member and phase, its 429s are waited out as
 * asked, and during its outage every lookup is answered from the stale window.
 */
class TaxCreditClientExampleTest {

  @Test
  void theFanOutStaysWithinTheApiAndTheOutageIsServedStale() throws Exception {
    int requests = 3_000;
    int members = 100;
    int limit = 40;
    TaxCreditClientExample.Result r = TaxCreditClientExample.run(requests, members, limit);
    String seen = r.toString();
    System.out.println(seen);
    assertEquals(2L * requests, r.requests(), seen);
    assertEquals(0, r.failures(), "every lookup answered: " + seen);
    // 100 first loads, 16 at a time, against an API that takes 40 a second: it refuses some,
    // and each refusal is retried after the Retry-After it sent.
    assertTrue(r.tooManyRequests() > 0, "the API's limit was reached: " + seen);
    assertEquals(r.tooManyRequests(), r.retryAfterHonoured(),
        "the 429s were retried after their Retry-After: " + seen);
    // Concurrent lookups share one load: phase one costs one call per member plus its 429s;
    // the outage costs at most one failed load per member and attempt (3 attempts).
    long ceiling = members + r.tooManyRequests() + 3L * members + members / 2;
    assertTrue(r.apiCalls() <= ceiling, "API calls " + r.apiCalls() + " > " + ceiling + ": "
        + seen);
    // The outage phase: every lookup was served, from the stale window.
    assertTrue(r.staleServed() >= requests - members, seen);
  }
}
