package dev.headroom.http;

import dev.headroom.core.Checks;
import dev.headroom.shed.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * How a server request gets its {@link Priority}: route rules first (the first path prefix that
 * matches), then a request header, then the default.
 *
 * <pre>{@code
 * PriorityRules rules = PriorityRules.builder()
 *     .route("/plans/submit", Priority.CRITICAL)
 *     .route("/prefetch/", Priority.LOW)
 *     .header("X-Priority")                 // low, normal, high
 *     .defaultPriority(Priority.NORMAL)
 *     .build();
 * }</pre>
 *
 * <p>The probe paths under {@code healthPrefix} ({@code /health} by default, where
 * {@link ProbeServlet} and {@link ProbeHandler} answer) are always {@code CRITICAL}: they are
 * never shed, so an overloaded pod still answers its liveness probe. A header value is one of
 * {@code low}, {@code normal}, {@code high} (any case); {@code critical} from a header is taken
 * as {@code high}, since any caller can set a header and a caller who could claim CRITICAL
 * could bypass shedding. Any other value gets the default priority and is counted
 * ({@link #unknownHeaderValues()}, meter {@code headroom.http.server.unknown_priority}).
 *
 * <p>Thread-safety: immutable apart from the counter; safe for concurrent use.
 */
public final class PriorityRules {

  private final String[] prefixes;
  private final Priority[] priorities;
  private final String header;
  private final Priority defaultPriority;
  private final String healthPrefix;
  private final LongAdder unknown = new LongAdder();

  private PriorityRules(Builder b) {
    this.prefixes = b.prefixes.toArray(new String[0]);
    this.priorities = b.priorities.toArray(new Priority[0]);
    this.header = b.header;
    this.defaultPriority = b.defaultPriority;
    this.healthPrefix = b.healthPrefix;
  }

  /**
   * Starts a builder: header {@code X-Priority}, default {@code NORMAL}, health prefix
   * {@code /health}, no route rules.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the priority of a request.
   *
   * @param path the request path (without the query), never null
   * @param headerValue the priority header's value, or null when absent
   * @return the priority
   */
  public Priority resolve(String path, String headerValue) {
    if (path.startsWith(healthPrefix)) {
      return Priority.CRITICAL;
    }
    for (int i = 0; i < prefixes.length; i++) {
      if (path.startsWith(prefixes[i])) {
        return priorities[i];
      }
    }
    if (headerValue == null) {
      return defaultPriority;
    }
    if (headerValue.equalsIgnoreCase("low")) {
      return Priority.LOW;
    }
    if (headerValue.equalsIgnoreCase("normal")) {
      return Priority.NORMAL;
    }
    if (headerValue.equalsIgnoreCase("high") || headerValue.equalsIgnoreCase("critical")) {
      return Priority.HIGH;
    }
    unknown.increment();
    return defaultPriority;
  }

  /**
   * Returns the header priorities are read from.
   *
   * @return the header name
   */
  public String header() {
    return header;
  }

  /**
   * Returns the path prefix of the probe endpoints, always CRITICAL.
   *
   * @return the prefix
   */
  public String healthPrefix() {
    return healthPrefix;
  }

  /**
   * Returns how many requests carried a priority header value that is not a priority.
   *
   * @return the count
   */
  public long unknownHeaderValues() {
    return unknown.sum();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("PriorityRules[");
    for (int i = 0; i < prefixes.length; i++) {
      s.append(prefixes[i]).append("->").append(priorities[i]).append(", ");
    }
    return s.append("header ").append(header).append(", default ").append(defaultPriority)
        .append(", health ").append(healthPrefix).append(']').toString();
  }

  /** Builds {@link PriorityRules}. Not thread-safe. */
  public static final class Builder {
    private final List<String> prefixes = new ArrayList<>();
    private final List<Priority> priorities = new ArrayList<>();
    private String header = "X-Priority";
    private Priority defaultPriority = Priority.NORMAL;
    private String healthPrefix = "/health";

    private Builder() {}

    /**
     * Adds a route rule; rules are tried in the order they were added.
     *
     * @param pathPrefix a path prefix starting with {@code /}
     * @param priority the priority of matching requests
     * @return this builder
     * @throws IllegalArgumentException if the prefix does not start with {@code /} or an
     *     argument is null
     */
    public Builder route(String pathPrefix, Priority priority) {
      Checks.requireNonNull("pathPrefix", pathPrefix);
      Checks.requireArgument(pathPrefix.startsWith("/"), "pathPrefix", "a path starting with /",
          pathPrefix);
      priorities.add(Checks.requireNonNull("priority", priority));
      prefixes.add(pathPrefix);
      return this;
    }

    /**
     * Sets the header priorities are read from; {@code X-Priority} by default.
     *
     * @param name the header name
     * @return this builder
     * @throws IllegalArgumentException if null or blank
     */
    public Builder header(String name) {
      this.header = Checks.requireNonBlank("header", name);
      return this;
    }

    /**
     * Sets the priority of requests no rule and no header places; {@code NORMAL} by default.
     *
     * @param value the priority
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder defaultPriority(Priority value) {
      this.defaultPriority = Checks.requireNonNull("defaultPriority", value);
      return this;
    }

    /**
     * Sets the path prefix of the probe endpoints, always CRITICAL; {@code /health} by
     * default.
     *
     * @param value a path starting with {@code /}
     * @return this builder
     * @throws IllegalArgumentException if it does not start with {@code /}
     */
    public Builder healthPrefix(String value) {
      Checks.requireNonNull("healthPrefix", value);
      Checks.requireArgument(value.startsWith("/"), "healthPrefix", "a path starting with /",
          value);
      this.healthPrefix = value;
      return this;
    }

    /**
     * Builds the rules.
     *
     * @return the rules
     */
    public PriorityRules build() {
      return new PriorityRules(this);
    }
  }
}
