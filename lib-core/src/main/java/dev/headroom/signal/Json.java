package dev.headroom.signal;

/**
 * A minimal JSON writer for the endpoint's documents: objects, strings, finite numbers,
 * booleans and null. Keys are written in the order given, so paths stay stable.
 *
 * <p>Thread-safety: not thread-safe; one instance per document.
 */
final class Json {

  private final StringBuilder out = new StringBuilder(256);
  private boolean first = true;

  Json begin() {
    out.append('{');
    first = true;
    return this;
  }

  Json end() {
    out.append('}');
    first = false;
    return this;
  }

  Json key(String key) {
    if (!first) {
      out.append(',');
    }
    string(out, key);
    out.append(':');
    first = true;
    return this;
  }

  Json value(String s) {
    if (s == null) {
      out.append("null");
    } else {
      string(out, s);
    }
    first = false;
    return this;
  }

  Json value(double d) {
    out.append(Double.isFinite(d) ? number(d) : "null");
    first = false;
    return this;
  }

  Json value(long l) {
    out.append(l);
    first = false;
    return this;
  }

  Json value(boolean b) {
    out.append(b);
    first = false;
    return this;
  }

  Json nullValue() {
    out.append("null");
    first = false;
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  /** Formats a finite double: integral values without a fraction, others in full precision. */
  static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Double.toString(d);
  }

  static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
