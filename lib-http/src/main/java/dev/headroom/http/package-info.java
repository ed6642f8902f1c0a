/**
 * HTTP adapter: a resilient {@code java.net.http.HttpClient} wrapper (breaker, deadlines,
 * Retry-After honouring, retry budget) and a server-side shedding filter that answers 429 with
 * Retry-After. Uses only the JDK's HTTP client.
 */
package dev.headroom.http;
