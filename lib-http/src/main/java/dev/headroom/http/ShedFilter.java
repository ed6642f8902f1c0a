package dev.headroom.http;

import dev.headroom.core.Checks;
import dev.headroom.core.metrics.Instrumented;
import dev.headroom.core.metrics.MeterSink;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * A servlet {@link Filter} that passes each request through a {@link LoadShedder}: the
 * priority comes from {@link PriorityRules} (route, then header, then default; probe paths are
 * CRITICAL and never shed), and a refused request is answered at once with
 * {@code 429 Too Many Requests}, a {@code Retry-After} header from the shedder's hint and a
 * one-line body naming the reason, e.g. {@code shed: LIMIT (priority LOW, retry after 1 s)}.
 *
 * <pre>{@code
 * LoadShedder shedder = LoadShedder.builder("api").build();
 * FilterRegistration.Dynamic f = context.addFilter("headroom-shed",
 *     new ShedFilter(shedder, PriorityRules.builder().build()));
 * f.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
 * }</pre>
 *
 * <p>An admitted request completes its permit when the chain returns, or, for an asynchronous
 * request, when the container reports its completion, time-out or error: success, unless the
 * response status is 5xx or the chain threw (a drop: overload evidence for an adaptive limit).
 * Latency is measured by the shedder from admission.
 *
 * <p>When the shedder is replaced at run time (a new limit or new shares build a new
 * {@code LoadShedder}, since its configuration is immutable), build the filter on a
 * {@link Supplier} instead: {@link #ShedFilter(Supplier, PriorityRules)} asks it for the
 * current shedder on every request, so a replacement takes effect from the next request, while
 * a request already admitted completes its permit on the shedder that admitted it.
 *
 * <p>Thread-safety: safe for concurrent use; the constructors are plain so that a container or
 * a Spring configuration can build it. Admission takes no lock and allocates nothing beyond
 * what the supplier does (a volatile read, for a supplier that returns a published reference).
 */
public final class ShedFilter implements Filter, Instrumented {

  /** The shedder of the next request; a fixed one for the first constructor. */
  private final Supplier<LoadShedder> shedders;
  /** Whether {@link #shedders} always returns the same shedder. */
  private final boolean fixed;
  private final PriorityRules rules;

  /**
   * Creates the filter around one shedder.
   *
   * @param shedder the shedder every request passes through
   * @param rules how a request gets its priority
   * @throws IllegalArgumentException if an argument is null
   */
  public ShedFilter(LoadShedder shedder, PriorityRules rules) {
    Checks.requireNonNull("shedder", shedder);
    this.shedders = () -> shedder;
    this.fixed = true;
    this.rules = Checks.requireNonNull("rules", rules);
  }

  /**
   * Creates the filter around a shedder that may be replaced: every request is admitted by the
   * shedder the supplier returns at its arrival.
   *
   * <pre>{@code
   * AtomicReference<LoadShedder> current = new AtomicReference<>(shedder);
   * ShedFilter filter = new ShedFilter(current::get, rules);
   * current.set(LoadShedder.builder("api").limit(LimitPolicy.fixed(64)).build()); // live
   * }</pre>
   *
   * <p>The supplier is called on the request path, once per request: it must be cheap, take no
   * lock and never return null (a null fails the request with a
   * {@link NullPointerException}). With a supplier, {@link #describeMeters} declares only the
   * filter's own meter: the shedders come and go, and their meters are their owner's to
   * declare (a meter bound to one instance would go stale when it is replaced).
   *
   * @param shedders returns the current shedder
   * @param rules how a request gets its priority
   * @throws IllegalArgumentException if an argument is null
   */
  public ShedFilter(Supplier<LoadShedder> shedders, PriorityRules rules) {
    this.shedders = Checks.requireNonNull("shedders", shedders);
    this.fixed = false;
    this.rules = Checks.requireNonNull("rules", rules);
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest) || !(response instanceof HttpServletResponse)) {
      chain.doFilter(request, response);
      return;
    }
    HttpServletRequest http = (HttpServletRequest) request;
    HttpServletResponse out = (HttpServletResponse) response;
    String path = http.getRequestURI().substring(http.getContextPath().length());
    Priority priority = rules.resolve(path, http.getHeader(rules.header()));
    Permit permit = shedders.get().tryAcquire(priority);
    if (!permit.isAdmitted()) {
      byte[] body = Refusal.body(permit);
      out.setStatus(Refusal.STATUS);
      out.setHeader("Retry-After", Refusal.retryAfter(permit));
      out.setContentType("text/plain;charset=utf-8");
      out.setContentLength(body.length);
      out.getOutputStream().write(body);
      return;
    }
    boolean async = false;
    try {
      chain.doFilter(request, response);
      if (http.isAsyncStarted()) {
        async = true;
        http.getAsyncContext().addListener(new Completion(permit, out));
      }
    } catch (IOException | ServletException | RuntimeException | Error e) {
      permit.onDropped();
      throw e;
    } finally {
      if (!async) {
        Refusal.complete(permit, out.getStatus());
      }
    }
  }

  /** Completes an asynchronous request's permit once the container is done with it. */
  private static final class Completion implements AsyncListener {
    private final Permit permit;
    private final HttpServletResponse response;

    Completion(Permit permit, HttpServletResponse response) {
      this.permit = permit;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      Refusal.complete(permit, response.getStatus());
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      permit.onDropped();
    }

    @Override
    public void onError(AsyncEvent event) {
      permit.onDropped();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }

  /**
   * Returns the shedder the next request would pass through.
   *
   * @return the shedder
   */
  public LoadShedder shedder() {
    return shedders.get();
  }

  /**
   * Returns the priority rules.
   *
   * @return the rules
   */
  public PriorityRules rules() {
    return rules;
  }

  /**
   * Describes {@code headroom.http.server.unknown_priority} (tag {@code name}: the shedder's
   * name), and, for a filter built on one shedder, that shedder's meters.
   *
   * @param sink receives the meters
   */
  @Override
  public void describeMeters(MeterSink sink) {
    if (fixed) {
      Refusal.describe(sink, shedders.get(), rules);
    } else {
      Refusal.describeRules(sink, shedders.get().name(), rules);
    }
  }

  @Override
  public String toString() {
    return "ShedFilter[" + (fixed ? shedders.get().toString() : "current " + shedders.get())
        + ", " + rules + "]";
  }
}
