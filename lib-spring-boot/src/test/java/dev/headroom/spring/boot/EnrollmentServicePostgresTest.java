package dev.headroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.breaker.BreakerState;
import dev.headroom.breaker.CircuitBreaker;
import dev.headroom.budget.PoolBudget;
import dev.headroom.budget.PoolSizer;
import dev.headroom.jdbc.BudgetedDataSource;
import dev.headroom.jdbc.ConnectionRejectedException;
import dev.headroom.shed.Permit;
import dev.headroom.shed.Priority;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The enrollment service of the incident as a real Spring Boot application: embedded Tomcat on a
 * random loopback port, HikariCP against the real PostgreSQL (127.0.0.1:5432, database
 * {@code test}), Actuator over HTTP, everything configured from {@code headroom.*} properties.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.application.name=enrollment",
    "server.address=127.0.0.1",
    "spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/test",
    "spring.datasource.username=postgres",
    "spring.datasource.hikari.connection-timeout=1000",
    "spring.datasource.hikari.pool-name=enrollment-db",
    "management.endpoints.web.exposure.include=health,headroom",
    "management.endpoint.health.show-details=always",
    "management.endpoint.health.probes.enabled=true",
    "headroom.breakers.eligibility-api.failure-rate-threshold=0.5",
    "headroom.breakers.enrollment-db.consecutive-failures=5",
    "headroom.shedder.enabled=true",
    "headroom.shedder.limit.type=fixed",
    "headroom.shedder.limit.initial=10",
    "headroom.readiness.interval=1h",
    "headroom.budget.max-connections=40",
    "headroom.budget.superuser-reserved-connections=3",
    "headroom.budget.admin-headroom=2",
    "headroom.budget.services.enrollment.max-replicas=10",
    "headroom.budget.services.eligibility.max-replicas=5",
    "headroom.budget.pods=4",
    "headroom.budget.hold-window=0s",
    "headroom.jdbc.enabled=true",
    "headroom.jdbc.acquire-timeout=200ms",
    "headroom.jdbc.default-query-timeout=2s",
    "headroom.jdbc.statement-deadline.fixed=1500ms",
    "headroom.jdbc.breaker=enrollment-db",
    "headroom.signals.enabled=true",
    "headroom.signals.max-replicas=10",
    "headroom.signals.hold-while-open=eligibility-api",
    "logging.level.root=warn"})
class EnrollmentServicePostgresTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class EnrollmentApplication {}

  @LocalServerPort
  int port;
  @Autowired
  DataSource dataSource;
  @Autowired
  PoolSizer sizer;
  @Autowired
  PoolBudget budget;
  @Autowired
  HeadroomBreakers breakers;
  @Autowired
  HeadroomShedder shedder;
  @Autowired
  HeadroomReadiness readiness;
  @Autowired
  ApplicationAvailability availability;
  @Autowired
  MeterRegistry registry;
  @Autowired
  ReplicaAdvisor advisor;

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void resetBreakers() {
    breakers.names().forEach(n -> breakers.get(n).reset());
    readiness.evaluate();
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theHikariPoolIsBudgetedAndServesQueries() throws SQLException {
    assertThat(dataSource).isInstanceOf(BudgetedDataSource.class);
    BudgetedDataSource budgeted = (BudgetedDataSource) dataSource;
    assertThat(budgeted.name()).isEqualTo("enrollment-db");
    assertThat(budgeted.isWrapperFor(HikariDataSource.class)).isTrue();
    assertThat(budgeted.maxPoolSize()).isEqualTo(sizer.maxPoolSize())
        .isEqualTo(budget.maxPoolSizeFor("enrollment", 4));

    JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    assertThat(jdbc.queryForObject("select current_database()", String.class))
        .isEqualTo("test");
    // headroom.jdbc.statement-deadline.fixed: every execution gets 1.5 s, cut in milliseconds.
    assertThat(budgeted.statementGuard().deadline()).isEqualTo(Duration.ofMillis(1500));
    assertThat(budgeted.statementGuard().count(dev.headroom.guard.Guard.Outcome.SUCCESS))
        .isPositive();
    assertThat(budgeted.inUse()).isZero();

    // Every permit taken: the next borrower waits the acquire timeout, then is refused.
    List<Connection> held = new ArrayList<>();
    try {
      for (int i = 0; i < budgeted.maxPoolSize(); i++) {
        held.add(dataSource.getConnection());
      }
      ConnectionRejectedException refused = assertThrows(ConnectionRejectedException.class,
          dataSource::getConnection);
      assertThat(refused.reason()).isEqualTo(ConnectionRejectedException.Reason.BUDGET_EXHAUSTED);
      assertThat(refused.getMessage()).startsWith("jdbc \"enrollment-db\" connection budget"
          + " exhausted: no permit within 200 ms (budget " + budgeted.maxPoolSize());
    } finally {
      for (Connection c : held) {
        c.close();
      }
    }
    assertThat(budgeted.inUse()).isZero();
  }

  @Test
  void metersAppearInTheApplicationsRegistry() {
    new JdbcTemplate(dataSource).queryForObject("select 1", Integer.class);
    assertThat(registry.get("headroom.jdbc.permits").tag("name", "enrollment-db")
        .tag("service", "enrollment").gauge().value())
        .isEqualTo((double) sizer.maxPoolSize());
    assertThat(registry.get("headroom.breaker.state").tag("name", "eligibility-api")
        .tag("service", "enrollment").gauge()).isNotNull();
    assertThat(registry.get("headroom.shed.limit").tag("name", "http").gauge().value())
        .isEqualTo(10.0);
  }

  @Test
  void anOpenBreakerIsAHealthDetailNeverALivenessFailure() throws Exception {
    CircuitBreaker eligibility = breakers.get("eligibility-api");
    eligibility.forceOpen();
    // Every slot busy: the signals ask for more pods, the open breaker holds them.
    List<Permit> busy = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      busy.add(shedder.tryAcquire(Priority.CRITICAL));
    }
    ReplicaAdvice advice = advisor.evaluate();
    busy.forEach(Permit::onSuccess);
    assertThat(advice.limitedBy()).isEqualTo(ReplicaAdvice.Limit.BREAKER_OPEN);
    assertThat(advice.recommendedReplicas()).isEqualTo(6); // ceil(4 x 1.0 / 0.7)
    assertThat(advice.desiredReplicas()).isEqualTo(advice.currentReplicas()).isEqualTo(4);
    assertThat(eligibility.state()).isEqualTo(BreakerState.FORCED_OPEN);

    HttpResponse<String> liveness = get("/actuator/health/liveness");
    assertThat(liveness.statusCode()).isEqualTo(200);
    assertThat(liveness.body()).contains("\"status\":\"UP\"");
    assertThat(availability.getLivenessState()).isEqualTo(LivenessState.CORRECT);

    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"headroom\":{\"status\":\"UP\"")
        .contains("\"breakers.eligibility-api\":\"FORCED_OPEN\"")
        .contains("\"open\":{\"breakers.eligibility-api\":{\"state\":\"FORCED_OPEN\"");

    HttpResponse<String> endpoint = get("/actuator/headroom");
    assertThat(endpoint.statusCode()).isEqualTo(200);
    assertThat(endpoint.body())
        .contains("\"eligibility-api\":{\"state\":\"FORCED_OPEN\",\"admittedFraction\":0.0")
        .contains("\"enrollment-db\":{\"state\":\"CLOSED\",\"admittedFraction\":1.0")
        .contains("\"limits\":{\"shedder\":{\"name\":\"http\",\"policy\":\"fixed\",\"limit\":10")
        .contains("\"dataSources\":{\"enrollment-db\":{\"maxPoolSize\":" + sizer.maxPoolSize())
        .contains("\"sizer\":{\"service\":\"enrollment\",\"maxPoolSize\":" + sizer.maxPoolSize())
        .contains("\"replicaAdvice\":{\"name\":\"enrollment\"")
        .contains("\"limitedBy\":\"BREAKER_OPEN\"");
  }

  @Test
  void readinessFlipsWhenTheShedderRefusesMostTrafficAndBack() throws Exception {
    assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
    assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);

    List<Permit> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(shedder.tryAcquire(Priority.CRITICAL));
    }
    for (int i = 0; i < 40; i++) {
      assertThat(shedder.tryAcquire(Priority.NORMAL).isAdmitted()).isFalse();
    }
    assertThat(readiness.evaluate()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
    HttpResponse<String> refusing = get("/actuator/health/readiness");
    assertThat(refusing.statusCode()).isEqualTo(503);
    assertThat(refusing.body()).contains("\"status\":\"OUT_OF_SERVICE\"");
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);

    held.forEach(Permit::onSuccess);
    for (int i = 0; i < 40; i++) {
      try (Permit p = shedder.tryAcquire(Priority.NORMAL)) {
        p.onSuccess();
      }
    }
    assertThat(readiness.evaluate()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
    assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
  }
}
