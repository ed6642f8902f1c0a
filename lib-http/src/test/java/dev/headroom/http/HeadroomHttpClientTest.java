package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.breaker.BreakerState;
import dev.headroom.cache.HeadroomCache;
import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LimitPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HeadroomHttpClientTest {

  private Origin origin;
  private HttpClient jdk;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
    jdk = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  private HttpRequest get() {
    return HttpRequest.newBuilder(origin.uri("/x")).GET().build();
  }

  private static long millisBetween(List<Long> arrivals, int i) {
    return TimeUnit.NANOSECONDS.toMillis(arrivals.get(i + 1) - arrivals.get(i));
  }

  @Test
  void retryAfterSecondsIsHonouredWithinTolerance() throws Exception {
    origin.behave(n -> n == 1 ? Origin.Action.status(503, Map.of("Retry-After", "1"))
        : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    HttpResponse<String> r = client.send(get(), BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    long gap = millisBetween(origin.arrivals(), 0);
    assertTrue(gap >= 1000 && gap < 1300, "retry " + gap + " ms after a Retry-After of 1 s");
    assertEquals(1, client.retryAfter(get(), RetryAfter.Kind.VALID));
    assertEquals(1, client.retries(get()));
  }

  @Test
  void retryAfterDateIsHonouredWithinTolerance() throws Exception {
    Instant now = Instant.parse("2026-12-05T18:00:00Z");
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        now.plusSeconds(1).atOffset(ZoneOffset.UTC));
    origin.behave(n -> n == 1 ? Origin.Action.status(429, Map.of("Retry-After", date))
        : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk)
        .wallClock(Clock.fixed(now, ZoneOffset.UTC)).build();
    assertEquals(200, client.send(get(), BodyHandlers.ofString()).statusCode());
    long gap = millisBetween(origin.arrivals(), 0);
    assertTrue(gap >= 1000 && gap < 1300, "retry " + gap + " ms after a date 1 s ahead");
  }

  @Test
  void garbageRetryAfterValuesTakeTheJitteredBackoffAndAreCounted() throws Exception {
    String[] values = {"-5", "soon", "Sun, 06 Nov 1994 08:49:37 GMT"};
    origin.behave(n -> n <= 3 ? Origin.Action.status(503, Map.of("Retry-After", values[n - 1]))
        : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk)
        .retry(RetryPolicy.builder().maxAttempts(4).build()).build();
    assertEquals(200, client.send(get(), BodyHandlers.ofString()).statusCode());
    List<Long> arrivals = origin.arrivals();
    for (int i = 0; i < 3; i++) {
      // Full jitter: at most 50, 100, 200 ms, plus scheduling.
      assertTrue(millisBetween(arrivals, i) < (50L << i) + 250,
          "retry " + i + " after " + millisBetween(arrivals, i) + " ms");
    }
    assertEquals(1, client.retryAfter(get(), RetryAfter.Kind.NEGATIVE));
    assertEquals(1, client.retryAfter(get(), RetryAfter.Kind.MALFORMED));
    assertEquals(1, client.retryAfter(get(), RetryAfter.Kind.PAST));
  }

  @Test
  void retryAfterLongerThanTheMaximumEndsTheRetriesAtOnce() throws Exception {
    origin.behave(n -> Origin.Action.status(503, Map.of("Retry-After", "3600")));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    long t0 = System.nanoTime();
    HttpResponse<String> r = client.send(get(), BodyHandlers.ofString());
    assertEquals(503, r.statusCode());
    assertEquals(1, origin.requests());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
    assertEquals(1, client.retryAfter(get(), RetryAfter.Kind.TOO_LONG));
    assertEquals(1, client.count(get(), HeadroomHttpClient.Outcome.OVERLOAD));
  }

  @Test
  void overloadAnswersBackTheLimitOffButDoNotTripTheBreaker() throws Exception {
    origin.behave(n -> Origin.Action.status(429, Map.of("Retry-After", "1")));
    // The default guard has no limit (see Builder#limit); configure one to watch it back off.
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).retry(RetryPolicy.none())
        .limit(LimitPolicy.gradient().build()).build();
    for (int i = 0; i < 20; i++) {
      assertEquals(429, client.send(get(), BodyHandlers.ofString()).statusCode());
    }
    Guard guard = client.guardFor(get());
    assertEquals(20, guard.count(Guard.Outcome.OVERLOAD));
    assertEquals(BreakerState.CLOSED, guard.breaker().state());
    assertTrue(guard.limit().limit() <= LimitPolicy.gradient().build().initialLimit());
    assertNull(HeadroomHttpClient.builder(jdk).build().guardFor(get()).limit(),
        "no limit unless configured");

    // The same count of plain 500s trips it (5 consecutive failures at low volume).
    origin.behave(n -> Origin.Action.status(500, Map.of()));
    for (int i = 0; i < 5; i++) {
      assertEquals(500, client.send(get(), BodyHandlers.ofString()).statusCode());
    }
    assertEquals(BreakerState.OPEN, guard.breaker().state());
    int before = origin.requests();
    assertThrows(dev.headroom.breaker.CallNotPermittedException.class,
        () -> client.send(get(), BodyHandlers.ofString()));
    assertEquals(before, origin.requests(), "an open breaker sends nothing");
    assertEquals(1, client.count(get(), HeadroomHttpClient.Outcome.REJECTED));
  }

  @Test
  void postIsNotRetriedUnlessItCarriesAnIdempotencyKey() throws Exception {
    origin.behave(n -> Origin.Action.status(503, Map.of()));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    HttpRequest post = HttpRequest.newBuilder(origin.uri("/pay"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    assertEquals(503, client.send(post, BodyHandlers.ofString()).statusCode());
    assertEquals(1, origin.requests());
    HttpRequest keyed = HttpRequest.newBuilder(origin.uri("/pay"))
        .header("Idempotency-Key", "k-1").POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build();
    assertEquals(503, client.send(keyed, BodyHandlers.ofString()).statusCode());
    assertEquals(1 + 3, origin.requests());
  }

  @Test
  void theDeadlineBecomesTheRequestTimeoutAndCancelsAHungExchange() throws Exception {
    origin.behave(n -> Origin.Action.hanging());
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).retry(RetryPolicy.none())
        .guards(name -> Guard.builder(name).deadline(DeadlinePolicy.fixed(
            Duration.ofMillis(200))).build())
        .build();
    long t0 = System.nanoTime();
    assertThrows(HttpTimeoutException.class, () -> client.send(get(), BodyHandlers.ofString()));
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(took >= 200 && took < 1000, "timed out after " + took + " ms");
    assertEquals(1, client.count(get(), HeadroomHttpClient.Outcome.TIMEOUT));
    assertEquals(1, client.guardFor(get()).count(Guard.Outcome.TIMEOUT));
    // Async: the same deadline, the same outcome.
    Throwable e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> client.sendAsync(get(), BodyHandlers.ofString()).get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof HttpTimeoutException, e.toString());
    // The client still works once the origin answers again.
    origin.behave(n -> Origin.Action.ok(0));
    assertEquals(200, client.send(get(), BodyHandlers.ofString()).statusCode());
  }

  @Test
  void aDroppedConnectionIsRetried() throws Exception {
    // A POST with an Idempotency-Key: the JDK client itself retries a GET once on a closed
    // connection, which would hide the drop from the wrapper.
    origin.behave(n -> n == 1 ? Origin.Action.dropped() : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    HttpRequest post = HttpRequest.newBuilder(origin.uri("/pay")).header("Idempotency-Key", "k")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    assertEquals(200, client.send(post, BodyHandlers.ofString()).statusCode());
    assertEquals(2, origin.requests());
    assertEquals(1, client.retries(post));
    assertEquals(1, client.guardFor(post).count(Guard.Outcome.FAILURE));
  }

  @Test
  void theBudgetBoundsRetriesUnderTotalFailure() throws Exception {
    origin.behave(n -> Origin.Action.status(502, Map.of()));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk)
        .guards(name -> Guard.builder(name).build())
        .retry(RetryPolicy.builder().maxAttempts(3).baseBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(1)).build())
        .retryBudget(name -> RetryBudget.ratio().name(name).minRetriesPerSecond(0).build())
        .build();
    for (int i = 0; i < 200; i++) {
      assertEquals(502, client.send(get(), BodyHandlers.ofString()).statusCode());
    }
    assertEquals(200 + client.retries(get()), origin.requests());
    assertTrue(client.retries(get()) <= 40, "retries " + client.retries(get()));
    assertTrue(client.retries(get()) >= 39, "the budget is spent: " + client.retries(get()));
    assertTrue(client.budgetExhausted(get()) >= 150);
  }

  @Test
  void asyncRetriesThenSucceeds() throws Exception {
    origin.behave(n -> n == 1 ? Origin.Action.status(503, Map.of()) : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    HttpResponse<String> r = client.sendAsync(get(), BodyHandlers.ofString())
        .get(5, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertEquals(2, origin.requests());
    assertEquals(1, client.count(get(), HeadroomHttpClient.Outcome.SUCCESS));
  }

  @Test
  void aHedgeAnswersWhenTheFirstAttemptIsSlow() throws Exception {
    origin.behave(n -> n == 1 ? Origin.Action.ok(3000) : Origin.Action.ok(0));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk)
        .retry(RetryPolicy.builder().hedgeAfter(Duration.ofMillis(100)).build()).build();
    long t0 = System.nanoTime();
    HttpResponse<String> r = client.send(get(), BodyHandlers.ofString());
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(200, r.statusCode());
    assertTrue(took >= 100 && took < 1500, "answered after " + took + " ms");
    assertEquals(1, client.hedges(get()));
    assertEquals(2, origin.requests());
  }

  @Test
  void aHedgeIsNotSentForAPost() throws Exception {
    origin.behave(n -> Origin.Action.ok(300));
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk)
        .retry(RetryPolicy.builder().hedgeAfter(Duration.ofMillis(50)).build()).build();
    HttpRequest post = HttpRequest.newBuilder(origin.uri("/pay"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    assertEquals(200, client.send(post, BodyHandlers.ofString()).statusCode());
    assertEquals(0, client.hedges(post));
    assertEquals(1, origin.requests());
  }

  @Test
  void theCacheServesAStaleAnswerMarkedStaleWhenTheOriginFails() throws Exception {
    ManualClock clock = new ManualClock();
    HeadroomCache<String, HttpResponse<String>> cache =
        HeadroomCache.<String, HttpResponse<String>>builder("answers")
            .ttl(Duration.ofSeconds(10)).ttlJitter(0).clock(clock).build();
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).retry(RetryPolicy.none())
        .build();
    CachedResponse<String> first = client.sendCached(get(), BodyHandlers.ofString(), cache);
    assertFalse(first.stale());
    assertEquals("status 200", first.response().body());
    origin.behave(n -> Origin.Action.status(500, Map.of()));
    clock.advance(Duration.ofSeconds(11));
    CachedResponse<String> second = client.sendCached(get(), BodyHandlers.ofString(), cache);
    assertTrue(second.stale());
    assertEquals("status 200", second.response().body());
    assertEquals(1, client.staleServed(get()));
    clock.advance(Duration.ofSeconds(30));
    HttpStatusException e = assertThrows(HttpStatusException.class,
        () -> client.sendCached(get(), BodyHandlers.ofString(), cache));
    assertEquals(500, e.status());
  }

  @Test
  void theRegistryIsBoundedAndSharesAnOverflowGuard() throws Exception {
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).maxDependencies(1).build();
    HttpRequest a = get();
    HttpRequest b = HttpRequest.newBuilder(
        URI.create(a.uri().toString().replace("127.0.0.1", "localhost"))).build();
    assertEquals(200, client.send(a, BodyHandlers.ofString()).statusCode());
    assertEquals(200, client.send(b, BodyHandlers.ofString()).statusCode());
    assertEquals(1, client.overflowed());
    assertEquals(HeadroomHttpClient.OVERFLOW, client.guardFor(b).name());
    assertEquals("127.0.0.1:" + a.uri().getPort(), client.guardFor(a).name());
  }

  @Test
  void eachNewDependencyIsAnnouncedOnceAndListedWithItsGuard() throws Exception {
    List<String> announced = new CopyOnWriteArrayList<>();
    RetryPolicy retry = RetryPolicy.builder().maxAttempts(2).build();
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).maxDependencies(1).retry(retry)
        .onNewDependency(announced::add).build();
    HttpRequest a = get();
    HttpRequest b = HttpRequest.newBuilder(
        URI.create(a.uri().toString().replace("127.0.0.1", "localhost"))).build();
    assertTrue(client.guards().isEmpty());
    for (int i = 0; i < 3; i++) {
      assertEquals(200, client.send(a, BodyHandlers.ofString()).statusCode());
      assertEquals(200, client.send(b, BodyHandlers.ofString()).statusCode());
    }
    String origin = "127.0.0.1:" + a.uri().getPort();
    assertEquals(List.of(origin, HeadroomHttpClient.OVERFLOW), announced);
    assertEquals(List.of(origin, HeadroomHttpClient.OVERFLOW),
        List.copyOf(client.guards().keySet()));
    assertSame(client.guardFor(a), client.guards().get(origin));
    assertEquals(1, client.maxDependencies());
    assertSame(retry, client.retryPolicy());
  }

  @Test
  void theListenerMustBeGiven() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HeadroomHttpClient.builder(jdk).onNewDependency(null));
    assertEquals("onNewDependency must be non-null (was null)", e.getMessage());
  }

  @Test
  void metersDescribeEachDependency() throws Exception {
    HeadroomHttpClient client = HeadroomHttpClient.builder(jdk).build();
    client.send(get(), BodyHandlers.ofString());
    Map<String, Double> values = new HashMap<>();
    client.describeMeters(new MeterSink() {
      @Override
      public void counter(MeterId id, LongSupplier count) {
        values.put(key(id), (double) count.getAsLong());
      }

      @Override
      public void gauge(MeterId id, DoubleSupplier value) {
        values.put(key(id), value.getAsDouble());
      }

      @Override
      public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
        values.put(key(id), (double) count.getAsLong());
      }

      private String key(MeterId id) {
        String outcome = id.tagValue("outcome");
        String kind = id.tagValue("kind");
        return id.name() + (outcome != null ? "/" + outcome : "")
            + (kind != null ? "/" + kind : "");
      }
    });
    assertEquals(1.0, values.get("headroom.http.client.calls/success"));
    assertEquals(1.0, values.get("headroom.http.client.latency"));
    assertEquals(0.0, values.get("headroom.http.client.retries"));
    assertEquals(0.0, values.get("headroom.http.client.retry_after/too_long"));
    assertTrue(values.get("headroom.guard.deadline") > 0);
    assertTrue(values.containsKey("headroom.http.retry_budget.available"));
  }

  @Test
  void badSettingsNameFieldValueAndRange() {
    assertEquals("maxAttempts must be in [1, 10] (was 0)", assertThrows(
        IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(0))
        .getMessage());
    assertEquals("baseBackoff must be <= maxBackoff (PT0.1S) (was PT1S)", assertThrows(
        IllegalArgumentException.class, () -> RetryPolicy.builder()
            .baseBackoff(Duration.ofSeconds(1)).maxBackoff(Duration.ofMillis(100)).build())
        .getMessage());
    assertEquals("request.method must be GET (was \"POST\")", assertThrows(
        IllegalArgumentException.class, () -> HeadroomHttpClient.builder(jdk).build()
            .sendCached(HttpRequest.newBuilder(origin.uri("/")).POST(
                HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString(),
                HeadroomCache.<String, HttpResponse<String>>builder("c")
                    .ttl(Duration.ofSeconds(1)).build())).getMessage());
    BreakerConfig.defaults();
  }
}
