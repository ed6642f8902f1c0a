package dev.headroom.samples;

import com.sun.net.httpserver.HttpServer;
import dev.headroom.cache.HeadroomCache;
import dev.headroom.core.NanoClock;
import dev.headroom.http.CachedResponse;
import dev.headroom.http.HeadroomHttpClient;
import dev.headroom.http.RetryAfter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tax-credit call of the incident, wired through {@link HeadroomHttpClient}: the plan-options
 * endpoint fans out to an external API that allows a fixed number of calls per second and answers
 * {@code 429} with {@code Retry-After: 1} beyond it. The client waits what the API asked before
 * it retries (within the retry budget), concurrent requests for one member share one call through
 * the cache, and when the API fails outright the last answer is served, marked stale.
 *
 * <p>Two phases, on a real JDK {@link HttpServer} on loopback: the fan-out ({@code requests}
 * lookups for {@code members} members from 64 threads, the API limited to
 * {@code limitPerSecond}), then an outage (the API answers 503 to everything, the cache's clock
 * is moved a minute on so that every entry is past its TTL, and the same lookups are served
 * stale). Runs in about two seconds.
 */
public final class TaxCreditClientExample {

  private TaxCreditClientExample() {}

  /**
   * What a run saw.
   *
   * @param requests lookups made, both phases
   * @param failures lookups that got an exception instead of an answer
   * @param staleServed lookups answered from the stale window
   * @param apiCalls requests that reached the API, 429s and 503s included
   * @param tooManyRequests requests the API answered with 429
   * @param retryAfterHonoured retries that waited the API's {@code Retry-After}
   */
  public record Result(long requests, long failures, long staleServed, long apiCalls,
      long tooManyRequests, long retryAfterHonoured) {}

  /** The external API: one credit per member, at most {@code limit} calls per second. */
  static final class TaxCreditApi implements AutoCloseable {
    private final HttpServer server;
    private final int limit;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicBoolean down = new AtomicBoolean();

    TaxCreditApi(int limit) throws IOException {
      this.limit = limit;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(Executors.newFixedThreadPool(8));
      server.createContext("/credits/", exchange -> {
        calls.incrementAndGet();
        String member = exchange.getRequestURI().getPath().substring("/credits/".length());
        byte[] body;
        int status;
        if (down.get()) {
          status = 503;
          body = "down".getBytes(StandardCharsets.UTF_8);
        } else if (!admit()) {
          refused.incrementAndGet();
          status = 429;
          body = "too many requests".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Retry-After", "1");
        } else {
          status = 200;
          long cents = 120_000 + Math.floorMod(member.hashCode(), 10_000);
          body = ("{\"member\":\"" + member + "\",\"cents\":" + cents + "}")
              .getBytes(StandardCharsets.UTF_8);
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
    }

    private boolean admit() {
      long now = System.nanoTime();
      long start = windowStart.get();
      if (now - start >= 1_000_000_000L && windowStart.compareAndSet(start, now)) {
        inWindow.set(0);
      }
      return inWindow.incrementAndGet() <= limit;
    }

    URI uri(String member) {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/credits/"
          + member);
    }

    @Override
    public void close() {
      server.stop(0);
      ((ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  /**
   * Runs both phases and reports what happened.
   *
   * @param requests lookups per phase
   * @param members distinct members
   * @param limitPerSecond the API's rate limit
   * @return the counts
   * @throws Exception if the server cannot start or a worker is interrupted
   */
  public static Result run(int requests, int members, int limitPerSecond) throws Exception {
    // The JDK server writes headers and body apart; without TCP_NODELAY each answer waits for
    // the client's delayed ACK (about 40 ms on Linux), which would pace the demo, not the API.
    // Read once, when the first server starts in this JVM.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try (TaxCreditApi api = new TaxCreditApi(limitPerSecond)) {
      // Timed loads (a loader timeout is set) and early refreshes run here: size it to the
      // loads you allow at once, since a load waiting out a Retry-After holds its thread.
      ExecutorService loaders = Executors.newFixedThreadPool(16);
      ExecutorService callers = Executors.newFixedThreadPool(64);
      try {
        // Plain HTTP/1.1 on loopback: no h2c upgrade attempt ahead of the first requests.
        // tag::client[]
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HeadroomHttpClient client = HeadroomHttpClient.builder(http)
            .build(); // per-host guard, adaptive deadline, retries within a 20% budget
        // end::client[]
        // The cache reads this clock so that the demo can move it past the TTL at once.
        AtomicLong skew = new AtomicLong();
        HeadroomCache<String, HttpResponse<String>> credits =
            HeadroomCache.<String, HttpResponse<String>>builder("tax-credit")
                .ttl(Duration.ofSeconds(60))           // the TTL that cut the API's calls by 91%
                .staleIfError(Duration.ofMinutes(5))   // serve the last answer while the API fails
                .loaderTimeout(Duration.ofSeconds(5))  // room for two waits of Retry-After: 1
                .maximumSize(100_000)
                .refreshExecutor(loaders)
                .clock(NanoClock.of(() -> System.nanoTime() + skew.get()))
                .build();

        AtomicLong failures = new AtomicLong();
        AtomicLong stale = new AtomicLong();
        for (int round = 0; round < 2; round++) {
          if (round == 1) {
            api.down.set(true);
            skew.addAndGet(Duration.ofSeconds(61).toNanos()); // every entry is past its TTL
          }
          List<Future<?>> work = new ArrayList<>();
          for (int i = 0; i < requests; i++) {
            String member = "member-" + (i % members);
            work.add(callers.submit(() -> {
              HttpRequest get = HttpRequest.newBuilder(api.uri(member)).GET().build();
              try {
                // tag::send[]
                CachedResponse<String> c = client.sendCached(get, BodyHandlers.ofString(), credits);
                // end::send[]
                if (c.response().statusCode() != 200) {
                  failures.incrementAndGet();
                } else if (c.stale()) {
                  stale.incrementAndGet();
                }
              } catch (IOException | RuntimeException e) {
                failures.incrementAndGet();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.incrementAndGet();
              }
            }));
          }
          for (Future<?> f : work) {
            f.get();
          }
        }
        HttpRequest any = HttpRequest.newBuilder(api.uri("member-0")).build();
        return new Result(2L * requests, failures.get(), stale.get(), api.calls.get(),
            api.refused.get(), client.retryAfter(any, RetryAfter.Kind.VALID));
      } finally {
        callers.shutdownNow();
        loaders.shutdownNow();
      }
    }
  }

  /**
   * Runs the example with 3,000 lookups per phase for 100 members against an API that allows
   * 40 calls per second, and prints what the API saw.
   *
   * @param args ignored
   * @throws Exception if the run fails
   */
  public static void main(String[] args) throws Exception {
    Result r = run(3_000, 100, 40);
    System.out.println(r);
  }
}
