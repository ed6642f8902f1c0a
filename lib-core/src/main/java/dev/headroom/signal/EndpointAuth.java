package dev.headroom.signal;

import dev.headroom.core.Checks;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@link KedaMetricsEndpoint} authenticates requests: the modes KEDA's {@code metrics-api}
 * scaler supports.
 *
 * <table>
 *   <caption>Modes and their KEDA {@code TriggerAuthentication}</caption>
 *   <tr><th>factory</th><th>request carries</th><th>KEDA {@code authModes}</th></tr>
 *   <tr><td>{@link #none()}</td><td>nothing</td><td>(none)</td></tr>
 *   <tr><td>{@link #apiKey(String)}</td><td>header {@code X-API-KEY: key}</td>
 *       <td>{@code apiKey} (secret {@code apiKey})</td></tr>
 *   <tr><td>{@link #apiKeyHeader(String, String)}</td><td>your header</td>
 *       <td>{@code apiKey}, trigger metadata {@code keyParamName}</td></tr>
 *   <tr><td>{@link #apiKeyQuery(String, String)}</td><td>query parameter</td>
 *       <td>{@code apiKey}, metadata {@code method: query} and {@code keyParamName}</td></tr>
 *   <tr><td>{@link #bearer(String)}</td><td>{@code Authorization: Bearer token}</td>
 *       <td>{@code bearer} (secret {@code token})</td></tr>
 *   <tr><td>{@link #basic(String, String)}</td><td>{@code Authorization: Basic ...}</td>
 *       <td>{@code basic} (secrets {@code username}, {@code password})</td></tr>
 * </table>
 *
 * <p>Secrets are kept only as SHA-256 digests, and a presented credential is hashed and the two
 * digests compared with {@link MessageDigest#isEqual}: the comparison takes the same time
 * whatever the presented value and its length, so timing reveals nothing about the secret.
 * A query-parameter key ends up in access logs on the way; prefer a header.
 *
 * <p>Thread-safety: immutable.
 */
public final class EndpointAuth {

  enum Mode { NONE, HEADER, QUERY, BEARER, BASIC }

  private static final EndpointAuth NONE = new EndpointAuth(Mode.NONE, "", null);

  private final Mode mode;
  private final String param;
  private final byte[] digest;

  private EndpointAuth(Mode mode, String param, byte[] digest) {
    this.mode = mode;
    this.param = param;
    this.digest = digest;
  }

  /**
   * No authentication: for an endpoint bound to loopback or behind a network policy.
   *
   * @return the mode
   */
  public static EndpointAuth none() {
    return NONE;
  }

  /**
   * An API key in the {@code X-API-KEY} header, KEDA's default for {@code authModes: apiKey}.
   *
   * @param key the key
   * @return the mode
   * @throws IllegalArgumentException if the key is null or blank
   */
  public static EndpointAuth apiKey(String key) {
    return apiKeyHeader("X-API-KEY", key);
  }

  /**
   * An API key in a header of your choice (KEDA's {@code keyParamName}).
   *
   * @param header the header's name
   * @param key the key
   * @return the mode
   * @throws IllegalArgumentException if an argument is null or blank
   */
  public static EndpointAuth apiKeyHeader(String header, String key) {
    Checks.requireNonBlank("header", header);
    return new EndpointAuth(Mode.HEADER, header, sha256(Checks.requireNonBlank("key", key)));
  }

  /**
   * An API key in a query parameter (KEDA's {@code method: query}; its default parameter is
   * {@code api_key}).
   *
   * @param parameter the parameter's name
   * @param key the key
   * @return the mode
   * @throws IllegalArgumentException if an argument is null or blank
   */
  public static EndpointAuth apiKeyQuery(String parameter, String key) {
    Checks.requireNonBlank("parameter", parameter);
    return new EndpointAuth(Mode.QUERY, parameter, sha256(Checks.requireNonBlank("key", key)));
  }

  /**
   * A bearer token in the {@code Authorization} header.
   *
   * @param token the token
   * @return the mode
   * @throws IllegalArgumentException if the token is null or blank
   */
  public static EndpointAuth bearer(String token) {
    return new EndpointAuth(Mode.BEARER, "Bearer",
        sha256(Checks.requireNonBlank("token", token)));
  }

  /**
   * HTTP basic authentication (RFC 7617, UTF-8).
   *
   * @param username the user name, without {@code ':'}
   * @param password the password
   * @return the mode
   * @throws IllegalArgumentException if an argument is null, the user name is blank or contains
   *     {@code ':'}, or the password is empty
   */
  public static EndpointAuth basic(String username, String password) {
    Checks.requireNonBlank("username", username);
    Checks.requireArgument(username.indexOf(':') < 0, "username", "free of ':'", username);
    Checks.requireNonNull("password", password);
    Checks.requireArgument(!password.isEmpty(), "password", "non-empty", "");
    return new EndpointAuth(Mode.BASIC, "Basic", sha256(username + ":" + password));
  }

  Mode mode() {
    return mode;
  }

  /** The {@code WWW-Authenticate} challenge for a 401, or null when the mode has none. */
  String challenge() {
    switch (mode) {
      case BEARER:
        return "Bearer realm=\"headroom\"";
      case BASIC:
        return "Basic realm=\"headroom\", charset=\"UTF-8\"";
      default:
        return null;
    }
  }

  /**
   * Checks a request's credentials.
   *
   * @param headers the request headers (names compared case-insensitively)
   * @param rawQuery the raw query string, or null
   * @return whether the request is authenticated
   */
  boolean accepts(Map<String, List<String>> headers, String rawQuery) {
    switch (mode) {
      case NONE:
        return true;
      case HEADER:
        return matches(header(headers, param));
      case QUERY:
        return matches(queryParameter(rawQuery, param));
      case BEARER:
      case BASIC:
        String value = header(headers, "Authorization");
        if (value == null || value.length() <= param.length()
            || !value.regionMatches(true, 0, param, 0, param.length())
            || value.charAt(param.length()) != ' ') {
          return matches(null);
        }
        String credential = value.substring(param.length() + 1).trim();
        if (mode == Mode.BEARER) {
          return matches(credential);
        }
        try {
          return matches(new String(Base64.getDecoder().decode(credential),
              StandardCharsets.UTF_8));
        } catch (IllegalArgumentException malformed) {
          return matches(null);
        }
      default:
        return false;
    }
  }

  /** Hashes even a missing credential, so that a miss costs what a wrong value costs. */
  private boolean matches(String presented) {
    byte[] d = sha256(presented == null ? "" : presented);
    return MessageDigest.isEqual(d, digest) & presented != null;
  }

  private static String header(Map<String, List<String>> headers, String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().get(0);
      }
    }
    return null;
  }

  /**
   * Returns a parameter's decoded value from a raw query.
   *
   * @throws IllegalArgumentException if the query's percent-encoding is malformed
   */
  static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return null;
    }
    for (String pair : rawQuery.split("&", -1)) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq),
          StandardCharsets.UTF_8);
      if (key.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 must be available in every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "EndpointAuth[" + mode.name().toLowerCase(Locale.ROOT)
        + (mode == Mode.HEADER || mode == Mode.QUERY ? " " + param : "") + "]";
  }
}
