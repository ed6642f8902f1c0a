package dev.headroom.kubernetes;

import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PushedPodCountSource;
import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterId;
import dev.headroom.core.metrics.MeterSink;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pod count of one Deployment, from two watches on the Kubernetes API (fabric8 informers):
 * the Deployment itself and the pods its selector matches. It is a {@link PodCountSource} for a
 * {@link dev.headroom.budget.PoolSizer}; a change reaches the sizer as soon as the API server
 * sends the event, in milliseconds, where a poll would add its interval.
 *
 * <pre>{@code
 * try (KubernetesPodCount pods = KubernetesPodCount.builder().deployment("orders").build();
 *     BudgetedDataSource dataSource = BudgetedHikari.builder("orders-db", config)
 *         .sizer(PoolSizer.builder().budget(budget).service("orders").podCountSource(pods)
 *             .build())
 *         .build()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>The count is {@code max(spec.replicas, pods that exist)}, where the pods that exist are
 * those the Deployment's selector matches that have not finished ({@code Succeeded} or
 * {@code Failed}), terminating ones included:
 * <ul>
 *   <li>{@code spec.replicas} rises the moment the HPA or an operator scales out, before a new pod
 *       is even created: running pods shrink before the newcomers connect;
 *   <li>a terminating pod stays counted until it is deleted, that is until its process has
 *       exited and its connections are closed ({@link #includesTerminatingPods()} is true), so
 *       the sizer needs no hold window (its default becomes 0) and grows back the moment the pod
 *       is gone;
 *   <li>surge pods of a rollout exist, so they are counted too.
 * </ul>
 *
 * <p>Delay. While the watches are connected, an event reaches {@link #currentPods()} as fast as
 * the API server sends it. When a watch drops, the client reconnects (relisting what it missed);
 * if it has not been watching again within {@link #maxDelay()} (default 1 s), the count becomes
 * unknown, so that no pod keeps trusting a count that may be old, until the watch is back. The
 * check runs every quarter of {@code maxDelay} on a daemon thread.
 *
 * <p>Start-up. {@link Builder#build()} reads the Deployment's selector and starts both watches,
 * and waits up to {@link Builder#startTimeout} (default 10 s) for their first list, so the count
 * is known when the source is handed to a sizer. If the API server does not answer in time the
 * count stays unknown (the sizer sizes for the declared maximum) and the watches keep trying.
 *
 * <p>Why fabric8: its informers are the established way to watch the API from Java (list, watch,
 * resume from the last resource version, relist after a gap, reconnect with back-off) and it
 * reads the pod's service account, CA and rotating token, or a kubeconfig, by itself; it runs
 * over the JDK's own {@code HttpClient} here, so no Netty or Vert.x comes with it. The official
 * Java client offers the same informers over OkHttp with a generated, more verbose API.
 *
 * <p>Permissions: {@code get}, {@code list} and {@code watch} on {@code deployments} (group
 * {@code apps}) and on {@code pods}, in the namespace; see the README for the Role.
 *
 * <p>Thread-safety: safe for concurrent use. Events arrive on the client's informer thread and
 * are counted there one at a time (a private lock orders recounts and the health check).
 */
public final class KubernetesPodCount implements PodCountSource, Instrumented {

  private static final System.Logger LOG = System.getLogger(KubernetesPodCount.class.getName());

  private final String namespace;
  private final String deployment;
  private final KubernetesClient client;
  private final boolean ownsClient;
  private final long maxDelayNanos;
  private final PushedPodCountSource counts;
  private final SharedIndexInformer<Deployment> deployments;
  private final SharedIndexInformer<Pod> pods;
  private final ScheduledExecutorService health;
  private final Object lock = new Object();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong disconnections = new AtomicLong();
  /** Under lock: when the watches were last seen not watching, or -1 while they watch. */
  private long notWatchingSince = -1;
  private boolean closed;

  private KubernetesPodCount(Builder b) {
    this.ownsClient = b.client == null;
    this.client = b.client != null ? b.client : new KubernetesClientBuilder().build();
    this.namespace = b.namespace != null ? b.namespace : client.getNamespace();
    Checks.requireState(namespace != null, "namespace must be set: the client has none (no"
        + " service account namespace, no kubeconfig context)");
    this.deployment = b.deployment;
    Duration maxDelay = b.maxDelay != null ? b.maxDelay : Duration.ofSeconds(1);
    this.maxDelayNanos = maxDelay.toNanos();
    this.counts = PodCountSource.pushed().name(b.name != null ? b.name : deployment)
        .maxDelay(maxDelay).includesTerminatingPods(true).build();

    Deployment found;
    try {
      found = client.apps().deployments().inNamespace(namespace).withName(deployment).get();
    } catch (RuntimeException e) {
      closeOwnedClient();
      throw new IllegalStateException("cannot read deployment \"" + namespace + "/" + deployment
          + "\" to learn its pod selector: " + e.getMessage(), e);
    }
    if (found == null) {
      closeOwnedClient();
      throw new IllegalArgumentException("deployment must exist (was \"" + namespace + "/"
          + deployment + "\", not found)");
    }
    Map<String, String> labels = matchLabels(found);

    ResourceEventHandler<Object> recount = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object obj) {
        recount();
      }

      @Override
      public void onUpdate(Object oldObj, Object newObj) {
        recount();
      }

      @Override
      public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
        recount();
      }
    };
    this.deployments = client.apps().deployments().inNamespace(namespace).withName(deployment)
        .runnableInformer(0);
    this.pods = client.pods().inNamespace(namespace).withLabels(labels).runnableInformer(0);
    deployments.addEventHandler(cast(recount));
    pods.addEventHandler(cast(recount));
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "headroom-kubernetes-" + deployment);
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    this.health = executor;
    start(b.startTimeout != null ? b.startTimeout : Duration.ofSeconds(10));
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) handler;
  }

  private static Map<String, String> matchLabels(Deployment d) {
    LabelSelector selector = d.getSpec() == null ? null : d.getSpec().getSelector();
    Map<String, String> labels = selector == null ? null : selector.getMatchLabels();
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("deployment must select its pods with matchLabels (was \""
          + d.getMetadata().getNamespace() + "/" + d.getMetadata().getName() + "\", selector "
          + selector + ")");
    }
    return Map.copyOf(labels);
  }

  private void start(Duration timeout) {
    try {
      deployments.start().toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      pods.start().toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      LOG.log(Level.WARNING, "deployment \"{0}/{1}\": the watches did not list within {2} ms"
          + " ({3}); the pod count stays unknown until they do", namespace, deployment,
          timeout.toMillis(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    recount();
    long period = Math.max(1, maxDelayNanos / 4);
    health.scheduleWithFixedDelay(this::checkWatching, period, period, TimeUnit.NANOSECONDS);
  }

  /** Counts from the informers' stores and pushes the count; called on every event. */
  private void recount() {
    synchronized (lock) {
      if (closed || !deployments.hasSynced() || !pods.hasSynced()) {
        return;
      }
      events.incrementAndGet();
      long existing = pods.getStore().list().stream().filter(KubernetesPodCount::exists)
          .count();
      int desired = -1;
      for (Deployment d : deployments.getStore().list()) {
        if (d.getSpec() != null) {
          desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        }
      }
      if (notWatchingSince < 0) {
        counts.update((int) Math.max(desired, existing));
      }
    }
  }

  private static boolean exists(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }

  /** Turns the count unknown when a watch has been down longer than the promised delay. */
  private void checkWatching() {
    boolean recovered = false;
    synchronized (lock) {
      if (closed) {
        return;
      }
      boolean watching = deployments.isWatching() && pods.isWatching();
      long now = System.nanoTime();
      if (watching) {
        recovered = notWatchingSince >= 0;
        notWatchingSince = -1;
      } else if (notWatchingSince < 0) {
        notWatchingSince = now;
      } else if (now - notWatchingSince >= maxDelayNanos && counts.currentPods().isPresent()) {
        disconnections.incrementAndGet();
        LOG.log(Level.WARNING, "deployment \"{0}/{1}\": the watch has been down for over {2}"
            + " ms; the pod count is unknown until it is back", namespace, deployment,
            TimeUnit.NANOSECONDS.toMillis(maxDelayNanos));
        counts.markUnknown();
      }
    }
    if (recovered) {
      recount();
    }
  }

  /**
   * Starts a source.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public OptionalInt currentPods() {
    return counts.currentPods();
  }

  /**
   * Returns the longest a change takes to show here: while the watches are connected, the
   * API server's event latency; when one drops, the count turns unknown after this long.
   *
   * @return the bound given to the builder, default 1 s
   */
  @Override
  public Duration maxDelay() {
    return counts.maxDelay();
  }

  /**
   * Returns true: terminating pods stay counted until they are deleted.
   *
   * @return true
   */
  @Override
  public boolean includesTerminatingPods() {
    return true;
  }

  @Override
  public void addListener(Listener listener) {
    counts.addListener(listener);
  }

  @Override
  public boolean removeListener(Listener listener) {
    return counts.removeListener(listener);
  }

  /**
   * Returns the namespace watched.
   *
   * @return the namespace
   */
  public String namespace() {
    return namespace;
  }

  /**
   * Returns the Deployment watched.
   *
   * @return its name
   */
  public String deployment() {
    return deployment;
  }

  /**
   * Returns how many times the count was recomputed from an event.
   *
   * @return a count that never decreases
   */
  public long events() {
    return events.get();
  }

  /**
   * Returns how many times a watch stayed down longer than {@link #maxDelay()}.
   *
   * @return a count that never decreases
   */
  public long disconnections() {
    return disconnections.get();
  }

  /**
   * Tells whether both watches are connected now.
   *
   * @return whether the Deployment and its pods are watched
   */
  public boolean watching() {
    return deployments.isWatching() && pods.isWatching();
  }

  /**
   * Stops both watches and the health check, and closes the client if the builder created it.
   * The last count stays readable. Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    health.shutdownNow();
    try {
      pods.close();
      deployments.close();
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, "closing the informers failed: {0}", e.toString());
    }
    counts.close();
    closeOwnedClient();
  }

  private void closeOwnedClient() {
    if (ownsClient) {
      client.close();
    }
  }

  /**
   * Declares the pushed count's meters ({@code headroom.budget.pod_source.*}, see
   * {@link PushedPodCountSource#describeMeters}) and
   * {@code headroom.kubernetes.watch.disconnections} (counter) and
   * {@code headroom.kubernetes.watching} (gauge, 1 or 0), tagged {@code name}.
   *
   * @param sink where to declare them
   */
  @Override
  public void describeMeters(MeterSink sink) {
    counts.describeMeters(sink);
    sink.counter(MeterId.of("headroom.kubernetes.watch.disconnections").tag("name",
        counts.name()).description("Watches down longer than the promised delay"),
        disconnections::get);
    sink.gauge(MeterId.of("headroom.kubernetes.watching").tag("name", counts.name())
        .description("1 while both watches are connected"), () -> watching() ? 1 : 0);
  }

  @Override
  public String toString() {
    return "KubernetesPodCount[" + namespace + "/" + deployment + ", pods=" + currentPods()
        + "]";
  }

  /**
   * Builds a {@link KubernetesPodCount}. Each setter validates its argument and may be called
   * once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private KubernetesClient client;
    private String namespace;
    private String deployment;
    private String name;
    private Duration maxDelay;
    private Duration startTimeout;

    private Builder() {}

    /**
     * Sets the client. Default: {@code new KubernetesClientBuilder().build()}, which in a pod
     * reads the service account, and which {@link KubernetesPodCount#close()} closes; a given
     * client is not closed.
     *
     * @param value the client
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder client(KubernetesClient value) {
      Checks.requireNonNull("client", value);
      Checks.requireNotSet(client == null, "client", client);
      client = value;
      return this;
    }

    /**
     * Sets the namespace. Default: the client's (in a pod, the pod's own).
     *
     * @param value the namespace
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder namespace(String value) {
      Checks.requireNonBlank("namespace", value);
      Checks.requireNotSet(namespace == null, "namespace", namespace);
      namespace = value;
      return this;
    }

    /**
     * Sets the Deployment whose pods are counted. Required.
     *
     * @param value its name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder deployment(String value) {
      Checks.requireNonBlank("deployment", value);
      Checks.requireNotSet(deployment == null, "deployment", deployment);
      deployment = value;
      return this;
    }

    /**
     * Sets the name used in logs and metrics. Default: the Deployment's name.
     *
     * @param value the name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     * @throws IllegalStateException if already set
     */
    public Builder name(String value) {
      Checks.requireNonBlank("name", value);
      Checks.requireNotSet(name == null, "name", name);
      name = value;
      return this;
    }

    /**
     * Sets how long a watch may stay down before the count becomes unknown: the sizer's count
     * delay, which is also how long a new pod waits before its first connection. Default 1 s.
     *
     * @param value the bound, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder maxDelay(Duration value) {
      Checks.requirePositive("maxDelay", value);
      Checks.requireNotSet(maxDelay == null, "maxDelay", maxDelay);
      maxDelay = value;
      return this;
    }

    /**
     * Sets how long {@link #build()} waits for the watches' first list. Default 10 s.
     *
     * @param value the bound, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if null or not {@code > 0}
     * @throws IllegalStateException if already set
     */
    public Builder startTimeout(Duration value) {
      Checks.requirePositive("startTimeout", value);
      Checks.requireNotSet(startTimeout == null, "startTimeout", startTimeout);
      startTimeout = value;
      return this;
    }

    /**
     * Reads the Deployment's selector, starts both watches and waits for their first list.
     *
     * @return the running source
     * @throws IllegalStateException if the deployment was not set, the namespace is unknown, or
     *     the Deployment cannot be read
     * @throws IllegalArgumentException if the Deployment does not exist or does not select its
     *     pods with {@code matchLabels}
     */
    public KubernetesPodCount build() {
      Checks.requireState(deployment != null, "deployment must be set");
      return new KubernetesPodCount(this);
    }
  }
}
