package dev.headroom.http;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** An embedded Jetty 12 for the filter tests: servlets that hold or answer, on loopback. */
final class Jetty {

  private Jetty() {}

  /**
   * A servlet that signals {@code entered}, waits for {@code release} (at most 10 s, then 500)
   * and answers {@code body}.
   */
  static HttpServlet holding(CountDownLatch entered, CountDownLatch release, String body) {
    return new HttpServlet() {
      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        entered.countDown();
        try {
          if (!release.await(10, TimeUnit.SECONDS)) {
            resp.setStatus(500);
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        resp.setStatus(200);
        resp.getWriter().write(body);
      }
    };
  }

  /** A servlet that answers {@code body} at once. */
  static HttpServlet answering(String body) {
    return new HttpServlet() {
      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.getWriter().write(body);
      }
    };
  }

  /** A context at {@code /}. */
  static ServletContextHandler context() {
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    return context;
  }

  /**
   * Serves the context on a free loopback port.
   *
   * @return the port
   */
  static int start(Server server, ServletContextHandler context) throws Exception {
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
    return connector.getLocalPort();
  }
}
