package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * What must hold after a {@link ConsumerRunner} ran, shared by the unit tests and the
 * properties: dead letters carry their origin, partitions are handled in offset order, and the
 * idempotent test handler's memory of what it saw.
 */
final class RunnerInvariants {

  private RunnerInvariants() {}

  /** Counts deliveries per value and the order of first deliveries: the test handler. */
  static final class Deliveries {
    final Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
    final List<String> order = new CopyOnWriteArrayList<>();

    void record(ConsumerRecord<String, Integer> r) {
      AtomicInteger n = counts.computeIfAbsent(r.value(), v -> new AtomicInteger());
      if (n.incrementAndGet() == 1) {
        order.add(r.partition() + ":" + r.offset());
      }
    }

    Set<Integer> values() {
      return new HashSet<>(counts.keySet());
    }

    int duplicates() {
      return counts.values().stream().mapToInt(a -> a.get() - 1).sum();
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** A dead letter names its origin, why it died and after how many attempts. */
  static void assertDeadLetter(ConsumerRecord<byte[], byte[]> r, String topic, int partition,
      long offset, Class<? extends Throwable> error, String reason, int attempts) {
    assertEquals(topic, header(r, ConsumerRunner.HEADER_TOPIC));
    assertEquals(Integer.toString(partition), header(r, ConsumerRunner.HEADER_PARTITION));
    assertEquals(Long.toString(offset), header(r, ConsumerRunner.HEADER_OFFSET));
    assertEquals(error.getName(), header(r, ConsumerRunner.HEADER_EXCEPTION_CLASS));
    assertTrue(header(r, ConsumerRunner.HEADER_EXCEPTION_MESSAGE) != null);
    assertEquals(reason, header(r, ConsumerRunner.HEADER_REASON));
    assertEquals(Integer.toString(attempts), header(r, ConsumerRunner.HEADER_ATTEMPTS));
  }

  /** First deliveries of each partition come in strictly increasing offset order. */
  static void assertInOffsetOrder(List<String> order) {
    Map<Integer, Long> last = new HashMap<>();
    for (String s : order) {
      int colon = s.indexOf(':');
      int partition = Integer.parseInt(s.substring(0, colon));
      long offset = Long.parseLong(s.substring(colon + 1));
      Long before = last.put(partition, offset);
      assertTrue(before == null || before < offset,
          "partition " + partition + " went from " + before + " to " + offset + " in " + order);
    }
  }
}
