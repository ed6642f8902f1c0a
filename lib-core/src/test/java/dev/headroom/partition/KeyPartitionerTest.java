package dev.headroom.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.RecordingMeterSink;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyPartitionerTest {

  private final ManualClock clock = new ManualClock();

  private KeyPartitionerConfig.Builder config(int partitions) {
    return KeyPartitionerConfig.builder().name("events").partitions(partitions).clock(clock)
        .sampleEvery(1);
  }

  /** Sends {@code n} records: one in {@code hotEvery} of key hot, the rest spread over many keys. */
  private static void send(KeyPartitioner p, KeyHasher h, int n, int hotEvery, String hot,
      boolean hotOrdered, Random random) {
    for (int i = 0; i < n; i++) {
      if (i % hotEvery == 0) {
        p.partition(h.reset().putString(hot).putString("ENROLL"), hotOrdered);
      } else {
        p.partition(h.reset().putString("m-" + random.nextInt(100_000)).putString("ENROLL"),
            true);
      }
    }
  }

  @Test
  void coldKeysGoToTheirHomePartitionInBothModes() {
    for (HashMode mode : HashMode.values()) {
      KeyPartitioner p = KeyPartitioner.create(config(12).hashMode(mode).spreading(true).build());
      KeyHasher h = KeyHasher.create(mode);
      for (int i = 0; i < 500; i++) {
        h.reset().putString("m-" + i).putLong(i);
        int home = h.partition(12);
        assertEquals(home, p.partition(h, false));
      }
      PartitionInvariants.assertCountsConsistent(p, 500);
      assertEquals(0, p.hotKeyCount());
    }
  }

  @Test
  void aKeyAboveTheThresholdIsReportedHotWithItsFieldsAndShare() {
    KeyPartitioner p = KeyPartitioner.create(config(12).hotKeyThreshold(0.05).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    send(p, h, 5_000, 5, "plan-PPO-1", true, new Random(1));
    List<HotKey> hot = p.hotKeys();
    assertEquals(1, hot.size(), hot.toString());
    HotKey key = hot.get(0);
    assertEquals(CompositeKey.of("plan-PPO-1", "ENROLL"), key.key());
    assertTrue(key.share() > 0.15 && key.share() < 0.25, "share " + key.share());
    long hash = h.reset().putString("plan-PPO-1").putString("ENROLL").hash();
    assertEquals(hash, key.hash());
    assertTrue(p.isHot(hash));
    assertEquals(h.partition(12), key.homePartition());
    assertEquals(List.of(key.homePartition()), key.partitions(), "spreading is off");
  }

  @Test
  void aHotKeyThatRequiresOrderingIsNeverSpread() {
    KeyPartitioner p = KeyPartitioner.create(config(12).spreading(true).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    send(p, h, 10_000, 3, "plan-PPO-1", true, new Random(2));
    assertEquals(1, p.hotKeyCount());
    int home = h.reset().putString("plan-PPO-1").putString("ENROLL").partition(12);
    for (int i = 0; i < 1000; i++) {
      assertEquals(home, p.partition(h, true));
    }
    assertEquals(0, p.spreadCount());
    assertTrue(p.skew() > 3.0, "the hot ordered key keeps its partition hot: " + p.skew());
  }

  @Test
  void aHotUnorderedKeyIsSpreadOverItsFanoutAndTheLoadEvensOut() {
    KeyPartitioner p = KeyPartitioner.create(config(12).spreading(true).fanout(12).choices(12)
        .build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    send(p, h, 60_000, 4, "bulk-sync", false, new Random(3));
    assertEquals(1, p.hotKeyCount(), () -> p.hotKeys().toString());
    HotKey hot = p.hotKeys().get(0);
    // A quarter of the traffic: ceil(2 x 0.25 x 12) = 6 partitions, distinct.
    assertEquals(6, new HashSet<>(hot.partitions()).size(), hot.toString());
    assertTrue(p.spreadCount() > 10_000, "spread " + p.spreadCount());
    assertTrue(p.skew() < 1.2, "skew " + p.skew());
    assertTrue(p.recentSkew() < 1.2, "recent skew " + p.recentSkew());
    PartitionInvariants.assertCountsConsistent(p, 60_000);
  }

  @Test
  void aSpreadKeyUsesOnlyItsCandidatePartitions() {
    KeyPartitioner p = KeyPartitioner.create(config(12).spreading(true).fanout(3).build());
    KeyHasher h = KeyHasher.create(HashMode.FAST);
    KeyPartitioner fast = KeyPartitioner.create(config(12).spreading(true).fanout(3)
        .hashMode(HashMode.FAST).build());
    send(fast, h, 5_000, 2, "bulk-sync", false, new Random(4));
    HotKey hot = fast.hotKeys().get(0);
    assertEquals(3, hot.partitions().size(), "fanout caps a key with half the traffic");
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      List<Integer> allowed = fast.hotKeys().get(0).partitions();
      int chosen = fast.partition(h.reset().putString("bulk-sync").putString("ENROLL"), false);
      assertTrue(allowed.contains(chosen), chosen + " not in " + allowed);
      used.add(chosen);
    }
    assertTrue(used.size() >= 3, "used " + used);
    assertEquals(0, p.totalSends());
  }

  @Test
  void aKeyStopsBeingHotWhenItsTrafficFadesOverTheWindow() {
    KeyPartitioner p = KeyPartitioner.create(config(12).window(Duration.ofSeconds(1))
        .hotKeyThreshold(0.02).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    Random random = new Random(5);
    send(p, h, 5_000, 4, "plan-PPO-1", true, random);
    assertEquals(1, p.hotKeyCount());
    for (int step = 0; step < 5; step++) {
      clock.advance(Duration.ofSeconds(1));
      send(p, h, 5_000, 1_000_000, "never", true, random);
      // i == 0 sends "never" once per step: a cold key.
    }
    assertEquals(0, p.hotKeyCount(), p.hotKeys().toString());
    assertFalse(p.isHot(h.reset().putString("plan-PPO-1").putString("ENROLL").hash()));
  }

  @Test
  void aQuietTopicReportsNoHotKeys() {
    KeyPartitioner p = KeyPartitioner.create(config(4).hotKeyThreshold(0.5).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    for (int i = 0; i < 7; i++) { // below 4 / 0.5 = 8 samples
      p.partition(h.reset().putString("only-key"), false);
    }
    assertEquals(0, p.hotKeyCount());
    p.partition(h.reset().putString("only-key"), false);
    assertEquals(1, p.hotKeyCount());
  }

  @Test
  void metricsReadTheSameStateAsTheGetters() {
    KeyPartitioner p = KeyPartitioner.create(config(3).spreading(true).fanout(3)
        .hotKeyThreshold(0.1).build());
    KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
    send(p, h, 3_000, 2, "hot", false, new Random(6));
    RecordingMeterSink sink = new RecordingMeterSink();
    p.describeMeters(sink);
    for (int i = 0; i < 3; i++) {
      assertEquals(p.sends(i), sink.value("headroom.partition.sends", "name", "events",
          "partition", Integer.toString(i)));
    }
    assertEquals(p.spreadCount(), sink.value("headroom.partition.spread", "name", "events"));
    assertEquals(1.0, sink.value("headroom.partition.hot_keys", "name", "events"));
    assertEquals(p.skew(), sink.value("headroom.partition.skew", "name", "events"), 1e-9);
    assertEquals(p.recentSkew(), sink.value("headroom.partition.recent_skew", "name", "events"),
        1e-9);
  }

  @Test
  void concurrentSendsAreAllCountedExactly() throws Exception {
    KeyPartitioner p = KeyPartitioner.create(KeyPartitionerConfig.builder().name("hammer")
        .partitions(8).spreading(true).sampleEvery(2).build());
    int threads = 4;
    int perThread = 50_000;
    CountDownLatch start = new CountDownLatch(1);
    Thread[] workers = new Thread[threads];
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < threads; t++) {
      int seed = t;
      workers[t] = new Thread(() -> {
        try {
          start.await();
          KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
          Random random = new Random(seed);
          for (int i = 0; i < perThread; i++) {
            boolean hot = i % 3 == 0;
            h.reset().putString(hot ? "hot" : "k" + random.nextInt(10_000));
            int partition = p.partition(h, !hot);
            if (partition < 0 || partition >= 8) {
              throw new AssertionError("partition " + partition);
            }
          }
        } catch (Throwable e) {
          synchronized (failure) {
            failure[0] = e;
          }
        }
      });
      workers[t].start();
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(TimeUnit.SECONDS.toMillis(60));
    }
    synchronized (failure) {
      if (failure[0] != null) {
        throw new AssertionError(failure[0]);
      }
    }
    PartitionInvariants.assertCountsConsistent(p, (long) threads * perThread);
    assertEquals(1, p.hotKeyCount());
  }

  /**
   * The sketch is striped per sending thread: a key that only one thread sends, at a third of all
   * traffic, is found hot from that thread's stripe and confirmed against the sum of all
   * stripes; a key hot only within a thread that sends little is not reported.
   */
  @Test
  void aKeyHotInOneThreadsStripeIsJudgedOnEveryThreadsTraffic() throws Exception {
    KeyPartitioner p = KeyPartitioner.create(KeyPartitionerConfig.builder().name("stripes")
        .partitions(12).spreading(true).sampleEvery(1).hotKeyThreshold(0.05).build());
    Thread hot = new Thread(() -> {
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
      for (int i = 0; i < 30_000; i++) {
        p.partition(h.reset().putString("only-here"), false);
      }
    });
    Thread quiet = new Thread(() -> {
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
      for (int i = 0; i < 300; i++) { // 100% of its own stripe, 0.3% of the traffic
        p.partition(h.reset().putString("quiet-but-alone"), false);
      }
    });
    Thread cold = new Thread(() -> {
      KeyHasher h = KeyHasher.create(HashMode.KAFKA_COMPATIBLE);
      Random random = new Random(9);
      for (int i = 0; i < 60_000; i++) {
        p.partition(h.reset().putString("k" + random.nextInt(1_000_000)), true);
      }
    });
    cold.start();
    cold.join();
    quiet.start();
    quiet.join();
    hot.start();
    hot.join();
    assertTrue(p.isHot(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("only-here").hash()),
        p.hotKeys().toString());
    assertFalse(p.isHot(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("quiet-but-alone")
        .hash()), p.hotKeys().toString());
    PartitionInvariants.assertCountsConsistent(p, 90_300);
  }

  @Test
  void aHasherOfTheWrongModeIsRejected() {
    KeyPartitioner p = KeyPartitioner.create(config(3).build());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.partition(KeyHasher.create(HashMode.FAST).putString("a"), true));
    assertEquals("key.mode() must be the partitioner's hash mode KAFKA_COMPATIBLE (was FAST)",
        e.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> p.partition(null, true));
    assertEquals("key must be non-null (was null)", none.getMessage());
    assertThrows(IllegalStateException.class,
        () -> p.partition(KeyHasher.create(HashMode.KAFKA_COMPATIBLE), true));
    assertEquals(0, p.totalSends());
  }
}
