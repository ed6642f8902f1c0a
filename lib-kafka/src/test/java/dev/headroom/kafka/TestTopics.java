package dev.headroom.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/** Topic creation and producer settings that hold up on a loaded machine. */
final class TestTopics {

  private TestTopics() {}

  /**
   * Producer settings for tests that count records exactly. Right after a topic is created the
   * broker may answer NOT_LEADER_OR_FOLLOWER for a moment; an idempotent producer with five
   * batches in flight then got stuck for its whole delivery timeout (two minutes) retrying a
   * batch the broker kept refusing as out of order, seen on this machine under load. One
   * request in flight without idempotence retries in order and cannot reorder or duplicate on
   * a refusal.
   */
  static Map<String, Object> producerConfig(KafkaBroker broker) {
    Map<String, Object> p = broker.clientConfig();
    p.put("acks", "all");
    p.put("enable.idempotence", "false");
    p.put("max.in.flight.requests.per.connection", "1");
    p.put("linger.ms", "5");
    return p;
  }

  /** Creates the topics and waits until every partition has a leader. */
  static void create(Admin admin, int partitions, String... topics) throws Exception {
    List<NewTopic> list = new ArrayList<>();
    for (String t : topics) {
      list.add(new NewTopic(t, partitions, (short) 1));
    }
    admin.createTopics(list).all().get();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!allLed(admin, topics)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no leader for every partition of " + List.of(topics));
      }
      Thread.sleep(20);
    }
  }

  private static boolean allLed(Admin admin, String... topics) throws Exception {
    Map<String, TopicDescription> described;
    try {
      described = admin.describeTopics(List.of(topics)).allTopicNames().get();
    } catch (java.util.concurrent.ExecutionException e) {
      return false; // not visible in the metadata yet
    }
    for (TopicDescription d : described.values()) {
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.leader() == null || p.leader().isEmpty()) {
          return false;
        }
      }
    }
    return true;
  }
}
