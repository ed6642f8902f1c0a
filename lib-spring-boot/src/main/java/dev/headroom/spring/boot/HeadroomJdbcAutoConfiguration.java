package dev.headroom.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.headroom.jdbc.BudgetedDataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Wraps the application's HikariCP pool in a {@link BudgetedDataSource} when
 * {@code headroom.jdbc.enabled=true} and headroom-jdbc is on the class path.
 */
@AutoConfiguration(before = HeadroomAutoConfiguration.class,
    beforeName = "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration")
@ConditionalOnClass({HikariDataSource.class, BudgetedDataSource.class})
@ConditionalOnProperty(prefix = "headroom.jdbc", name = "enabled", havingValue = "true")
public class HeadroomJdbcAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public HeadroomJdbcAutoConfiguration() {}

  /**
   * The post-processor that wraps HikariCP pools; static, as a post-processor must be.
   *
   * @return the post-processor
   */
  @Bean
  @ConditionalOnMissingBean
  public static BudgetedDataSourcePostProcessor headroomBudgetedDataSourcePostProcessor() {
    return new BudgetedDataSourcePostProcessor();
  }
}
