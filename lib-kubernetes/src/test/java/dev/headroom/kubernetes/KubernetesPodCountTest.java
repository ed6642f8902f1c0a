package dev.headroom.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.core.metrics.RecordingMeterSink;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubernetesPodCount} against fabric8's mock API server in CRUD mode (it stores what is
 * written and serves lists and watches from it). No real API server can run here: Debian ships
 * no kube-apiserver and the machine has no container engine. Every test talks HTTP on loopback
 * to the mock server through the real client, and the drop test stops the server under a live
 * watch and starts another on the same port and the same store.
 */
class KubernetesPodCountTest {

  private static final String NS = "shop";

  private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void startServer() {
    server = newServer();
    server.start(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stopServer() {
    client.close();
    server.shutdown();
  }

  private KubernetesMockServer newServer() {
    return new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), store,
        false);
  }

  private void deployment(int replicas) {
    Deployment d = new DeploymentBuilder().withNewMetadata().withName("orders").withNamespace(NS)
        .endMetadata().withNewSpec().withReplicas(replicas).withNewSelector()
        .addToMatchLabels("app", "orders").endSelector().endSpec().build();
    client.apps().deployments().inNamespace(NS).resource(d).createOr(op -> op.update());
  }

  private void pod(String name, String app) {
    Pod p = new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
        .addToLabels("app", app).endMetadata().withNewStatus().withPhase("Running").endStatus()
        .build();
    client.pods().inNamespace(NS).resource(p).create();
  }

  private KubernetesPodCount count(Duration maxDelay) {
    return KubernetesPodCount.builder().client(client).namespace(NS).deployment("orders")
        .maxDelay(maxDelay).build();
  }

  @Test
  void countsDesiredReplicasAndEveryExistingPodKnownWhenBuildReturns() throws Exception {
    deployment(3);
    pod("orders-1", "orders");
    pod("orders-2", "orders");
    pod("other-1", "billing"); // another Deployment's pod
    try (KubernetesPodCount pods = count(Duration.ofSeconds(1))) {
      assertEquals(OptionalInt.of(3), pods.currentPods(), "spec.replicas, known at once");
      assertTrue(pods.includesTerminatingPods());
      assertEquals(Duration.ofSeconds(1), pods.maxDelay());

      // Scale out: the desired count rises before the pods exist.
      long t0 = System.nanoTime();
      deployment(5);
      await(() -> pods.currentPods().equals(OptionalInt.of(5)), "5 desired");
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf("a scale-out reached the count in %d ms%n", millis);
      assertTrue(millis < 1_000, "well under a second: " + millis + " ms");
      for (int i = 3; i <= 5; i++) {
        pod("orders-" + i, "orders");
      }
      // A rollout's surge pod exists: counted above spec.replicas.
      pod("orders-6", "orders");
      await(() -> pods.currentPods().equals(OptionalInt.of(6)), "5 + 1 surge pod");

      // Scale in: spec drops at once, but terminating pods stay counted until deleted. A
      // finalizer plays the pod's shutdown: deleting marks the pod terminating
      // (deletionTimestamp set) and it is gone only once the finalizer is removed.
      for (int i = 3; i <= 6; i++) {
        client.pods().inNamespace(NS).withName("orders-" + i)
            .edit(p -> new PodBuilder(p).editMetadata().addToFinalizers("headroom.test/drain")
                .endMetadata().build());
      }
      deployment(2);
      for (int i = 3; i <= 6; i++) {
        client.pods().inNamespace(NS).withName("orders-" + i).delete();
      }
      await(() -> client.pods().inNamespace(NS).withName("orders-6").get().getMetadata()
          .getDeletionTimestamp() != null, "terminating");
      Thread.sleep(200);
      assertEquals(OptionalInt.of(6), pods.currentPods(), "terminating pods still count");
      for (int i = 3; i <= 6; i++) {
        client.pods().inNamespace(NS).withName("orders-" + i)
            .edit(p -> new PodBuilder(p).editMetadata().withFinalizers().endMetadata().build());
      }
      await(() -> pods.currentPods().equals(OptionalInt.of(2)), "gone: back to 2");

      // A finished pod holds no connection.
      Pod done = client.pods().inNamespace(NS).withName("orders-2").get();
      done.getStatus().setPhase("Succeeded");
      client.pods().inNamespace(NS).resource(done).updateStatus();
      deployment(1);
      await(() -> pods.currentPods().equals(OptionalInt.of(1)), "finished pod not counted");
      assertTrue(pods.events() > 0);
    }
  }

  @Test
  void aWatchThatDropsMakesTheCountUnknownThenReconnectsAndCatchesUp() throws Exception {
    deployment(4);
    try (KubernetesPodCount pods = count(Duration.ofMillis(400))) {
      assertEquals(OptionalInt.of(4), pods.currentPods());
      await(pods::watching, "watching");
      int port = server.getPort();

      server.shutdown(); // the API server goes away under a live watch
      await(() -> pods.currentPods().isEmpty(), "unknown after the watch stayed down 400 ms");
      assertEquals(1, pods.disconnections());
      assertFalse(pods.watching());

      // Back on the same address with the same state; the fleet grew meanwhile.
      server = newServer();
      server.start(InetAddress.getLoopbackAddress(), port);
      KubernetesClient admin = server.createClient();
      try {
        admin.apps().deployments().inNamespace(NS).withName("orders")
            .edit(d -> new DeploymentBuilder(d).editSpec().withReplicas(7).endSpec().build());
      } finally {
        admin.close();
      }
      await(() -> pods.currentPods().equals(OptionalInt.of(7)), "7 after reconnecting");
      assertTrue(pods.watching());

      RecordingMeterSink sink = new RecordingMeterSink();
      pods.describeMeters(sink);
      assertEquals(1, sink.value("headroom.kubernetes.watch.disconnections", "name", "orders"));
      assertEquals(1, sink.value("headroom.kubernetes.watching", "name", "orders"));
      assertEquals(7, sink.value("headroom.budget.pod_source.pods", "name", "orders"));
    }
  }

  @Test
  void drivesAPoolSizerWithoutAHoldWindow() throws Exception {
    deployment(4);
    PoolBudget budget = PoolBudget.builder().maxConnections(43).superuserReservedConnections(3)
        .service(PoolBudget.Service.builder("orders").maxReplicas(12).build()).build();
    try (KubernetesPodCount pods = count(Duration.ofMillis(200));
        PoolSizer sizer = PoolSizer.builder().budget(budget).service("orders")
            .podCountSource(pods).build()) {
      assertEquals(Duration.ZERO, sizer.holdWindow(), "terminating pods are counted");
      assertEquals(Duration.ofMillis(200), sizer.countDelay());
      await(sizer::admitted, "start-up hold over");
      assertEquals(10, sizer.maxPoolSize(), "40 / 4");
      deployment(16); // above the declared maximum of 12
      await(() -> sizer.maxPoolSize() == 2, "40 / 16");
      assertEquals(1, sizer.overDeclaredMaximumCount());
    }
  }

  @Test
  void badInputIsNamed() {
    assertEquals("deployment must be set", assertThrows(IllegalStateException.class,
        () -> KubernetesPodCount.builder().client(client).build()).getMessage());
    assertEquals("deployment must exist (was \"shop/missing\", not found)", assertThrows(
        IllegalArgumentException.class, () -> KubernetesPodCount.builder().client(client)
            .namespace(NS).deployment("missing").build()).getMessage());
    assertEquals("maxDelay must be > 0 (was PT0S)", assertThrows(IllegalArgumentException.class,
        () -> KubernetesPodCount.builder().maxDelay(Duration.ZERO)).getMessage());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
