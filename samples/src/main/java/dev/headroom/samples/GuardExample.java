package dev.headroom.samples;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LimitPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * The README's guard example: one call path per dependency, sync with and without a fallback,
 * and asynchronous with the deadline enforced. The dependency here is an in-memory stand-in
 * that honours the timeout it is given, as a JDBC statement or an HTTP client would.
 */
public final class GuardExample {

  private GuardExample() {}

  /** An order, or a placeholder when the store could not be asked. */
  record Order(long id, String status) {
    static Order unknown(long id) {
      return new Order(id, "unknown");
    }
  }

  /** The dependency: answers in {@code latency}, fails past the timeout it is given. */
  static final class OrdersDao {
    private final Duration latency;

    OrdersDao(Duration latency) {
      this.latency = latency;
    }

    Order find(long id, Duration timeout) throws TimeoutException {
      if (latency.compareTo(timeout) > 0) {
        throw new TimeoutException("orders query over " + timeout.toMillis() + " ms");
      }
      return new Order(id, "shipped");
    }

    CompletionStage<Order> findAsync(long id) {
      return CompletableFuture.supplyAsync(() -> new Order(id, "shipped"));
    }
  }

  /**
   * Runs the three call styles and prints their results.
   *
   * @param args unused
   * @throws Exception if the sync call without a fallback fails
   */
  public static void main(String[] args) throws Exception {
    OrdersDao dao = new OrdersDao(Duration.ofMillis(5));
    OrdersDao slowDao = new OrdersDao(Duration.ofSeconds(30));
    long id = 42;

    // tag::guard[]
    Guard orders = Guard.builder("orders-db")
        .breaker(BreakerConfig.defaults())
        .limit(LimitPolicy.gradient().build())
        .deadline(DeadlinePolicy.adaptive().build())   // p99.9 of recent successes x 1.1, in [10 ms, 10 s]
        .build();
    Order o = orders.call(timeout -> dao.find(id, timeout));                           // sync; pass the timeout on
    Order p = orders.call(timeout -> slowDao.find(id, timeout), e -> Order.unknown(id)); // fallback, also on refusals
    CompletionStage<Order> s = orders.stage(timeout -> dao.findAsync(id));             // deadline enforced, inner future cancelled
    // end::guard[]
    System.out.println(o.status() + " " + p.status() + " "
        + s.toCompletableFuture().get().status());
  }
}
