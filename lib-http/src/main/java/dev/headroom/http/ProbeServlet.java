package dev.headroom.http;

import dev.headroom.core.Checks;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The startup, readiness and liveness endpoints of a {@link ReadinessGate} as a servlet: map it
 * to {@code /health/*} and it answers {@code /health/startup}, {@code /health/ready} and
 * {@code /health/live} with 200 {@code ok} or 503 and one reason per line. Under
 * {@link ShedFilter} with default {@link PriorityRules} these paths are CRITICAL, never shed.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ProbeServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  private final transient ReadinessGate gate;

  /**
   * Creates the servlet.
   *
   * @param gate the gate it reports
   * @throws IllegalArgumentException if {@code gate} is null
   */
  public ProbeServlet(ReadinessGate gate) {
    this.gate = Checks.requireNonNull("gate", gate);
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String path = request.getPathInfo();
    ReadinessGate.Status status = ProbeHandler.probe(gate, path == null ? "" : path);
    if (status == null) {
      response.sendError(404);
      return;
    }
    byte[] body = ProbeHandler.body(status).getBytes(StandardCharsets.UTF_8);
    response.setStatus(status.ok() ? 200 : 503);
    response.setHeader("Cache-Control", "no-store");
    response.setContentType("text/plain;charset=utf-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
