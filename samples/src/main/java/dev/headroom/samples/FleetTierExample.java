package dev.headroom.samples;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import dev.headroom.redis.FleetRateLimit;
import dev.headroom.redis.LeasedLoadPath;
import dev.headroom.redis.PodLedger;
import dev.headroom.redis.ValueCodec;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The README's fleet tier example: the tax-credit cache of every pod shares one lease per key
 * and one rate limit of 500 calls per second on Redis, and each pod heartbeats into a live pod
 * ledger. Run it against a local Redis ({@code 127.0.0.1:6379}); it simulates three pods in one
 * JVM, each with its own connection, and prints how often the API was really called.
 */
public final class FleetTierExample {

  private FleetTierExample() {}

  /** One pod's part of the fleet tier. */
  record Pod(HeadroomCache<String, String> credits, Function<String, String> loader,
      PodLedger ledger) {}

  static Pod pod(RedisClient client, String name, Function<String, String> api) {
    // tag::fleet[]
    StatefulRedisConnection<String, byte[]> redis =
        client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));

    // One lease per key for the whole fleet: one pod loads, the others take its value.
    HeadroomCache<String, String> credits = HeadroomCache.<String, String>builder("tax-credit")
        .ttl(Duration.ofSeconds(60))
        .loadPath(LeasedLoadPath.<String, String>builder(redis, ValueCodec.string()).build())
        .build();

    // The live pod ledger: exact live count, meant to drive the pool budget's pod count.
    PodLedger ledger = PodLedger.builder(redis).namespace("orders-db").build();
    ledger.addListener(pods -> System.out.println(name + " sees " + pods + " live pods"));

    // One limit for every pod's calls to the API; while Redis is down, each pod its share.
    FleetRateLimit taxApi = FleetRateLimit.builder("tax-credit-api", redis)
        .limit(500, Duration.ofSeconds(1))
        .podCount(() -> ledger.liveCount().orElse(20))
        .build();
    Function<String, String> loader = taxApi.guard(api, Duration.ofMillis(200));
    // end::fleet[]

    new HeadroomMeterBinder(credits, taxApi, ledger).bindTo(new SimpleMeterRegistry());
    return new Pod(credits, loader, ledger);
  }

  /**
   * Reads 200 members from three pods and prints the API's calls.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    AtomicInteger calls = new AtomicInteger();
    Function<String, String> api = member -> "credit-of-" + member + "#" + calls.incrementAndGet();
    RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
    try {
      Pod[] pods = {pod(client, "pod-a", api), pod(client, "pod-b", api),
          pod(client, "pod-c", api)};
      for (int i = 0; i < 600; i++) {
        Pod pod = pods[i % pods.length];
        pod.credits().get("member-" + (i % 200), pod.loader());
      }
      System.out.println("600 reads from 3 pods, API calls " + calls.get());
      for (Pod pod : pods) {
        pod.ledger().close();
      }
    } finally {
      client.shutdown();
    }
  }
}
