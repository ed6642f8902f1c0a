package dev.headroom.spring.boot;

import dev.headroom.jdbc.BudgetedDataSource;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.util.ClassUtils;

/**
 * The budgeted data sources' live state, kept apart from {@link HeadroomState} so that
 * headroom-jdbc stays optional: this class is loaded only when it is on the class path.
 *
 * <p>Thread-safety: stateless.
 */
final class JdbcState {

  static final boolean PRESENT = ClassUtils.isPresent("dev.headroom.jdbc.BudgetedDataSource",
      JdbcState.class.getClassLoader());

  private JdbcState() {}

  static void put(DataSource dataSource, Map<String, Object> into) {
    if (dataSource instanceof BudgetedDataSource d) {
      into.put(d.name(), dataSource(d));
    }
  }

  static Map<String, Object> dataSource(BudgetedDataSource d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("maxPoolSize", d.maxPoolSize());
    m.put("minIdle", d.minIdle());
    m.put("inUse", d.inUse());
    m.put("waiting", d.waiting());
    m.put("openConnections", d.openConnections());
    m.put("budgetRejections", d.budgetRejections());
    m.put("breakerRejections", d.breakerRejections());
    return m;
  }

}
