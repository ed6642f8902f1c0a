package dev.headroom.spring.boot;

import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.core.Checks;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LoadShedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.boot.env.PropertySourceLoader;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * Re-reads the properties that may change while the application runs (breaker thresholds,
 * guards, the shedder's limit and shares) from a file, without Spring Cloud.
 *
 * <p>Why a file: in Kubernetes, configuration lives in a ConfigMap, and a ConfigMap mounted as
 * a volume is updated in the running pod by the kubelet (within about a minute), on every
 * replica, and survives restarts because it is the configuration itself. An Actuator write
 * operation would change one pod only, and be lost at its next restart; Spring Boot's own
 * {@code Environment} is read once at startup, so polling it sees nothing new; and
 * {@code EnvironmentChangeEvent} and {@code @RefreshScope} belong to Spring Cloud.
 *
 * <p>How: every {@code headroom.reload.interval} (10 s) the file
 * ({@code headroom.reload.file}, {@code .properties} or {@code .yml}) is read and hashed; when
 * its content changed, its {@code headroom.*} keys are layered over the application's
 * environment and bound to {@link HeadroomProperties} again, exactly as at startup. Every
 * changed primitive is then rebuilt (the library's builders validate each value) before any is
 * published: one bad value rejects the whole change, the running primitives stay as they are,
 * and {@link #lastOutcome()} carries the library's message. Breakers (and guards with a
 * breaker) are replaced only while closed; an open one keeps waiting, and every later poll
 * tries again, so the change lands once it has closed. Caches and the pool budget are read at
 * startup only; adding or removing a named breaker or guard needs a restart.
 *
 * <p>Thread-safety: polls run on one daemon thread; {@link #reloadNow()} may be called from any
 * thread, and calls are serialised.
 */
public final class HeadroomReloader implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(HeadroomReloader.class.getName());

  /**
   * What the last reload did.
   *
   * @param at when it ran
   * @param changed whether the file's content differed from the last one read
   * @param applied the primitives replaced, e.g. {@code headroom.breakers.payments}
   * @param waiting the changed primitives that wait (an open breaker)
   * @param error the reason the change was rejected, or null
   */
  public record Outcome(Instant at, boolean changed, List<String> applied, List<String> waiting,
      String error) {

    /** Freezes the lists. */
    public Outcome {
      applied = List.copyOf(applied);
      waiting = List.copyOf(waiting);
    }
  }

  private final Environment environment;
  private final HeadroomBreakers breakers;
  private final HeadroomGuards guards;
  private final HeadroomShedder shedder;
  private final Path file;
  private final long intervalNanos;
  private ScheduledExecutorService scheduler;
  private byte[] lastDigest;
  private HeadroomProperties desired;
  private volatile Outcome lastOutcome;

  /**
   * Creates a reloader; nothing is read until {@link #start()} or {@link #reloadNow()}.
   *
   * @param environment the environment the file's values are layered on
   * @param breakers the breakers
   * @param guards the guards
   * @param shedder the shedder, or null when there is none
   * @param properties the file and the interval
   * @throws IllegalArgumentException if the file is blank or the interval not positive
   */
  public HeadroomReloader(Environment environment, HeadroomBreakers breakers,
      HeadroomGuards guards, HeadroomShedder shedder, HeadroomProperties.Reload properties) {
    this.environment = Checks.requireNonNull("environment", environment);
    this.breakers = Checks.requireNonNull("breakers", breakers);
    this.guards = Checks.requireNonNull("guards", guards);
    this.shedder = shedder;
    this.file = Path.of(Checks.requireNonBlank("headroom.reload.file", properties.file()));
    this.intervalNanos = Checks.requirePositive("headroom.reload.interval",
        properties.interval()).toNanos();
  }

  /** Starts polling on a daemon thread; later calls do nothing. */
  public synchronized void start() {
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "headroom-reload");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::poll, intervalNanos, intervalNanos,
          TimeUnit.NANOSECONDS);
    }
  }

  private void poll() {
    try {
      reloadNow();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "headroom reload of " + file + " failed", e);
    }
  }

  /**
   * Reads the file now and applies what changed; also retries changes still waiting.
   *
   * @return what it did
   */
  public synchronized Outcome reloadNow() {
    Instant now = Instant.now();
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      return record(new Outcome(now, false, List.of(), List.of(),
          "cannot read " + file + ": " + e));
    }
    byte[] digest = sha256(content);
    boolean changed = !Arrays.equals(digest, lastDigest);
    if (changed) {
      lastDigest = digest;
      try {
        desired = bind(content);
      } catch (RuntimeException e) {
        return record(new Outcome(now, true, List.of(), List.of(), rootMessage(e)));
      }
    }
    if (desired == null) {
      return record(new Outcome(now, false, List.of(), List.of(), null));
    }
    Map<String, LiveSet.Pending<HeadroomProperties.Breaker, CircuitBreaker>> b;
    Map<String, LiveSet.Pending<HeadroomProperties.Guard, Guard>> g;
    Map<String, LiveSet.Pending<HeadroomProperties.Shedder, LoadShedder>> s;
    try {
      b = breakers.prepare(desired.breakers());
      g = guards.prepare(desired.guards());
      s = shedder == null ? Map.of() : shedder.prepare(desired.shedder());
    } catch (IllegalArgumentException | IllegalStateException e) {
      desired = null; // nothing of this content is applied; the next content is read anew
      return record(new Outcome(now, changed, List.of(), List.of(), e.getMessage()));
    }
    List<String> applied = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    collect("headroom.breakers.", b.keySet(), breakers.publish(b), applied, waiting);
    collect("headroom.guards.", g.keySet(), guards.publish(g), applied, waiting);
    if (shedder != null) {
      collect("headroom.", s.keySet(), shedder.publish(s), applied, waiting);
    }
    return record(new Outcome(now, changed, applied, waiting, null));
  }

  private static void collect(String prefix, Iterable<String> changed, List<String> stillWaiting,
      List<String> applied, List<String> waiting) {
    for (String name : changed) {
      (stillWaiting.contains(name) ? waiting : applied).add(prefix + name);
    }
  }

  private Outcome record(Outcome outcome) {
    lastOutcome = outcome;
    if (outcome.error() != null) {
      LOG.log(System.Logger.Level.WARNING, "headroom reload of " + file + " rejected, nothing"
          + " changed: " + outcome.error());
    } else if (!outcome.applied().isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "headroom reload of " + file + " applied "
          + outcome.applied() + (outcome.waiting().isEmpty() ? ""
              : "; waiting to close: " + outcome.waiting()));
    }
    return outcome;
  }

  /**
   * Returns what the last reload did.
   *
   * @return the outcome, or null before the first
   */
  public Outcome lastOutcome() {
    return lastOutcome;
  }

  /**
   * Returns the file read.
   *
   * @return the path
   */
  public Path file() {
    return file;
  }

  private HeadroomProperties bind(byte[] content) {
    String name = file.getFileName().toString();
    PropertySourceLoader loader = name.endsWith(".yml") || name.endsWith(".yaml")
        ? new YamlPropertySourceLoader() : new PropertiesPropertySourceLoader();
    List<PropertySource<?>> loaded;
    try {
      loaded = loader.load("headroom-reload:" + file, new ByteArrayResource(content,
          file.toString()));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + file + ": " + e.getMessage(), e);
    }
    MutablePropertySources sources = new MutablePropertySources();
    loaded.forEach(sources::addLast);
    if (environment instanceof ConfigurableEnvironment configurable) {
      configurable.getPropertySources().forEach(sources::addLast);
    }
    Binder binder = new Binder(ConfigurationPropertySources.from(sources),
        new PropertySourcesPlaceholdersResolver(sources),
        ApplicationConversionService.getSharedInstance());
    return binder.bindOrCreate("headroom", Bindable.of(HeadroomProperties.class));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + t.getMessage();
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
