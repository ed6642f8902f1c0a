package dev.headroom.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.budget.PoolSizer;
import dev.headroom.jdbc.BudgetedDataSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Wraps every HikariCP {@code DataSource} bean in a {@link BudgetedDataSource}, so that the
 * application never holds more connections than its share of the database: the size follows
 * the {@link PoolSizer} when a pool budget is configured (and changes with the pod count), else
 * {@code headroom.jdbc.max-pool-size}, else the pool's own maximum; borrowers wait at most
 * {@code headroom.jdbc.acquire-timeout}; statements get {@code headroom.jdbc.default-query-timeout}
 * and, with {@code headroom.jdbc.statement-deadline.*}, a deadline per execution;
 * and the breaker named by {@code headroom.jdbc.breaker} fails borrowers fast while the database
 * is down.
 *
 * <p>The pool Spring Boot builds is created with setters and starts at its first borrow, so it is
 * wrapped before it opens any connection. The wrapper is what the application injects (it
 * unwraps to {@code HikariDataSource} for Spring Boot's pool metrics); when the context closes,
 * the wrapper is closed first, then the pool.
 *
 * <p>Thread-safety: used by the container's thread.
 */
public class BudgetedDataSourcePostProcessor
    implements DestructionAwareBeanPostProcessor, BeanFactoryAware, EnvironmentAware {

  private final Map<String, HikariDataSource> wrapped = new ConcurrentHashMap<>();
  private BeanFactory beanFactory;
  private Environment environment;

  /** Creates the post-processor; the auto-configuration declares it. */
  public BudgetedDataSourcePostProcessor() {}

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName)
      throws BeansException {
    if (!(bean instanceof HikariDataSource hikari)) {
      return bean;
    }
    // Bound here rather than injected: a post-processor is created before the properties bean.
    HeadroomProperties.Jdbc p = Binder.get(environment)
        .bind("headroom.jdbc", HeadroomProperties.Jdbc.class)
        .orElseGet(() -> new HeadroomProperties.Jdbc(true, null, null, null, null, null));
    String name = hikari.getPoolName() != null ? hikari.getPoolName() : beanName;
    try {
      BudgetedDataSource.Builder b = BudgetedDataSource.builder(name, hikari);
      PoolSizer sizer = beanFactory.getBeanProvider(PoolSizer.class).getIfAvailable();
      if (sizer != null) {
        b.sizer(sizer);
      } else if (p.maxPoolSize() != null) {
        b.maxPoolSize(p.maxPoolSize());
      }
      if (p.acquireTimeout() != null) {
        b.acquireTimeout(p.acquireTimeout());
      }
      if (p.defaultQueryTimeout() != null) {
        b.defaultQueryTimeout(p.defaultQueryTimeout());
      }
      if (p.statementDeadline() != null) {
        b.statementDeadline(Configs.deadline(p.statementDeadline()));
      }
      if (p.breaker() != null) {
        ObjectProvider<HeadroomBreakers> breakers =
            beanFactory.getBeanProvider(HeadroomBreakers.class);
        b.breaker(breakers.getObject().get(p.breaker()));
      }
      BudgetedDataSource budgeted = b.build();
      wrapped.put(beanName, hikari);
      return budgeted;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("headroom.jdbc: " + e.getMessage(), e);
    }
  }

  @Override
  public void postProcessBeforeDestruction(Object bean, String beanName) throws BeansException {
    HikariDataSource hikari = wrapped.remove(beanName);
    if (hikari != null && bean instanceof BudgetedDataSource budgeted) {
      budgeted.close();
      hikari.close();
    }
  }

  @Override
  public boolean requiresDestruction(Object bean) {
    return bean instanceof BudgetedDataSource;
  }
}
