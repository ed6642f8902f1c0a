package dev.headroom.http;

import java.net.http.HttpResponse;

/**
 * The answer of {@link HeadroomHttpClient#sendCached}: a response and whether it is stale, that
 * is a cached answer past its expiry, served because the dependency failed or refused.
 *
 * <p>Thread-safety: immutable (the response is the cached one, shared by every caller).
 *
 * @param <T> the body type
 * @param response the response, never null
 * @param stale true if the response is past its expiry and served only as a fallback
 */
public record CachedResponse<T>(HttpResponse<T> response, boolean stale) {}
