package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The eligibility cascade, replayed in real time on loopback: a 20 ms origin turns to 800 ms
 * with 30% of requests hanging, then recovers; 200 blocking callers paced at 400 req/s in
 * total. The client at its defaults is compared, phase by phase, with a bare
 * {@link HttpClient} that has a fixed 1.5 s request timeout.
 */
class CascadeTest {

  static final int CALLERS = 200;
  static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500); // 200 x 2/s = 400 req/s
  static final long HEALTHY_MS = 3000;
  static final long SICK_MS = 5000;
  static final long RECOVERED_MS = 5000;
  static final int SECONDS = (int) ((HEALTHY_MS + SICK_MS + RECOVERED_MS) / 1000);

  interface Caller {
    boolean call(HttpRequest request) throws Exception;
  }

  /** Counts by the second in which each call started. */
  static final class Run {
    final AtomicLongArray attempts = new AtomicLongArray(SECONDS + 1);
    final AtomicLongArray successes = new AtomicLongArray(SECONDS + 1);
    final AtomicLongArray maxLatencyMs = new AtomicLongArray(SECONDS + 1);
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlightSick = new AtomicInteger();

    long sum(AtomicLongArray a, long fromMs, long toMs) {
      long n = 0;
      for (int s = (int) (fromMs / 1000); s < toMs / 1000; s++) {
        n += a.get(s);
      }
      return n;
    }

    double ratio(long fromMs, long toMs) {
      return sum(successes, fromMs, toMs) / (double) Math.max(1, sum(attempts, fromMs, toMs));
    }

    long maxLatency(long fromMs, long toMs) {
      long m = 0;
      for (int s = (int) (fromMs / 1000); s < toMs / 1000; s++) {
        m = Math.max(m, maxLatencyMs.get(s));
      }
      return m;
    }
  }

  static Run drive(Origin origin, Caller caller) throws Exception {
    SplittableRandom random = new SplittableRandom(14);
    double[] draws = new double[1 << 16];
    for (int i = 0; i < draws.length; i++) {
      draws[i] = random.nextDouble();
    }
    AtomicInteger draw = new AtomicInteger();
    long t0 = System.nanoTime();
    long sickFrom = TimeUnit.MILLISECONDS.toNanos(HEALTHY_MS);
    long sickTo = TimeUnit.MILLISECONDS.toNanos(HEALTHY_MS + SICK_MS);
    origin.behave(n -> {
      long at = System.nanoTime() - t0;
      if (at >= sickFrom && at < sickTo) {
        return draws[draw.getAndIncrement() & (draws.length - 1)] < 0.3
            ? Origin.Action.hanging() : Origin.Action.ok(800);
      }
      return Origin.Action.ok(20);
    });
    Run run = new Run();
    HttpRequest request = HttpRequest.newBuilder(origin.uri("/eligibility")).GET().build();
    long end = t0 + TimeUnit.SECONDS.toNanos(SECONDS);
    CountDownLatch done = new CountDownLatch(CALLERS);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      long first = t0 + i * (PACE_NANOS / CALLERS);
      Thread t = new Thread(() -> {
        try {
          long next = first;
          while (true) {
            long now = System.nanoTime();
            if (next - now > 0) {
              LockSupport.parkNanos(next - now); // the load generator's pacing
              continue;
            }
            if (now - end >= 0) {
              return;
            }
            int second = (int) ((now - t0) / 1_000_000_000L);
            run.attempts.incrementAndGet(second);
            int in = run.inFlight.incrementAndGet();
            if (now - t0 >= sickFrom && now - t0 < sickTo) {
              run.maxInFlightSick.accumulateAndGet(in, Math::max);
            }
            boolean ok;
            try {
              ok = caller.call(request);
            } catch (Exception e) {
              ok = false;
            } finally {
              run.inFlight.decrementAndGet();
            }
            long latencyMs = (System.nanoTime() - now) / 1_000_000L;
            if (ok) {
              run.successes.incrementAndGet(second);
            }
            int sec = second;
            run.maxLatencyMs.accumulateAndGet(sec, latencyMs, Math::max);
            next += PACE_NANOS;
            long after = System.nanoTime();
            if (next - after < 0) {
              next = after; // behind: no burst to catch up
            }
          }
        } finally {
          done.countDown();
        }
      }, "caller-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    // Release the hung exchanges when the sick phase ends (the origin recovers).
    LockSupport.parkNanos(t0 + sickTo - System.nanoTime());
    origin.releaseHangs();
    assertTrue(done.await(SECONDS + 10, TimeUnit.SECONDS), "callers finished");
    origin.releaseHangs();
    return run;
  }

  @Test
  void theClientAtDefaultsBoundsTheCascadeAndRecovers() throws Exception {
    Run bare;
    try (Origin origin = new Origin()) {
      HttpClient jdk = HttpClient.newHttpClient();
      bare = drive(origin, request -> {
        HttpRequest timed = HttpRequest.newBuilder(request, (n, v) -> true)
            .timeout(Duration.ofMillis(1500)).build();
        return jdk.send(timed, BodyHandlers.discarding()).statusCode() == 200;
      });
    }
    Run headroom;
    HeadroomHttpClient client;
    try (Origin origin = new Origin()) {
      port = origin.uri("/").getPort();
      client = HeadroomHttpClient.builder(HttpClient.newHttpClient()).build();
      headroom = drive(origin, request -> {
        HttpResponse<Void> r = client.send(request, BodyHandlers.discarding());
        return r.statusCode() == 200;
      });
    }
    long a = HEALTHY_MS;
    long b = HEALTHY_MS + SICK_MS;
    long c = b + RECOVERED_MS;
    StringBuilder table = new StringBuilder(
        "phase      | bare ok | bare max ms | headroom ok | headroom max ms\n");
    row(table, "healthy", bare, headroom, 0, a);
    row(table, "sick", bare, headroom, a, b);
    row(table, "recovered", bare, headroom, b, c);
    table.append("in flight during sick: bare ").append(bare.maxInFlightSick.get())
        .append(", headroom ").append(headroom.maxInFlightSick.get()).append('\n');
    for (int s = (int) (a / 1000); s < b / 1000; s++) {
      table.append("sick second ").append(s).append(": bare ")
          .append(String.format("%.4f", bare.successes.get(s)
              / (double) Math.max(1, bare.attempts.get(s))))
          .append(", headroom ").append(String.format("%.4f", headroom.successes.get(s)
              / (double) Math.max(1, headroom.attempts.get(s)))).append('\n');
    }
    for (int s = (int) (b / 1000); s < c / 1000; s++) {
      table.append("recovered second ").append(s).append(": ")
          .append(String.format("%.4f", headroom.successes.get(s)
              / (double) Math.max(1, headroom.attempts.get(s)))).append('\n');
    }
    HttpRequest any = HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port + "/")).build();
    table.append("headroom outcomes:");
    for (HeadroomHttpClient.Outcome o : HeadroomHttpClient.Outcome.values()) {
      table.append(' ').append(o.tag()).append(' ').append(client.count(any, o));
    }
    table.append(", retries ").append(client.retries(any)).append(", budget exhausted ")
        .append(client.budgetExhausted(any)).append(", guard ").append(client.guardFor(any))
        .append('\n');
    System.out.println(table);
    // Healthy: the defaults cost nothing.
    assertTrue(headroom.ratio(0, a) >= 0.99, table.toString());
    // Sick: every call ends within its attempts' deadlines (3 x the 2 s ceiling plus back-off),
    // never the 30 s of the incident, and most still succeed.
    assertTrue(headroom.maxLatency(a, b) <= 3 * 2000 + 2 * 1000 + 500, table.toString());
    assertTrue(headroom.ratio(a, b) >= 0.6, table.toString());
    // Never worse than the bare 1.5 s deadline in any phase (half a percent for one call's
    // real-time noise).
    assertTrue(headroom.ratio(0, a) >= bare.ratio(0, a) - 0.005, table.toString());
    assertTrue(headroom.ratio(a, b) >= bare.ratio(a, b) - 0.005, table.toString());
    assertTrue(headroom.ratio(b, c) >= bare.ratio(b, c) - 0.005, table.toString());
    // Recovered: >= 99.5% from the second second on, in every second (no relapse).
    for (int s = (int) (b / 1000) + 1; s < c / 1000; s++) {
      double ok = headroom.successes.get(s) / (double) Math.max(1, headroom.attempts.get(s));
      assertTrue(ok >= 0.995, "second " + s + ": " + ok + "\n" + table);
    }
    assertTrue(client.guardFor(HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port + "/")).build()).breaker().state()
        == dev.headroom.breaker.BreakerState.CLOSED, "30% hangs do not open the breaker");
  }

  static int port;

  private static void row(StringBuilder t, String name, Run bare, Run headroom, long from,
      long to) {
    t.append(String.format("%-10s | %.4f (%d) | %d | %.4f (%d) | %d%n", name,
        bare.ratio(from, to), bare.sum(bare.attempts, from, to), bare.maxLatency(from, to),
        headroom.ratio(from, to), headroom.sum(headroom.attempts, from, to),
        headroom.maxLatency(from, to)));
  }
}
