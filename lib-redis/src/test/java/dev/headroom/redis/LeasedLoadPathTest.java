package dev.headroom.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.headroom.cache.HeadroomCache;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lease path's builder, codecs across pods and meters, against the real Redis. */
class LeasedLoadPathTest {

  private final RedisFixture redis = new RedisFixture();

  @AfterEach
  void tearDown() {
    redis.close();
  }

  @Test
  void builderRejectsBadValuesWithTheSharedMessage() {
    assertEquals("codec must be non-null (was null)", assertThrows(
        IllegalArgumentException.class,
        () -> LeasedLoadPath.builder(redis.connect(), null)).getMessage());
    LeasedLoadPath.Builder<String, String> b =
        LeasedLoadPath.builder(redis.connect(), ValueCodec.string());
    assertEquals("leaseTime must be > 0 (was PT0S)", assertThrows(
        IllegalArgumentException.class, () -> b.leaseTime(Duration.ZERO)).getMessage());
    assertEquals("namespace must be non-blank (was \"\")", assertThrows(
        IllegalArgumentException.class, () -> b.namespace("")).getMessage());
    b.redisTimeout(Duration.ofMillis(50));
    assertEquals("redisTimeout was already set to PT0.05S", assertThrows(
        IllegalStateException.class, () -> b.redisTimeout(Duration.ofMillis(60))).getMessage());
  }

  @Test
  void aValueLoadedByOnePodIsTakenWithItsFreshnessByAnotherThroughTheCodec() {
    ValueCodec<Long> codec = ValueCodec.string().map(String::valueOf, Long::valueOf);
    LeasedLoadPath<Integer, Long> a = LeasedLoadPath.<Integer, Long>builder(redis.connect(), codec)
        .namespace(redis.namespace).build();
    LeasedLoadPath<Integer, Long> b = LeasedLoadPath.<Integer, Long>builder(redis.connect(), codec)
        .namespace(redis.namespace).build();
    HeadroomCache<Integer, Long> podA = HeadroomCache.<Integer, Long>builder("a")
        .ttl(Duration.ofSeconds(30)).loadPath(a).build();
    HeadroomCache<Integer, Long> podB = HeadroomCache.<Integer, Long>builder("b")
        .ttl(Duration.ofSeconds(30)).loadPath(b).build();
    assertEquals(42L, podA.get(7, k -> 42L));
    assertEquals(42L, podB.get(7, k -> -1L), "pod b took pod a's value");
    assertEquals(1, a.leasesWon());
    assertEquals(1, b.fetched());
    long ttl = redis.admin().sync().pttl(redis.namespace + ":v:7");
    assertEquals(true, ttl > 25_000 && ttl <= 30_000, "published with its freshness: " + ttl);
    RecordingMeterSink sink = new RecordingMeterSink();
    b.describeMeters(sink);
    assertEquals(1, sink.value("headroom.redis.lease.fetched", "name", redis.namespace));
    assertEquals(0, sink.value("headroom.redis.lease.fallbacks", "reason", "timeout"));
  }
}
