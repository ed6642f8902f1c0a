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

  /**
   * Settings for a broker that a test restarts: a 2 s broker session (heartbeats every 500 ms)
   * so that the restarted broker is accepted in about 2 s instead of 9.
   */
  public static final Map<String, String> RESTARTABLE = Map.of(
      "broker.session.timeout.ms", "2000",
      "broker.heartbeat.interval.ms", "500");

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
    return start(Map.of());
  }

  /**
   * Formats and starts a broker with extra settings, waiting until it is ready.
   *
   * @param extra broker settings added to (or replacing) the defaults above
   * @return the running broker
   * @throws Exception if it does not start
   */
  public static KafkaBroker start(Map<String, String> extra) throws Exception {
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(
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
        .setConfigProp("auto.create.topics.enable", "false");
    extra.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
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

  /**
   * Stops the broker and starts it again (the combined node's broker side; the controller and
   * the log directory stay), then waits until it is ready. Clients see their connections drop
   * and reconnect to the same address.
   *
   * @throws Exception if it does not come back
   */
  public void restart() throws Exception {
    for (kafka.server.BrokerServer b : cluster.brokers().values()) {
      b.shutdown();
      b.awaitShutdown();
    }
    // startup() registers the broker again; the controller accepts the new incarnation once
    // the old one's session has expired (broker.session.timeout.ms, 9 s by default: see
    // RESTARTABLE for a shorter one).
    for (kafka.server.BrokerServer b : cluster.brokers().values()) {
      b.startup();
    }
    cluster.waitForReadyBrokers();
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
