package dev.headroom.samples;

import dev.headroom.budget.PodCountSource;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.budget.PushedPodCountSource;
import dev.headroom.kubernetes.KubernetesPodCount;
import java.time.Duration;

/**
 * The README's pool budget example: the seed's numbers worked through. A database with
 * {@code max_connections} 500, an HPA that can take the enrollment service to 95 pods with a 25%
 * rollout surge, pools that used to be 5 plus 10 overflow per pod. Prints the arithmetic, the
 * start-up finding about the old static size, and the live size for 20 pods.
 */
public final class PoolBudgetExample {

  private PoolBudgetExample() {}

  /**
   * Builds the seed's budget and a sizer, and prints what they say.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    // tag::budget[]
    PoolBudget budget = PoolBudget.builder()
        .maxConnections(500)                 // SHOW max_connections
        .superuserReservedConnections(3)     // SHOW superuser_reserved_connections
        .reservedConnections(0)              // SHOW reserved_connections (PostgreSQL 16+)
        .adminHeadroom(10)                   // psql sessions, migrations, incident response
        .service(PoolBudget.Service.builder("enrollment")
            .maxReplicas(95)                 // the HPA's maxReplicas
            .maxSurgePercent(25)             // the Deployment's rollout maxSurge
            .build())
        .build();
    System.out.print(budget.explain());
    // end::budget[]

    // In a pod: KubernetesPodCount.builder().deployment("enrollment").build() (see inPod()).
    // Here: 20 pods, as before the enrollment peak.
    // tag::sizer[]
    try (PodCountSource pods = PodCountSource.fixed(20);
        PoolSizer sizer = PoolSizer.builder()
            .budget(budget)
            .service("enrollment")
            .podCountSource(pods)
            .holdWindow(Duration.ZERO)       // no window, for the example only: default 60 s
            .staticPoolSize(15)              // 5 + 10 overflow: checked and logged at start-up
            .build()) {
      sizer.addListener((before, now) -> System.out.println(
          "resize the pool, lowering first: " + before + " -> " + now));
      // at 20 pods each pod may open sizer.maxPoolSize() = 11 connections (487 / (20 + 24)),
      // keeping sizer.minIdle() = 4 idle
      System.out.println(sizer.maxPoolSize() + " connections, " + sizer.minIdle() + " idle");
    }
    // end::sizer[]
  }

  /**
   * The pod count inside a Kubernetes pod: a watch on the Deployment and its pods. Not called by
   * {@link #main}: it needs a pod's service account.
   *
   * @return the running source
   */
  static KubernetesPodCount inPod() {
    // tag::inPod[]
    KubernetesPodCount pods = KubernetesPodCount.builder()
        .deployment("enrollment")             // the pod's own namespace by default
        .maxDelay(Duration.ofSeconds(1))      // a watch down longer: count unknown until back
        .build();
    // end::inPod[]
    return pods;
  }

  /**
   * Any other watcher (a pod ledger, a service registry) drives a pushed source.
   *
   * @return the source the watcher calls {@code update(int)} on
   */
  static PushedPodCountSource pushed() {
    PushedPodCountSource pods = PodCountSource.pushed()
        .name("enrollment")
        .maxDelay(Duration.ofMillis(500))     // the watcher's promise: a change shows within
        .build();
    pods.update(20);                          // from the watcher's thread, at every change
    return pods;
  }
}
