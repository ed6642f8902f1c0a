package dev.headroom.kafka;

import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node Kafka broker (combined KRaft controller and broker) started in this JVM.
 * One per test class: start it in {@code @BeforeAll}, close it in {@code @AfterAll}.
 *
 * <p>Settings that tests depend on: {@code offsets.topic.replication.factor=1} (without it
 * consumers silently get nothing), one offsets partition and no initial rebalance delay (a
 * consumer-group test then takes about 1 s instead of 5).
 */
public final class KafkaBroker implements AutoCloseable {

  private final KafkaClusterTestKit cluster;

  private KafkaBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /**
   * Formats and starts a broker, waiting until it is ready.
   *
   * @return the running broker
   * @throws Exception if it does not start
   */
  public static KafkaBroker start() throws Exception {
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new KafkaBroker(cluster);
  }

  /**
   * Returns the bootstrap servers, loopback only.
   *
   * @return e.g. {@code localhost:41234}
   */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Returns client properties with the bootstrap servers set, to extend per client.
   *
   * @return a mutable map
   */
  public Map<String, Object> clientConfig() {
    return new java.util.HashMap<>(Map.of("bootstrap.servers", bootstrapServers()));
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
