package dev.headroom.samples;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.cache.Lookup;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The README's cache example: a 60 s {@link HeadroomCache} in front of an external tax-credit API
 * that allows 500 requests per second. A fan-out of 3,000 requests for 200 members reaches the
 * API 200 times; concurrent requests for one member share one call, popular members are
 * refreshed in the background before they expire, and if the API fails the last answer is
 * served for up to five minutes. Runs in well under a second; no network.
 */
public final class TaxCreditCacheExample {

  private TaxCreditCacheExample() {}

  /** What the API answers. */
  record TaxCredit(String memberId, long cents) {}

  /** A stand-in for the external API: counts calls, refuses beyond 500 in one second. */
  static final class TaxCreditApi {
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
    private final AtomicLong inWindow = new AtomicLong();

    TaxCredit fetch(String memberId) {
      calls.incrementAndGet();
      long now = System.nanoTime();
      long start = windowStart.get();
      if (now - start >= 1_000_000_000L && windowStart.compareAndSet(start, now)) {
        inWindow.set(0);
      }
      if (inWindow.incrementAndGet() > 500) {
        throw new IllegalStateException("429 Too Many Requests");
      }
      return new TaxCredit(memberId, 120_000 + Math.floorMod(memberId.hashCode(), 10_000));
    }

    long calls() {
      return calls.get();
    }
  }

  /**
   * Serves 3,000 requests for 200 members through the cache and prints what the API saw.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    TaxCreditApi api = new TaxCreditApi();
    ExecutorService refresher = Executors.newFixedThreadPool(2);

    // tag::cache[]
    HeadroomCache<String, TaxCredit> credits = HeadroomCache.<String, TaxCredit>builder("tax-credit")
        .ttl(Duration.ofSeconds(60))           // the TTL that cut the API's calls by 91%
        .staleIfError(Duration.ofMinutes(5))   // serve the last answer while the API fails
        .loaderTimeout(Duration.ofSeconds(2))  // never hold a request longer on the API
        .maximumSize(100_000)
        .refreshExecutor(refresher)            // early refreshes run here, not on requests
        .build();
    // end::cache[]

    for (int i = 0; i < 3_000; i++) {
      String memberId = "member-" + (i % 200);
      // tag::get[]
      TaxCredit credit = credits.get(memberId, api::fetch);
      // end::get[]
      if (credit.cents() <= 0) {
        throw new IllegalStateException("unexpected credit " + credit);
      }
    }
    Lookup<TaxCredit> lookup = credits.lookup("member-7", api::fetch);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new HeadroomMeterBinder(credits).bindTo(registry);
    System.out.println("requests 3000, API calls " + api.calls() + ", hits " + credits.hits()
        + ", misses " + credits.misses() + ", member-7 stale " + lookup.stale()
        + ", meters " + registry.getMeters().size());
    refresher.shutdown();
  }
}
