package dev.headroom.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.budget.PoolBudget;
import dev.headroom.core.ManualClock;
import dev.headroom.core.metrics.HeadroomMeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Binds signals and an advisor to Micrometer's real Prometheus registry and reads the text
 * format it serves: these are the series KEDA's prometheus scaler and prometheus-adapter query.
 */
class PrometheusScrapeTest {

  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(.*)\\}"
      + " (\\S+)$", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]"
      + "|\\\\.)*)\"");

  /**
   * The value of the one sample line with this metric name and exactly this label set (given
   * as comma-separated {@code key="value"} pairs in any order).
   */
  static double sample(String scrape, String metric, String labels) {
    Map<String, String> want = labels(labels);
    Matcher m = LINE.matcher(scrape);
    while (m.find()) {
      if (m.group(1).equals(metric) && labels(m.group(2)).equals(want)) {
        return Double.parseDouble(m.group(3));
      }
    }
    throw new AssertionError("no sample " + metric + want + " in\n" + scrape);
  }

  static Map<String, String> labels(String text) {
    Map<String, String> out = new java.util.TreeMap<>();
    Matcher l = LABEL.matcher(text);
    while (l.find()) {
      out.put(l.group(1), l.group(2));
    }
    return out;
  }

  @Test
  void signalsAndAdviceInThePrometheusTextFormat() {
    ManualClock clock = new ManualClock();
    AtomicReference<Double> depth = new AtomicReference<>(6_000.0);
    Signal queue = Signal.builder("remittance-queue").unit("messages").targetPerPod(100)
        .fleetTotal(depth::get).clock(clock).build();
    Signal waiting = Signal.perPod("api-waiting", "requests", 10, () -> 3);
    PoolBudget db = PoolBudget.builder().maxConnections(500)
        .service(PoolBudget.Service.builder("remittance").maxReplicas(38).build()).build();
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance").signal(queue).signal(waiting)
        .currentReplicas(() -> 5).database("enrollment-db", db, "remittance").clock(clock)
        .build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new HeadroomMeterBinder(queue, waiting, advisor)
        .withCommonTags(HeadroomMeterBinder.environmentTags(Map.of(
            "HEADROOM_SERVICE", "remittance", "HEADROOM_VERSION", "1.4.2",
            "HOSTNAME", "remittance-7d9f-abcde")::get))
        .bindTo(registry);

    String scrape = registry.scrape();
    String common = "pod=\"remittance-7d9f-abcde\",service=\"remittance\",version=\"1.4.2\"";
    assertEquals(6000.0, sample(scrape, "headroom_signal_value",
        "name=\"remittance-queue\"," + common + ",scope=\"fleet_total\",unit=\"messages\""));
    assertEquals(100.0, sample(scrape, "headroom_signal_target",
        "name=\"remittance-queue\"," + common + ",scope=\"fleet_total\",unit=\"messages\""));
    assertEquals(3.0, sample(scrape, "headroom_signal_value",
        "name=\"api-waiting\"," + common + ",scope=\"per_pod\",unit=\"requests\""));
    assertEquals(38.0, sample(scrape, "headroom_advice_desired_replicas",
        "name=\"remittance\"," + common));
    assertEquals(60.0, sample(scrape, "headroom_advice_recommended_replicas",
        "name=\"remittance\"," + common));
    assertEquals(1.0, sample(scrape, "headroom_advice_capped", "name=\"remittance\"," + common));
    assertEquals(38.0, sample(scrape, "headroom_advice_cap_replicas",
        "name=\"remittance\"," + common));
    assertEquals(0.0, sample(scrape, "headroom_signal_age_seconds",
        "name=\"remittance-queue\"," + common));
    assertTrue(scrape.contains("# TYPE headroom_signal_invalid_total counter"), scrape);

    depth.set(Double.NaN);
    clock.advance(Duration.ofSeconds(30));
    String later = registry.scrape();
    assertEquals(6000.0, sample(later, "headroom_signal_value",
        "name=\"remittance-queue\"," + common + ",scope=\"fleet_total\",unit=\"messages\""),
        "a NaN reading is skipped, the last valid one stays");
    assertFalse(Pattern.compile("^[^#].* NaN$", Pattern.MULTILINE).matcher(later).find(),
        "no sample is NaN:\n" + later);
    assertEquals(30.0, sample(later, "headroom_signal_age_seconds",
        "name=\"remittance-queue\"," + common));
    assertEquals(1.0, sample(later, "headroom_signal_invalid_total",
        "name=\"remittance-queue\"," + common + ",reason=\"non_finite\""));
  }
}
