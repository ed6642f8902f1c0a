package dev.headroom.core.metrics;

import dev.headroom.core.Checks;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * Binds Headroom primitives to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * new HeadroomMeterBinder(breaker, shedder, cache).bindTo(registry);
 * }</pre>
 *
 * <p>Counters become {@link FunctionCounter}s, gauges {@link Gauge}s and timers
 * {@link FunctionTimer}s, each reading the primitive's own state when the registry is scraped.
 * The registered meters hold strong references to the primitives: a bound primitive stays
 * reported until the registry removes its meters, instead of silently reading NaN once a weak
 * reference is collected.
 *
 * <h2>Common tags</h2>
 *
 * <p>Canary analysis compares a canary's P99 with the stable version's, so every Headroom meter
 * can carry the same identifying tags: {@link #withEnvironmentTags()} adds {@code service},
 * {@code version} and {@code pod} from the environment (see {@link #environmentTags}), and
 * {@link #withCommonTags} any tags of your own. A meter's own tag of the same key wins. Bind all
 * of a registry's Headroom primitives with the same common tags: Prometheus requires every
 * series of one meter name to have the same tag keys.
 *
 * <pre>{@code
 * new HeadroomMeterBinder(breaker, shedder).withEnvironmentTags().bindTo(registry);
 * }</pre>
 *
 * <p>Thread-safety: immutable; {@link #bindTo} may be called for several registries.
 */
public final class HeadroomMeterBinder implements MeterBinder {

  /** Environment variable naming the service, first choice for the {@code service} tag. */
  public static final String SERVICE_ENV = "HEADROOM_SERVICE";
  /** Environment variable naming the version, first choice for the {@code version} tag. */
  public static final String VERSION_ENV = "HEADROOM_VERSION";
  /** Environment variable naming the pod, first choice for the {@code pod} tag. */
  public static final String POD_ENV = "HEADROOM_POD";

  private final List<Instrumented> sources;
  private final Tags commonTags;

  /**
   * Creates a binder for the given primitives.
   *
   * @param sources the primitives to bind
   * @throws IllegalArgumentException if {@code sources} or any element is null
   */
  public HeadroomMeterBinder(Instrumented... sources) {
    Checks.requireNonNull("sources", sources);
    for (int i = 0; i < sources.length; i++) {
      Checks.requireNonNull("sources[" + i + "]", sources[i]);
    }
    this.sources = List.of(sources);
    this.commonTags = Tags.empty();
  }

  private HeadroomMeterBinder(List<Instrumented> sources, Tags commonTags) {
    this.sources = sources;
    this.commonTags = commonTags;
  }

  /**
   * Returns a binder for the same primitives whose meters also carry {@code tags}, in addition
   * to any common tags this one has (a later value of the same key wins).
   *
   * @param tags the common tags, e.g. {@code Tags.of("service", "enrollment")}
   * @return a new binder
   * @throws IllegalArgumentException if {@code tags} is null
   */
  public HeadroomMeterBinder withCommonTags(Iterable<Tag> tags) {
    Checks.requireNonNull("tags", tags);
    return new HeadroomMeterBinder(sources, commonTags.and(tags));
  }

  /**
   * Returns a binder whose meters also carry {@code service}, {@code version} and {@code pod}
   * read from the process environment by {@link #environmentTags(UnaryOperator)}.
   *
   * @return a new binder
   */
  public HeadroomMeterBinder withEnvironmentTags() {
    return withCommonTags(environmentTags(System::getenv));
  }

  /**
   * Reads the common tags from an environment. Each tag is the first variable that is set and
   * not blank; a tag with none is left out:
   *
   * <ul>
   *   <li>{@code service}: {@value #SERVICE_ENV}, then {@code OTEL_SERVICE_NAME};
   *   <li>{@code version}: {@value #VERSION_ENV}, then {@code service.version} in
   *       {@code OTEL_RESOURCE_ATTRIBUTES} ({@code key=value} pairs separated by commas);
   *   <li>{@code pod}: {@value #POD_ENV}, then {@code POD_NAME} (the Downward API's usual name),
   *       then {@code HOSTNAME} (a pod's host name is its name).
   * </ul>
   *
   * @param environment looks a variable up, returning null when it is not set
   *     ({@code System::getenv})
   * @return the tags found
   * @throws IllegalArgumentException if {@code environment} is null
   */
  public static Tags environmentTags(UnaryOperator<String> environment) {
    Checks.requireNonNull("environment", environment);
    List<Tag> tags = new ArrayList<>(3);
    String service = first(environment, SERVICE_ENV, "OTEL_SERVICE_NAME");
    if (service != null) {
      tags.add(Tag.of("service", service));
    }
    String version = first(environment, VERSION_ENV);
    if (version == null) {
      version = resourceAttribute(environment.apply("OTEL_RESOURCE_ATTRIBUTES"),
          "service.version");
    }
    if (version != null) {
      tags.add(Tag.of("version", version));
    }
    String pod = first(environment, POD_ENV, "POD_NAME", "HOSTNAME");
    if (pod != null) {
      tags.add(Tag.of("pod", pod));
    }
    return Tags.of(tags);
  }

  private static String first(UnaryOperator<String> environment, String... names) {
    for (String name : names) {
      String v = environment.apply(name);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  private static String resourceAttribute(String attributes, String key) {
    if (attributes == null) {
      return null;
    }
    for (String pair : attributes.split(",")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).trim().equals(key)) {
        String v = pair.substring(eq + 1).trim();
        return v.isEmpty() ? null : v;
      }
    }
    return null;
  }

  /**
   * Returns the common tags this binder adds to every meter.
   *
   * @return the tags, possibly empty
   */
  public Tags commonTags() {
    return commonTags;
  }

  /**
   * Registers every meter of every primitive in {@code registry}.
   *
   * @param registry the registry
   * @throws IllegalArgumentException if {@code registry} is null
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Checks.requireNonNull("registry", registry);
    MeterSink sink = new RegistrySink(registry, commonTags);
    for (Instrumented source : sources) {
      source.describeMeters(sink);
    }
  }

  /** Translates each declaration into a Micrometer function meter. */
  private static final class RegistrySink implements MeterSink {
    private final MeterRegistry registry;
    private final Tags common;

    RegistrySink(MeterRegistry registry, Tags common) {
      this.registry = registry;
      this.common = common;
    }

    @Override
    public void counter(MeterId id, LongSupplier count) {
      // Micrometer holds the state object weakly and the function strongly. The registry is
      // the state object (it outlives its meters) and the function captures the reader, so a
      // reader nobody else references is not collected while the meter is registered.
      FunctionCounter.builder(id.name(), registry, r -> (double) count.getAsLong())
          .description(emptyToNull(id.description()))
          .baseUnit(emptyToNull(id.baseUnit()))
          .tags(tags(id))
          .register(registry);
    }

    @Override
    public void gauge(MeterId id, DoubleSupplier value) {
      Gauge.builder(id.name(), value, DoubleSupplier::getAsDouble)
          .description(emptyToNull(id.description()))
          .baseUnit(emptyToNull(id.baseUnit()))
          .tags(tags(id))
          .strongReference(true)
          .register(registry);
    }

    @Override
    public void timer(MeterId id, LongSupplier count, LongSupplier totalNanos) {
      // Same reasoning as for counters: the registry is the weakly held state object.
      FunctionTimer.builder(id.name(), registry, r -> count.getAsLong(),
              r -> (double) totalNanos.getAsLong(), TimeUnit.NANOSECONDS)
          .description(emptyToNull(id.description()))
          .tags(tags(id))
          .register(registry);
    }

    /** The meter's own tags, plus every common tag whose key the meter does not have. */
    private Tags tags(MeterId id) {
      Tags own = Tags.of(id.tags().toArray(new String[0]));
      if (!common.iterator().hasNext()) {
        return own;
      }
      Set<String> keys = new HashSet<>();
      for (Tag t : own) {
        keys.add(t.getKey());
      }
      List<Tag> merged = new ArrayList<>();
      for (Tag t : common) {
        if (!keys.contains(t.getKey())) {
          merged.add(t);
        }
      }
      return own.and(merged);
    }

    private static String emptyToNull(String s) {
      return s.isEmpty() ? null : s;
    }
  }
}
