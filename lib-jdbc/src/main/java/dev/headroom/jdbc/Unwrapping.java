package dev.headroom.jdbc;

import java.sql.SQLException;
import java.sql.Wrapper;

/**
 * The one {@link Wrapper} contract every Headroom JDBC wrapper follows: the wrapper itself, then
 * the object it wraps, then whatever that object wraps. Stateless.
 */
final class Unwrapping {

  private Unwrapping() {}

  static <T> T unwrap(Object self, Wrapper delegate, Class<T> iface) throws SQLException {
    if (iface.isInstance(self)) {
      return iface.cast(self);
    }
    if (iface.isInstance(delegate)) {
      return iface.cast(delegate);
    }
    return delegate.unwrap(iface);
  }

  static boolean isWrapperFor(Object self, Wrapper delegate, Class<?> iface)
      throws SQLException {
    return iface.isInstance(self) || iface.isInstance(delegate) || delegate.isWrapperFor(iface);
  }
}
