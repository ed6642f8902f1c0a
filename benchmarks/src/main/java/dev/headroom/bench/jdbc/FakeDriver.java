package dev.headroom.bench.jdbc;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * A JDBC driver for URLs starting {@value #PREFIX} that opens {@link FakeConnection}s in memory.
 * HikariCP loads it by class name ({@code driverClassName}), so nothing is registered globally.
 */
public final class FakeDriver implements Driver {

  /** The URL prefix this driver accepts. */
  public static final String PREFIX = "jdbc:headroom-fake:";

  /** Creates the driver; HikariCP calls this through reflection. */
  public FakeDriver() {}

  @Override
  public Connection connect(String url, Properties info) {
    return acceptsURL(url) ? new FakeConnection() : null;
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(PREFIX);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
    return new DriverPropertyInfo[0];
  }

  @Override
  public int getMajorVersion() {
    return 1;
  }

  @Override
  public int getMinorVersion() {
    return 0;
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }
}
