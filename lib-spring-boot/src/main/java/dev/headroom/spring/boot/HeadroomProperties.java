package dev.headroom.spring.boot;

import dev.headroom.shed.Priority;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Everything under {@code headroom.*}, bound once at startup and again by
 * {@link HeadroomReloader} when the reload file changes.
 *
 * <p>An option left out takes the library's own default (the builders' defaults, documented on
 * {@code BreakerConfig}, {@code LoadShedder}, {@code LimitPolicy}, {@code HeadroomCache},
 * {@code PoolBudget}); values are validated by those same builders, so a bad value fails
 * startup with the library's own message, prefixed with the property's path.
 *
 * <pre>{@code
 * headroom:
 *   breakers:
 *     eligibility-api:
 *       failure-rate-threshold: 0.5
 *       open-duration: 1s
 *   shedder:
 *     enabled: true
 *     limit: { type: gradient, min: 8, max: 200 }
 * }</pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param breakers named circuit breakers, by name
 * @param guards named guards (breaker, limit and deadline around one dependency), by name
 * @param shedder the application's load shedder, the one the shedding filter uses
 * @param caches named stampede-safe caches, by name
 * @param budget the database connection budget and this service's share of it
 * @param jdbc wrapping of the application's HikariCP pool by {@code BudgetedDataSource}
 * @param signals scaling signals and replica advice
 * @param readiness what the readiness state follows
 * @param metrics the Micrometer binding
 * @param reload live re-reading of changeable properties from a file
 * @param http the shedding filter in front of the application's servlets, and the HTTP client
 */
@ConfigurationProperties("headroom")
public record HeadroomProperties(
    Map<String, Breaker> breakers,
    Map<String, Guard> guards,
    @DefaultValue Shedder shedder,
    Map<String, Cache> caches,
    @DefaultValue Budget budget,
    @DefaultValue Jdbc jdbc,
    @DefaultValue Signals signals,
    @DefaultValue Readiness readiness,
    @DefaultValue Metrics metrics,
    @DefaultValue Reload reload,
    @DefaultValue Http http) {

  /** Replaces absent maps by empty ones and keeps the configured order. */
  public HeadroomProperties {
    breakers = ordered(breakers);
    guards = ordered(guards);
    caches = ordered(caches);
  }

  private static <V> Map<String, V> ordered(Map<String, V> map) {
    return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /**
   * A circuit breaker's options; each maps to the {@code BreakerConfig.Builder} setter of the
   * same name. Changeable at run time (see {@link HeadroomReloader}).
   *
   * @param consecutiveFailures failures in a row that trip; 0 turns the rule off
   * @param failureRateThreshold failure fraction in (0, 1] that trips; 0 turns the rule off
   * @param slowCallRateThreshold slow-call fraction in (0, 1] that trips; 0 turns it off
   * @param slowCallThreshold a fixed slow-call threshold; absent for the adaptive one
   * @param window the length of the rate rules' sliding window
   * @param windowBuckets the buckets the window is split into
   * @param minimumCalls calls the window must hold before a rate rule is judged
   * @param openDuration how long the breaker stays open after a trip
   * @param openDurationMultiplier growth of the open duration on each relapse
   * @param maxOpenDuration the cap of the open duration
   * @param openJitter relative jitter of the open duration, in [0, 1)
   * @param rampSteps the half-open ramp's admitted fractions, increasing, ending at 1
   * @param stepDuration the minimum duration of a ramp step
   * @param minProbesPerStep the minimum judged probes of a ramp step
   * @param probeInterval half-open interval after which one probe is admitted anyway
   */
  public record Breaker(
      Integer consecutiveFailures,
      Double failureRateThreshold,
      Double slowCallRateThreshold,
      Duration slowCallThreshold,
      Duration window,
      Integer windowBuckets,
      Integer minimumCalls,
      Duration openDuration,
      Double openDurationMultiplier,
      Duration maxOpenDuration,
      Double openJitter,
      List<Double> rampSteps,
      Duration stepDuration,
      Integer minProbesPerStep,
      Duration probeInterval) {}

  /** The kinds of concurrency limit. */
  public enum LimitType {
    /** {@code LimitPolicy.gradient()}: adaptive, needs no number about the backend. */
    GRADIENT,
    /** {@code LimitPolicy.aimd()}: additive increase, multiplicative decrease. */
    AIMD,
    /** {@code LimitPolicy.fixed(initial)}: never changes. */
    FIXED
  }

  /**
   * A concurrency limit. Changeable at run time.
   *
   * @param type gradient (default), aimd or fixed
   * @param initial the starting limit; for {@code fixed}, the limit
   * @param min the floor of an adaptive limit
   * @param max the ceiling of an adaptive limit
   */
  public record Limit(@DefaultValue("gradient") LimitType type, Integer initial, Integer min,
      Integer max) {}

  /**
   * A deadline: fixed when {@code fixed} is set, else adaptive (the {@code DeadlinePolicy}
   * defaults unless overridden).
   *
   * @param fixed a fixed deadline
   * @param percentile the adaptive deadline's latency percentile, e.g. 0.999
   * @param headroom the multiple of that percentile, e.g. 1.1
   * @param floor the adaptive deadline's floor
   * @param ceiling the adaptive deadline's ceiling
   */
  public record Deadline(Duration fixed, Double percentile, Double headroom, Duration floor,
      Duration ceiling) {}

  /**
   * A guard: breaker, limit and deadline around one dependency. Each part is optional; a part
   * left out is not used. Changeable at run time.
   *
   * @param breaker the breaker's options (an empty block for the defaults)
   * @param limit the concurrency limit
   * @param deadline the deadline
   * @param priority the priority its calls take from the limit (default HIGH)
   */
  public record Guard(Breaker breaker, Limit limit, Deadline deadline, Priority priority) {}

  /**
   * The application's load shedder, used by the shedding filter and followed by readiness.
   *
   * @param enabled whether to create it
   * @param name its name in meters and messages
   * @param limit its concurrency limit (changeable at run time)
   * @param shares each priority's share of the limit (changeable at run time); with an adaptive
   *     limit, the bands under pressure (see {@code LoadShedder}: they open at normal load)
   * @param maxWait how long a request may wait for a slot; absent for none
   * @param queueCapacity each priority's queue capacity when waiting is on
   */
  public record Shedder(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("http") String name,
      @DefaultValue Limit limit,
      Map<Priority, Double> shares,
      Duration maxWait,
      Integer queueCapacity) {

    /** Replaces an absent map by an empty one. */
    public Shedder {
      shares = shares == null ? Map.of() : Map.copyOf(shares);
    }
  }

  /**
   * A stampede-safe cache; each option maps to the {@code HeadroomCache.Builder} setter of the
   * same name. Read at startup only.
   *
   * @param ttl how long a value is fresh (required)
   * @param beta the XFetch early-expiry factor
   * @param earlyRefresh fraction of the TTL from which early refresh may start
   * @param ttlJitter relative jitter of the TTL
   * @param maximumSize the most entries kept
   * @param staleIfError how long a stale value is served when its reload fails
   * @param negativeTtl how long a "not found" is cached
   * @param loaderTimeout how long a load may take
   */
  public record Cache(Duration ttl, Double beta, Double earlyRefresh, Double ttlJitter,
      Long maximumSize, Duration staleIfError, Duration negativeTtl, Duration loaderTimeout) {}

  /**
   * One service sharing the database.
   *
   * @param maxReplicas its HPA maximum
   * @param maxSurge extra pods during a rollout
   * @param weight its weight in the split
   * @param poolsPerPod connection pools each of its pods runs
   */
  public record Service(Integer maxReplicas, Integer maxSurge, Double weight,
      Integer poolsPerPod) {}

  /**
   * The database connection budget ({@code PoolBudget}) and this service's live share of it
   * ({@code PoolSizer}). Created when {@code max-connections} is set. Read at startup only.
   *
   * @param maxConnections the database's max_connections
   * @param superuserReservedConnections its superuser_reserved_connections
   * @param reservedConnections its reserved_connections
   * @param adminHeadroom connections kept free for an operator
   * @param otherClients connections other clients hold
   * @param services every service sharing the database, by name
   * @param service this application's service; default {@code spring.application.name}
   * @param pods a fixed pod count, used when no {@code PodCountSource} bean exists; default the
   *     service's {@code max-replicas}
   * @param holdWindow the sizer's start-up hold
   */
  public record Budget(
      Integer maxConnections,
      Integer superuserReservedConnections,
      Integer reservedConnections,
      Integer adminHeadroom,
      Integer otherClients,
      Map<String, Service> services,
      String service,
      Integer pods,
      Duration holdWindow) {

    /** Replaces an absent map by an empty one and keeps the configured order. */
    public Budget {
      services = ordered(services);
    }
  }

  /**
   * Wrapping of the application's HikariCP {@code DataSource} by {@code BudgetedDataSource}.
   *
   * @param enabled whether to wrap it
   * @param maxPoolSize the budget when no pool budget is configured; default HikariCP's maximum
   * @param acquireTimeout how long a borrower waits for a permit
   * @param defaultQueryTimeout the statements' default query timeout, whole seconds
   * @param breaker the name of a configured breaker that guards the database
   * @param statementDeadline a deadline per statement execution, in milliseconds, fixed or
   *     adaptive ({@code BudgetedDataSource.Builder#statementDeadline}); default none
   */
  public record Jdbc(@DefaultValue("false") boolean enabled, Integer maxPoolSize,
      Duration acquireTimeout, Duration defaultQueryTimeout, String breaker,
      Deadline statementDeadline) {}

  /**
   * Scaling signals read from the shedder, and the replica advice built on them.
   *
   * @param enabled whether to create the signals and the advisor
   * @param utilisationTarget in-flight over limit one pod should run at, in (0, 1]
   * @param waitingTarget requests waiting one pod may carry
   * @param minReplicas the advice's floor
   * @param maxReplicas the advice's ceiling
   * @param holdWhileOpen names of configured breakers whose opening holds scale-out
   */
  public record Signals(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("0.7") double utilisationTarget,
      @DefaultValue("10") double waitingTarget,
      @DefaultValue("1") int minReplicas,
      @DefaultValue("10") int maxReplicas,
      List<String> holdWhileOpen) {

    /** Replaces an absent list by an empty one. */
    public Signals {
      holdWhileOpen = holdWhileOpen == null ? List.of() : List.copyOf(holdWhileOpen);
    }
  }

  /**
   * What readiness follows: a warm-up gate, and the shedder refusing most traffic.
   *
   * @param enabled whether Headroom publishes readiness changes
   * @param warmUp how long after the application is ready before it accepts traffic
   * @param refusedFraction the fraction of requests refused over an interval at which the
   *     application stops accepting traffic, in (0, 1]
   * @param minimumRequests requests an interval must hold before that fraction is judged
   * @param interval how often readiness is evaluated
   */
  public record Readiness(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("0s") Duration warmUp,
      @DefaultValue("0.5") double refusedFraction,
      @DefaultValue("20") int minimumRequests,
      @DefaultValue("1s") Duration interval) {}

  /**
   * The Micrometer binding.
   *
   * @param enabled whether to bind Headroom's meters to the application's registry
   */
  public record Metrics(@DefaultValue("true") boolean enabled) {}

  /**
   * Live re-reading of the changeable properties from a file (for example a mounted
   * ConfigMap), without Spring Cloud.
   *
   * @param file a {@code .properties} or {@code .yml} file holding {@code headroom.*} keys;
   *     absent to turn reloading off
   * @param interval how often the file is checked
   */
  public record Reload(String file, @DefaultValue("10s") Duration interval) {}

  /**
   * HTTP: the shedding filter on the server side, the resilient client on the calling side.
   * Both need headroom-http on the class path. Read at startup only.
   *
   * @param filter the shedding filter
   * @param client the {@code HeadroomHttpClient} bean
   */
  public record Http(@DefaultValue Filter filter, @DefaultValue Client client) {}

  /**
   * The shedding filter ({@code ShedFilter}): every request of a servlet web application passes
   * through the application's shedder ({@code headroom.shedder}, which must be enabled), and a
   * refused one is answered {@code 429} with {@code Retry-After}. Actuator's endpoints are
   * never shed.
   *
   * @param enabled whether to register the filter
   * @param routes path prefixes and the priority of requests under them, tried in order; a
   *     trailing {@code /**} is taken as the prefix ending in {@code /}; in YAML write each key
   *     in brackets ({@code "[/reports/**]": low}) so that its slashes are kept
   * @param header the request header a priority is read from (low, normal, high); default
   *     {@code X-Priority}
   * @param defaultPriority the priority of requests no route and no header places; default
   *     normal
   * @param healthPrefix a path prefix that is never shed; default Actuator's base path when
   *     Actuator is served on the application's port, else {@code /health}
   * @param order the filter's order; default {@code Ordered.HIGHEST_PRECEDENCE + 10}, after
   *     character encoding and the request observation, before security
   */
  public record Filter(
      @DefaultValue("false") boolean enabled,
      Map<String, Priority> routes,
      String header,
      Priority defaultPriority,
      String healthPrefix,
      Integer order) {

    /** Replaces an absent map by an empty one and keeps the configured order. */
    public Filter {
      routes = ordered(routes);
    }
  }

  /**
   * The {@code HeadroomHttpClient} bean: one guard (breaker, optional limit, adaptive deadline)
   * and one retry budget per dependency (the request URI's {@code host:port}). An option left
   * out keeps the library's default.
   *
   * @param enabled whether to create the client
   * @param maxDependencies the most dependencies with a guard of their own, in [1, 10000];
   *     further ones share the overflow guard
   * @param deadlineCeiling the ceiling of each dependency's adaptive deadline
   * @param limit each dependency's concurrency limit; absent for none
   * @param connectTimeout the connect timeout of the JDK client built when the application has
   *     no {@code java.net.http.HttpClient} bean
   * @param retry the retry policy
   * @param retryBudget each dependency's retry budget
   */
  public record Client(
      @DefaultValue("false") boolean enabled,
      Integer maxDependencies,
      Duration deadlineCeiling,
      Limit limit,
      Duration connectTimeout,
      @DefaultValue Retry retry,
      @DefaultValue RetryBudget retryBudget) {}

  /**
   * The client's retry policy; each option maps to the {@code RetryPolicy.Builder} setter of the
   * same name.
   *
   * @param maxAttempts the most attempts per call, the first included, in [1, 10]
   * @param baseBackoff the back-off cap of the first retry
   * @param maxBackoff the largest back-off cap
   * @param maxRetryAfter the longest {@code Retry-After} wait honoured
   * @param retryNonIdempotent whether a non-idempotent request may be retried
   * @param hedgeAfter when set, an idempotent call still unanswered after it is hedged
   * @param retryStatuses the statuses that are retried
   */
  public record Retry(Integer maxAttempts, Duration baseBackoff, Duration maxBackoff,
      Duration maxRetryAfter, Boolean retryNonIdempotent, Duration hedgeAfter,
      List<Integer> retryStatuses) {}

  /**
   * Each dependency's retry budget, Finagle's ratio form ({@code RetryBudget.ratio()}).
   *
   * @param percentCanRetry retries allowed as a fraction of requests, in [0, 1]
   * @param ttl the window requests and retries are counted over
   * @param minRetriesPerSecond the floor of retries allowed per second
   */
  public record RetryBudget(Double percentCanRetry, Duration ttl, Integer minRetriesPerSecond) {}
}
