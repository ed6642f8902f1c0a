package dev.headroom.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The real Redis on 127.0.0.1:6379 for one test class: a client, connections that it closes,
 * and a random namespace that prefixes every key the test makes, deleted at the end. Fails
 * loudly (never skips) when Redis does not answer.
 */
final class RedisFixture implements AutoCloseable {

  static final String HOST = "127.0.0.1";
  static final int PORT = 6379;

  final String namespace = "headroom-redis-test-" + UUID.randomUUID().toString().substring(0, 8);
  final RedisClient client;
  private final List<StatefulRedisConnection<String, byte[]>> connections = new ArrayList<>();
  private final StatefulRedisConnection<String, String> admin;

  RedisFixture() {
    client = RedisClient.create(RedisURI.builder().withHost(HOST).withPort(PORT)
        .withTimeout(Duration.ofSeconds(5)).build());
    try {
      admin = client.connect();
      String pong = admin.sync().ping();
      if (!"PONG".equals(pong)) {
        throw new IllegalStateException("Redis answered " + pong);
      }
    } catch (RuntimeException e) {
      client.shutdown();
      throw new IllegalStateException("These tests need Redis on " + HOST + ":" + PORT
          + " (start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379"
          + " --save \"\" --appendonly no)", e);
    }
  }

  /** A new connection with String keys and byte[] values, as the fleet tier takes them. */
  synchronized StatefulRedisConnection<String, byte[]> connect() {
    StatefulRedisConnection<String, byte[]> c =
        client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    connections.add(c);
    return c;
  }

  /** The test's own plain connection, for setup, checks and CLIENT PAUSE. */
  StatefulRedisConnection<String, String> admin() {
    return admin;
  }

  /** Every key of this test's namespace. */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = admin.sync().scan(cursor,
          ScanArgs.Builder.matches("*" + namespace + "*").limit(1000));
      keys.addAll(page.getKeys());
      cursor = page;
    } while (!cursor.isFinished());
    return keys;
  }

  @Override
  public synchronized void close() {
    try {
      List<String> keys = keys();
      if (!keys.isEmpty()) {
        admin.sync().del(keys.toArray(new String[0]));
      }
    } finally {
      for (StatefulRedisConnection<String, byte[]> c : connections) {
        c.close();
      }
      admin.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
