package dev.headroom.budget;

import dev.headroom.core.Checks;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster-wide connection budget: how many connections each pod of each service sharing one
 * database may open, so that the sum over every pod never exceeds what the database accepts.
 *
 * <h2>The arithmetic</h2>
 *
 * <pre>
 * available = max_connections
 *           - superuser_reserved_connections - reserved_connections
 *           - admin and migration headroom
 *           - other clients (cron jobs, BI tools, replication, anything not budgeted here)
 *
 * for each service s (maxPods = HPA maxReplicas + rollout surge):
 *   floor_s  = maxPods_s x poolsPerPod_s               one connection per pool per pod
 *   spare    = available - sum(floor_s)
 *   share_s  = floor_s + floor(spare x weight_s / sum(weights))
 *
 *   per-pod maximum pool size at n pods = min(ceiling_s, floor(share_s / (n x poolsPerPod_s)))
 *   per-pod maximum pool size           = the same at n = maxPods_s (safe at every pod count)
 *   per-pod minimum idle                = the per-pod maximum pool size at maxPods_s
 * </pre>
 *
 * <p>Every pool of every pod may therefore open its maximum at once, at the declared maximum of
 * pods, and the database still has its reserved slots, the admin headroom and the other clients'
 * connections free. Minimum idle is the size every pod keeps even at the declared maximum, so a
 * pod never holds idle connections it would have to give back when the service scales out; a
 * {@link PoolSizer} raises the maximum above it when fewer pods run.
 *
 * <p>A configuration in which even one connection per pool per pod does not fit is rejected at
 * {@link Builder#build()} with a message that names every number. {@link #explain()} writes the
 * arithmetic out for logs and reviews.
 *
 * <h2>With a pooler in front (PgBouncer, RDS Proxy)</h2>
 *
 * <p>The application's pools then connect to the pooler, not to the database, so the budget that
 * is divided among the services is the pooler's, and the database only has to hold the pooler's
 * own server connections:
 * <ul>
 *   <li>the pooler's {@linkplain Pooler#serverConnections() server connections} must fit in the
 *       database's available connections (checked at {@code build()});
 *   <li>in {@link PoolerMode#TRANSACTION} mode (PgBouncer {@code pool_mode=transaction}, RDS Proxy
 *       without session pinning) a client connection holds a server connection only during a
 *       transaction: the services share the pooler's
 *       {@linkplain Pooler#maxClientConnections() client connection limit};
 *   <li>in {@link PoolerMode#SESSION} mode (or RDS Proxy with pinned sessions) every open client
 *       connection pins a server connection: the services share the smaller of the two limits.
 * </ul>
 *
 * <p>Thread-safety: immutable.
 */
public final class PoolBudget {

  private final int maxConnections;
  private final int superuserReservedConnections;
  private final int reservedConnections;
  private final int adminHeadroom;
  private final int otherClients;
  private final List<Service> services;
  private final Pooler pooler;
  private final int databaseAvailable;
  private final int available;
  private final Map<String, Allocation> allocations;

  private PoolBudget(Builder b) {
    this.maxConnections = b.maxConnections;
    this.superuserReservedConnections =
        b.superuserReservedConnections < 0 ? 3 : b.superuserReservedConnections;
    this.reservedConnections = Math.max(0, b.reservedConnections);
    this.adminHeadroom = Math.max(0, b.adminHeadroom);
    this.otherClients = Math.max(0, b.otherClients);
    this.services = List.copyOf(b.services);
    this.pooler = b.pooler;

    long taken = (long) superuserReservedConnections + reservedConnections + adminHeadroom
        + otherClients;
    if (taken >= maxConnections) {
      throw new IllegalArgumentException(
          "superuserReservedConnections + reservedConnections + adminHeadroom + otherClients"
              + " must be < maxConnections " + maxConnections + " (was "
              + superuserReservedConnections + " + " + reservedConnections + " + "
              + adminHeadroom + " + " + otherClients + " = " + taken + ")");
    }
    this.databaseAvailable = (int) (maxConnections - taken);

    if (pooler == null) {
      this.available = databaseAvailable;
    } else {
      Checks.requireArgument(pooler.serverConnections() <= databaseAvailable,
          "pooler.serverConnections", "<= the database's available connections "
              + databaseAvailable + " (" + databaseArithmetic() + ")",
          pooler.serverConnections());
      this.available = pooler.mode() == PoolerMode.SESSION
          ? Math.min(pooler.serverConnections(), pooler.maxClientConnections())
          : pooler.maxClientConnections();
    }

    long floors = 0;
    StringBuilder pods = new StringBuilder();
    for (Service s : services) {
      floors += (long) s.maxPods() * s.poolsPerPod();
      pods.append(pods.length() == 0 ? "" : ", ").append(s.name()).append(' ')
          .append(s.maxPods()).append(" pods x ").append(s.poolsPerPod())
          .append(s.poolsPerPod() == 1 ? " pool" : " pools");
    }
    if (floors > available) {
      throw new IllegalArgumentException("connections available to services must be >= one per"
          + " pool per pod at the declared maximum (was " + available + " for " + floors
          + " pools: " + availableArithmetic() + "; " + pods + ")");
    }
    long spare = available - floors;
    // Exact arithmetic: the floors of the weighted parts never add up to more than the spare,
    // which binary doubles summed and divided could not promise.
    BigDecimal weightSum = BigDecimal.ZERO;
    for (Service s : services) {
      weightSum = weightSum.add(new BigDecimal(s.weight()));
    }
    Map<String, Allocation> byName = new LinkedHashMap<>();
    for (Service s : services) {
      int floor = s.maxPods() * s.poolsPerPod();
      int share = floor + BigDecimal.valueOf(spare).multiply(new BigDecimal(s.weight()))
          .divide(weightSum, 0, RoundingMode.FLOOR).intValueExact();
      byName.put(s.name(), new Allocation(s, share, perPod(s, share, s.maxPods()),
          perPod(s, share, s.maxPods())));
    }
    this.allocations = Collections.unmodifiableMap(byName);
  }

  private static int perPod(Service s, int share, int pods) {
    return Math.min(s.poolSizeCeiling(), share / (pods * s.poolsPerPod()));
  }

  /**
   * Starts a budget.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the database's {@code max_connections}.
   *
   * @return the configured value
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Returns {@code superuser_reserved_connections}.
   *
   * @return the configured value
   */
  public int superuserReservedConnections() {
    return superuserReservedConnections;
  }

  /**
   * Returns {@code reserved_connections} (PostgreSQL 16 and later).
   *
   * @return the configured value
   */
  public int reservedConnections() {
    return reservedConnections;
  }

  /**
   * Returns the connections kept free for administrators and migrations.
   *
   * @return the configured value
   */
  public int adminHeadroom() {
    return adminHeadroom;
  }

  /**
   * Returns the connections used by clients this budget does not size.
   *
   * @return the configured value
   */
  public int otherClients() {
    return otherClients;
  }

  /**
   * Returns the services sharing the database, in the order they were added.
   *
   * @return an unmodifiable list
   */
  public List<Service> services() {
    return services;
  }

  /**
   * Returns the pooler in front of the database, if any.
   *
   * @return the pooler, or empty when services connect directly
   */
  public Optional<Pooler> pooler() {
    return Optional.ofNullable(pooler);
  }

  /**
   * Returns the database connections left after reserved slots, admin headroom and other clients.
   *
   * @return {@code max_connections - reserved - admin headroom - other clients}
   */
  public int databaseAvailable() {
    return databaseAvailable;
  }

  /**
   * Returns the connections divided among the services: the database's available connections,
   * or the pooler's budget when there is a pooler (see the class documentation).
   *
   * @return the connections the services share
   */
  public int available() {
    return available;
  }

  /**
   * Returns each service's allocation, in the order the services were added.
   *
   * @return an unmodifiable list
   */
  public List<Allocation> allocations() {
    return List.copyOf(allocations.values());
  }

  /**
   * Returns one service's allocation.
   *
   * @param service the service's name
   * @return its allocation
   * @throws IllegalArgumentException if no service has this name
   */
  public Allocation allocation(String service) {
    Allocation a = allocations.get(Checks.requireNonNull("service", service));
    Checks.requireArgument(a != null, "service", "one of " + allocations.keySet(), service);
    return a;
  }

  /**
   * Returns the per-pod maximum pool size of a service when {@code pods} pods share its budget,
   * also above the declared maximum: more pods than declared shrink every pool to the share the
   * live count allows. When even one connection per pool per pod no longer fits
   * ({@code pods x poolsPerPod > share}, see {@link #fitsOnePerPool}) the answer is 1: a pool
   * cannot be smaller and still serve, and the database refuses the pods beyond its limit.
   *
   * @param service the service's name
   * @param pods the number of pods to size for, {@code >= 1}
   * @return {@code max(1, min(ceiling, floor(share / (pods x poolsPerPod))))}
   * @throws IllegalArgumentException if no service has this name, or {@code pods < 1}
   */
  public int maxPoolSizeFor(String service, int pods) {
    Allocation a = allocation(service);
    Checks.requirePositive("pods", pods);
    return Math.max(1, (int) Math.min(a.service().poolSizeCeiling(),
        a.share() / ((long) pods * a.service().poolsPerPod())));
  }

  /**
   * Tells whether one connection per pool per pod fits in a service's share at a pod count:
   * true at every count up to the declared maximum (checked at {@code build()}), and above it
   * up to {@code share / poolsPerPod} pods.
   *
   * @param service the service's name
   * @param pods the pod count, {@code >= 1}
   * @return whether {@code pods x poolsPerPod <= share}
   * @throws IllegalArgumentException if no service has this name, or {@code pods < 1}
   */
  public boolean fitsOnePerPool(String service, int pods) {
    Allocation a = allocation(service);
    Checks.requirePositive("pods", pods);
    return (long) pods * a.service().poolsPerPod() <= a.share();
  }

  /**
   * Checks an existing static pool size against the budget: the assumption nobody wrote down.
   * A static pool of {@code poolSizePerPod} per pool, at the service's declared maximum of pods,
   * can open {@code poolSizePerPod x poolsPerPod x maxPods} connections; if that exceeds the
   * service's share, the returned finding says by how much and at which pod the wall stands.
   *
   * @param service the service's name
   * @param poolSizePerPod the pool size each pool of each pod is configured with today
   * @return a finding if the static size can exceed the share, else empty
   * @throws IllegalArgumentException if no service has this name or the size is not {@code > 0}
   */
  public Optional<StaticPoolFinding> checkStaticPool(String service, int poolSizePerPod) {
    Allocation a = allocation(service);
    Checks.requirePositive("poolSizePerPod", poolSizePerPod);
    Service s = a.service();
    long demand = (long) poolSizePerPod * s.poolsPerPod() * s.maxPods();
    if (demand <= a.share()) {
      return Optional.empty();
    }
    int podsThatFit = a.share() / (poolSizePerPod * s.poolsPerPod());
    return Optional.of(new StaticPoolFinding(s.name(), poolSizePerPod, s.poolsPerPod(),
        s.maxReplicas(), s.maxSurge(), demand, a.share(), demand - a.share(), podsThatFit + 1,
        a.maxPoolSize()));
  }

  /**
   * Writes the arithmetic out, one step per line, for logs and reviews.
   *
   * @return a multi-line explanation ending with a newline
   */
  public String explain() {
    StringBuilder out = new StringBuilder();
    out.append("max_connections ").append(maxConnections).append('\n')
        .append("  - superuser_reserved_connections ").append(superuserReservedConnections)
        .append('\n')
        .append("  - reserved_connections ").append(reservedConnections).append('\n')
        .append("  - admin and migration headroom ").append(adminHeadroom).append('\n')
        .append("  - other clients ").append(otherClients).append('\n')
        .append("  = ").append(databaseAvailable).append(" available at the database\n");
    if (pooler != null) {
      out.append(pooler.name()).append(" (").append(pooler.mode().name().toLowerCase())
          .append(" mode) holds ").append(pooler.serverConnections())
          .append(" server connections of those ").append(databaseAvailable)
          .append(" and accepts ").append(pooler.maxClientConnections())
          .append(" client connections\n");
      if (pooler.mode() == PoolerMode.SESSION) {
        out.append("  every client connection pins a server connection: services share min(")
            .append(pooler.serverConnections()).append(", ").append(pooler.maxClientConnections())
            .append(") = ").append(available).append('\n');
      } else {
        out.append("  a client connection holds a server connection only during a transaction:"
            + " services share the pooler's ").append(available).append(" client connections\n");
      }
    }
    long floors = 0;
    double weights = 0;
    for (Service s : services) {
      floors += (long) s.maxPods() * s.poolsPerPod();
      weights += s.weight();
    }
    long spare = available - floors;
    out.append("one connection per pool per pod at the declared maximum: ").append(floors)
        .append("; spare ").append(available).append(" - ").append(floors).append(" = ")
        .append(spare).append(", split by weight\n");
    long used = 0;
    for (Allocation a : allocations.values()) {
      Service s = a.service();
      int floor = s.maxPods() * s.poolsPerPod();
      out.append(s.name()).append(": max pods ").append(s.maxReplicas()).append(" + surge ")
          .append(s.maxSurge()).append(" = ").append(s.maxPods()).append(", ")
          .append(s.poolsPerPod()).append(s.poolsPerPod() == 1 ? " pool" : " pools")
          .append(" per pod, weight ").append(num(s.weight())).append(" of ")
          .append(num(weights)).append('\n')
          .append("  share ").append(floor).append(" + floor(").append(spare).append(" x ")
          .append(num(s.weight())).append(" / ").append(num(weights))
          .append(") = ").append(a.share()).append('\n')
          .append("  per-pod maximum pool size floor(").append(a.share()).append(" / (")
          .append(s.maxPods()).append(" x ").append(s.poolsPerPod()).append(")) = ")
          .append(a.share() / floor);
      if (s.poolSizeCeiling() < a.share() / floor) {
        out.append(", capped at the ceiling ").append(s.poolSizeCeiling());
      }
      long atMax = (long) a.maxPoolSize() * floor;
      used += atMax;
      out.append("; ").append(atMax).append(" connections at ").append(s.maxPods())
          .append(" pods\n")
          .append("  per-pod minimum idle ").append(a.minIdle()).append('\n');
    }
    out.append("total at the declared maximum ").append(used).append(" of ").append(available)
        .append(" (").append(available - used).append(" unused by rounding)\n");
    return out.toString();
  }

  /** Prints a weight without a trailing ".0" when it is integral. */
  static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  @Override
  public String toString() {
    return "PoolBudget[" + availableArithmetic() + "; " + allocations.values() + "]";
  }

  private String databaseArithmetic() {
    return "max_connections " + maxConnections + " - superuser reserved "
        + superuserReservedConnections + " - reserved " + reservedConnections
        + " - admin headroom " + adminHeadroom + " - other clients " + otherClients + " = "
        + databaseAvailable;
  }

  private String availableArithmetic() {
    if (pooler == null) {
      return databaseArithmetic();
    }
    return pooler.name() + " " + pooler.mode().name().toLowerCase() + " mode: "
        + (pooler.mode() == PoolerMode.SESSION
            ? "min(" + pooler.serverConnections() + " server, " + pooler.maxClientConnections()
                + " client connections)"
            : pooler.maxClientConnections() + " client connections")
        + " = " + available;
  }

  /**
   * One service's part of the budget.
   *
   * <p>Thread-safety: immutable.
   *
   * @param service the service
   * @param share the connections its pods share, {@code >= maxPods x poolsPerPod}
   * @param maxPoolSize each pool's maximum size when the service runs its declared maximum of
   *     pods: safe at every pod count, {@code >= 1}
   * @param minIdle each pool's minimum idle connections, {@code <= maxPoolSize}
   */
  public record Allocation(Service service, int share, int maxPoolSize, int minIdle) {}

  /** How a pooler maps client connections to server connections. Thread-safety: immutable. */
  public enum PoolerMode {
    /** A client connection holds a server connection only for the length of a transaction. */
    TRANSACTION,
    /** A client connection holds a server connection for as long as it is open. */
    SESSION
  }

  /**
   * A service that shares the database: its pods and its weight in the split.
   *
   * <p>Thread-safety: immutable.
   *
   * @param name the service's name, unique within a budget
   * @param maxReplicas the HPA's {@code maxReplicas} (or the fixed replica count)
   * @param maxSurge pods beyond the replica count that can hold connections at once during a
   *     rollout, counting old pods still shutting down
   * @param weight the service's weight in the split of the spare connections
   * @param poolsPerPod the number of pools each pod runs against this database (a read pool and
   *     a write pool are two)
   * @param poolSizeCeiling the largest per-pod pool size worth having (threads that can use a
   *     connection), or {@link Integer#MAX_VALUE} for none
   */
  public record Service(String name, int maxReplicas, int maxSurge, double weight,
      int poolsPerPod, int poolSizeCeiling) {

    /**
     * Validates the service.
     *
     * @throws IllegalArgumentException if a value is out of range (same messages as the
     *     builder), or {@code maxReplicas + maxSurge} overflows
     */
    public Service {
      Checks.requireNonBlank("name", name);
      Checks.requirePositive("maxReplicas", maxReplicas);
      Checks.requireNonNegative("maxSurge", maxSurge);
      Checks.requirePositive("weight", weight);
      Checks.requirePositive("poolsPerPod", poolsPerPod);
      Checks.requirePositive("poolSizeCeiling", poolSizeCeiling);
      Checks.requireArgument(((long) maxReplicas + maxSurge) * poolsPerPod
              <= Integer.MAX_VALUE, "(maxReplicas + maxSurge) x poolsPerPod",
          "<= " + Integer.MAX_VALUE, ((long) maxReplicas + maxSurge) * poolsPerPod);
    }

    /**
     * Starts a service.
     *
     * @param name the service's name
     * @return a new builder
     * @throws IllegalArgumentException if the name is null or blank
     */
    public static ServiceBuilder builder(String name) {
      return new ServiceBuilder(Checks.requireNonBlank("name", name));
    }

    /**
     * Returns the most pods that can hold connections at once.
     *
     * @return {@code maxReplicas + maxSurge}
     */
    public int maxPods() {
      return maxReplicas + maxSurge;
    }
  }

  /**
   * Builds a {@link Service}. Each setter validates its argument; each may be called once.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class ServiceBuilder {
    private final String name;
    private int maxReplicas = -1;
    private int maxSurge = -1;
    private int maxSurgePercent = -1;
    private double weight = Double.NaN;
    private int poolsPerPod = -1;
    private int poolSizeCeiling = -1;

    private ServiceBuilder(String name) {
      this.name = name;
    }

    /**
     * Sets the HPA's {@code maxReplicas} (or the fixed replica count). Required.
     *
     * @param pods the most replicas, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code pods <= 0}
     * @throws IllegalStateException if already set
     */
    public ServiceBuilder maxReplicas(int pods) {
      Checks.requirePositive("maxReplicas", pods);
      Checks.requireNotSet(maxReplicas < 0, "maxReplicas", maxReplicas);
      maxReplicas = pods;
      return this;
    }

    /**
     * Sets the rollout surge as a pod count: pods beyond the replica count that can hold
     * connections at once during a rollout, counting old pods still shutting down. Default 0.
     *
     * @param pods the surge, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code pods < 0}
     * @throws IllegalStateException if the surge was already set, as a count or a percentage
     */
    public ServiceBuilder maxSurge(int pods) {
      Checks.requireNonNegative("maxSurge", pods);
      Checks.requireNotSet(maxSurge < 0, "maxSurge", maxSurge);
      Checks.requireNotSet(maxSurgePercent < 0, "maxSurgePercent", maxSurgePercent);
      maxSurge = pods;
      return this;
    }

    /**
     * Sets the rollout surge as a percentage of {@code maxReplicas}, rounded up as Kubernetes
     * rounds a Deployment's {@code maxSurge} (25% of 95 is 24 pods).
     *
     * @param percent the surge percentage, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code percent < 0}
     * @throws IllegalStateException if the surge was already set, as a count or a percentage
     */
    public ServiceBuilder maxSurgePercent(int percent) {
      Checks.requireNonNegative("maxSurgePercent", percent);
      Checks.requireNotSet(maxSurge < 0, "maxSurge", maxSurge);
      Checks.requireNotSet(maxSurgePercent < 0, "maxSurgePercent", maxSurgePercent);
      maxSurgePercent = percent;
      return this;
    }

    /**
     * Sets the weight in the split of the spare connections. Default 1.
     *
     * @param value a finite weight {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if not finite and {@code > 0}
     * @throws IllegalStateException if already set
     */
    public ServiceBuilder weight(double value) {
      Checks.requirePositive("weight", value);
      Checks.requireNotSet(Double.isNaN(weight), "weight", weight);
      weight = value;
      return this;
    }

    /**
     * Sets how many pools each pod runs against this database. Default 1.
     *
     * @param pools the pools per pod, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code pools <= 0}
     * @throws IllegalStateException if already set
     */
    public ServiceBuilder poolsPerPod(int pools) {
      Checks.requirePositive("poolsPerPod", pools);
      Checks.requireNotSet(poolsPerPod < 0, "poolsPerPod", poolsPerPod);
      poolsPerPod = pools;
      return this;
    }

    /**
     * Sets the largest per-pod pool size worth having, whatever the budget allows (a pod with 16
     * request threads gains nothing from 200 connections). Default: no ceiling.
     *
     * @param size the ceiling, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code size <= 0}
     * @throws IllegalStateException if already set
     */
    public ServiceBuilder poolSizeCeiling(int size) {
      Checks.requirePositive("poolSizeCeiling", size);
      Checks.requireNotSet(poolSizeCeiling < 0, "poolSizeCeiling", poolSizeCeiling);
      poolSizeCeiling = size;
      return this;
    }

    /**
     * Builds the service.
     *
     * @return the service
     * @throws IllegalStateException if {@code maxReplicas} was not set
     * @throws IllegalArgumentException if {@code maxReplicas + maxSurge} is too large
     */
    public Service build() {
      Checks.requireState(maxReplicas > 0, "maxReplicas of service \"" + name + "\" must be set");
      int surge = maxSurge >= 0 ? maxSurge
          : maxSurgePercent >= 0 ? (int) Math.min(Integer.MAX_VALUE,
              ((long) maxReplicas * maxSurgePercent + 99) / 100)
          : 0;
      return new Service(name, maxReplicas, surge, Double.isNaN(weight) ? 1.0 : weight,
          poolsPerPod < 0 ? 1 : poolsPerPod,
          poolSizeCeiling < 0 ? Integer.MAX_VALUE : poolSizeCeiling);
    }
  }

  /**
   * A connection pooler in front of the database (PgBouncer, RDS Proxy, pgcat).
   *
   * <p>Thread-safety: immutable.
   *
   * @param name a name for explanations, e.g. {@code "pgbouncer"}
   * @param mode how client connections map to server connections
   * @param serverConnections the most connections the pooler opens to the database (PgBouncer:
   *     {@code default_pool_size} plus {@code reserve_pool_size} over its users and databases;
   *     RDS Proxy: {@code MaxConnectionsPercent} of {@code max_connections})
   * @param maxClientConnections the most client connections the pooler accepts (PgBouncer
   *     {@code max_client_conn})
   */
  public record Pooler(String name, PoolerMode mode, int serverConnections,
      int maxClientConnections) {

    /**
     * Validates the pooler.
     *
     * @throws IllegalArgumentException if a value is null, blank or not {@code > 0}
     */
    public Pooler {
      Checks.requireNonBlank("pooler.name", name);
      Checks.requireNonNull("pooler.mode", mode);
      Checks.requirePositive("pooler.serverConnections", serverConnections);
      Checks.requirePositive("pooler.maxClientConnections", maxClientConnections);
    }
  }

  /**
   * Builds a {@link PoolBudget}. Each setter validates its argument and may be called once;
   * {@link #build()} checks the combination.
   *
   * <p>Thread-safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private int maxConnections = -1;
    private int superuserReservedConnections = -1;
    private int reservedConnections = -1;
    private int adminHeadroom = -1;
    private int otherClients = -1;
    private final List<Service> services = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private Pooler pooler;

    private Builder() {}

    /**
     * Sets the database's {@code max_connections}. Required.
     *
     * @param connections the server's limit, {@code > 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code connections <= 0}
     * @throws IllegalStateException if already set
     */
    public Builder maxConnections(int connections) {
      Checks.requirePositive("maxConnections", connections);
      Checks.requireNotSet(maxConnections < 0, "maxConnections", maxConnections);
      maxConnections = connections;
      return this;
    }

    /**
     * Sets {@code superuser_reserved_connections}. Default 3, PostgreSQL's default.
     *
     * @param connections the reserved slots, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code connections < 0}
     * @throws IllegalStateException if already set
     */
    public Builder superuserReservedConnections(int connections) {
      Checks.requireNonNegative("superuserReservedConnections", connections);
      Checks.requireNotSet(superuserReservedConnections < 0, "superuserReservedConnections",
          superuserReservedConnections);
      superuserReservedConnections = connections;
      return this;
    }

    /**
     * Sets {@code reserved_connections} (PostgreSQL 16 and later, for roles with
     * {@code pg_use_reserved_connections}). Default 0, PostgreSQL's default.
     *
     * @param connections the reserved slots, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code connections < 0}
     * @throws IllegalStateException if already set
     */
    public Builder reservedConnections(int connections) {
      Checks.requireNonNegative("reservedConnections", connections);
      Checks.requireNotSet(reservedConnections < 0, "reservedConnections", reservedConnections);
      reservedConnections = connections;
      return this;
    }

    /**
     * Sets the connections kept free for administrators, migrations and incident response,
     * beyond the server's reserved slots. Default 0.
     *
     * @param connections the headroom, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code connections < 0}
     * @throws IllegalStateException if already set
     */
    public Builder adminHeadroom(int connections) {
      Checks.requireNonNegative("adminHeadroom", connections);
      Checks.requireNotSet(adminHeadroom < 0, "adminHeadroom", adminHeadroom);
      adminHeadroom = connections;
      return this;
    }

    /**
     * Sets the connections used by clients this budget does not size: cron jobs, BI tools,
     * replication, services not listed. Default 0.
     *
     * @param connections their most connections, {@code >= 0}
     * @return this builder
     * @throws IllegalArgumentException if {@code connections < 0}
     * @throws IllegalStateException if already set
     */
    public Builder otherClients(int connections) {
      Checks.requireNonNegative("otherClients", connections);
      Checks.requireNotSet(otherClients < 0, "otherClients", otherClients);
      otherClients = connections;
      return this;
    }

    /**
     * Adds a service that shares the database. At least one is required.
     *
     * @param service the service
     * @return this builder
     * @throws IllegalArgumentException if null or a service with the same name was added
     */
    public Builder service(Service service) {
      Checks.requireNonNull("service", service);
      Checks.requireArgument(names.add(service.name()), "service name", "unique",
          service.name());
      services.add(service);
      return this;
    }

    /**
     * Puts a pooler in front of the database (see {@link PoolBudget} for what changes).
     *
     * @param value the pooler
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder pooler(Pooler value) {
      Checks.requireNonNull("pooler", value);
      Checks.requireNotSet(pooler == null, "pooler", pooler);
      pooler = value;
      return this;
    }

    /**
     * Builds the budget.
     *
     * @return the budget
     * @throws IllegalStateException if {@code maxConnections} was not set or no service was added
     * @throws IllegalArgumentException if the reserved slots, headroom and other clients take
     *     every connection, if the pooler's server connections do not fit, or if even one
     *     connection per pool per pod does not fit at the declared maximum; the message names
     *     the numbers
     */
    public PoolBudget build() {
      Checks.requireState(maxConnections > 0, "maxConnections must be set");
      Checks.requireState(!services.isEmpty(), "at least one service must be added");
      return new PoolBudget(this);
    }
  }
}
