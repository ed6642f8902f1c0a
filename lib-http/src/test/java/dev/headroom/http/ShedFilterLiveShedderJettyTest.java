package dev.headroom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.shed.ShedReason;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ShedFilter} built on a {@link Supplier} in an embedded Jetty 12 (ee10): a shedder
 * replaced at run time admits from the next request on, and a request admitted by the old one
 * completes its permit there.
 */
class ShedFilterLiveShedderJettyTest {

  private Server server;
  private final LoadShedder small = LoadShedder.builder("api").limit(LimitPolicy.fixed(1))
      .build();
  private final LoadShedder large = LoadShedder.builder("api").limit(LimitPolicy.fixed(8))
      .build();
  private final AtomicReference<LoadShedder> current = new AtomicReference<>(small);
  private final PriorityRules rules = PriorityRules.builder().build();
  private final ShedFilter filter = new ShedFilter(current::get, rules);
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(1);
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private int port;

  @BeforeEach
  void start() throws Exception {
    server = new Server();
    ServletContextHandler context = Jetty.context();
    context.addServlet(new ServletHolder(Jetty.holding(entered, release, "held")), "/hold/*");
    context.addServlet(new ServletHolder(Jetty.answering("fast")), "/fast/*");
    context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
    port = Jetty.start(server, context);
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    server.stop();
  }

  private HttpRequest request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-Priority", "high").timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void aReplacedShedderAdmitsFromTheNextRequestAndTheOldOneKeepsItsPermits() throws Exception {
    CompletableFuture<HttpResponse<String>> held = client.sendAsync(request("/hold/1"),
        BodyHandlers.ofString());
    assertTrue(entered.await(5, TimeUnit.SECONDS), "one request in flight");
    assertSame(small, filter.shedder());
    assertEquals(1, small.inFlight());

    HttpResponse<String> refused = client.send(request("/fast/1"), BodyHandlers.ofString());
    assertEquals(429, refused.statusCode(), "limit 1 is full");
    assertEquals(1, small.rejected(Priority.HIGH, ShedReason.LIMIT));

    current.set(large);
    assertSame(large, filter.shedder());
    List<HttpResponse<String>> admitted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      admitted.add(client.send(request("/fast/" + i), BodyHandlers.ofString()));
    }
    for (HttpResponse<String> r : admitted) {
      assertEquals(200, r.statusCode(), "the larger limit admits");
      assertEquals("fast", r.body());
    }
    assertEquals(5, large.admitted(Priority.HIGH));
    assertEquals(1, small.admitted(Priority.HIGH), "nothing new went to the old shedder");

    release.countDown();
    assertEquals(200, held.get(5, TimeUnit.SECONDS).statusCode());
    assertTrue(waitFor(() -> small.inFlight() == 0), "the old permit completed on the old one");
    assertEquals(0, large.inFlight());
  }

  @Test
  void withASupplierOnlyTheFiltersOwnMeterIsDeclared() throws Exception {
    List<String> meters = new ArrayList<>();
    filter.describeMeters(new MeterSink() {
      @Override
      public void counter(MeterId id, LongSupplier count) {
        meters.add(id.name() + "{name=" + id.tagValue("name") + "}=" + count.getAsLong());
      }

      @Override
      public void gauge(MeterId id, DoubleSupplier value) {
        meters.add(id.name());
      }

      @Override
      public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
        meters.add(id.name());
      }
    });
    assertEquals(List.of("headroom.http.server.unknown_priority{name=api}=0"), meters);
  }

  @Test
  void theSupplierMustBeGiven() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ShedFilter((Supplier<LoadShedder>) null, rules));
    assertEquals("shedders must be non-null (was null)", e.getMessage());
  }

  private static boolean waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      Thread.sleep(5); // the server completes the permit after the client has its answer
    }
    return true;
  }
}
