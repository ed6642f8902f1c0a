package dev.headroom.signal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON document the way KEDA's metrics-api scaler does: a GJSON path
 * ({@code github.com/tidwall/gjson}) selects a value, a number is taken as is, a string is parsed
 * as a Kubernetes quantity, anything else is an error ({@code getValueFromJSONResponse} in
 * {@code metrics_api_scaler.go}).
 *
 * <p>The GJSON subset implemented: dot-separated keys, {@code \} escapes, {@code *} and
 * {@code ?} wildcards in keys, numeric array indexes and {@code #} (array length). That is all
 * a {@code valueLocation} into Headroom's documents can use. The JSON parser is strict (RFC
 * 8259): trailing garbage, single quotes, NaN and unquoted keys are errors, as they are for
 * gjson's {@code Valid}.
 */
public final class Gjson {

  /** The JSON type of a result, named as gjson names them. */
  public enum Type { NULL, FALSE, NUMBER, STRING, TRUE, JSON, NONEXISTENT }

  private static final Object NONE = new Object();

  private Gjson() {}

  /**
   * Returns the value a KEDA metrics-api scaler would read.
   *
   * @param body the response body
   * @param valueLocation the GJSON path
   * @return the number
   * @throws IllegalArgumentException with KEDA's message when the path does not point to a
   *     number or a quantity string
   */
  public static double kedaValue(String body, String valueLocation) {
    Object v = get(parse(body), valueLocation);
    Type t = type(v);
    if (t == Type.STRING) {
      return quantity((String) v, valueLocation);
    }
    if (t != Type.NUMBER) {
      throw new IllegalArgumentException("valueLocation \"" + valueLocation
          + "\" must point to a numeric value or a string parseable as a Quantity, got "
          + gjsonTypeName(t));
    }
    return (Double) v;
  }

  /**
   * Returns the type of the value at a path.
   *
   * @param body the document
   * @param path the GJSON path
   * @return the type, {@link Type#NONEXISTENT} when nothing is there
   */
  public static Type typeAt(String body, String path) {
    return type(get(parse(body), path));
  }

  /**
   * Returns the value at a path: a Double, String, Boolean, Map, List, null, or throws.
   *
   * @param body the document
   * @param path the GJSON path
   * @return the value
   * @throws IllegalArgumentException if nothing is there
   */
  public static Object valueAt(String body, String path) {
    Object v = get(parse(body), path);
    if (v == NONE) {
      throw new IllegalArgumentException("nothing at " + path);
    }
    return v;
  }

  private static String gjsonTypeName(Type t) {
    switch (t) {
      case NULL:
        return "Null";
      case FALSE:
        return "False";
      case TRUE:
        return "True";
      case JSON:
        return "JSON";
      case NUMBER:
        return "Number";
      case STRING:
        return "String";
      default:
        return "";
    }
  }

  private static Type type(Object v) {
    if (v == NONE) {
      return Type.NONEXISTENT;
    }
    if (v == null) {
      return Type.NULL;
    }
    if (v instanceof Boolean) {
      return (Boolean) v ? Type.TRUE : Type.FALSE;
    }
    if (v instanceof Double) {
      return Type.NUMBER;
    }
    if (v instanceof String) {
      return Type.STRING;
    }
    return Type.JSON;
  }

  /** A Kubernetes quantity: a decimal number with an optional SI or binary suffix. */
  private static double quantity(String s, String valueLocation) {
    String[] suffixes = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "m", "k", "M", "G", "T", "P", "E"};
    double[] factors = {1024d, 1048576d, 1073741824d, 1099511627776d, 1125899906842624d,
        1152921504606846976d, 1e-3, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18};
    String number = s;
    double factor = 1;
    for (int i = 0; i < suffixes.length; i++) {
      if (s.endsWith(suffixes[i])) {
        number = s.substring(0, s.length() - suffixes[i].length());
        factor = factors[i];
        break;
      }
    }
    if (!number.matches("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)")) {
      throw new IllegalArgumentException("valueLocation \"" + valueLocation
          + "\" points to a string that is not parseable as a Quantity");
    }
    return Double.parseDouble(number) * factor;
  }

  // ---- paths --------------------------------------------------------------------------------

  private static Object get(Object root, String path) {
    List<String> parts = split(path);
    Object cur = root;
    for (String part : parts) {
      if (cur instanceof Map) {
        Object next = NONE;
        for (Map.Entry<?, ?> e : ((Map<?, ?>) cur).entrySet()) {
          if (match((String) e.getKey(), part)) {
            next = e.getValue();
            break;
          }
        }
        cur = next;
      } else if (cur instanceof List) {
        List<?> list = (List<?>) cur;
        if (part.equals("#")) {
          cur = (double) list.size();
        } else if (part.matches("[0-9]+")) {
          int i = Integer.parseInt(part);
          cur = i < list.size() ? list.get(i) : NONE;
        } else {
          cur = NONE;
        }
      } else {
        cur = NONE;
      }
      if (cur == NONE) {
        return NONE;
      }
    }
    return cur;
  }

  /** Splits on unescaped dots; {@code \} escapes the next character. */
  private static List<String> split(String path) {
    List<String> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\\' && i + 1 < path.length()) {
        cur.append('\\').append(path.charAt(++i));
      } else if (c == '.') {
        parts.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    parts.add(cur.toString());
    return parts;
  }

  /** GJSON key matching: {@code *} any run, {@code ?} one character, {@code \x} literal x. */
  static boolean match(String key, String pattern) {
    return match(key, 0, pattern, 0);
  }

  private static boolean match(String s, int si, String p, int pi) {
    while (pi < p.length()) {
      char c = p.charAt(pi);
      if (c == '*') {
        for (int k = si; k <= s.length(); k++) {
          if (match(s, k, p, pi + 1)) {
            return true;
          }
        }
        return false;
      }
      if (si >= s.length()) {
        return false;
      }
      if (c == '?') {
        si++;
        pi++;
        continue;
      }
      if (c == '\\' && pi + 1 < p.length()) {
        c = p.charAt(++pi);
      }
      if (s.charAt(si) != c) {
        return false;
      }
      si++;
      pi++;
    }
    return si == s.length();
  }

  // ---- strict parser ------------------------------------------------------------------------

  /**
   * Parses a JSON document strictly.
   *
   * @param text the document
   * @return Map, List, Double, String, Boolean or null
   * @throws IllegalArgumentException if it is not valid JSON
   */
  public static Object parse(String text) {
    Parser p = new Parser(text);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) {
      throw new IllegalArgumentException("trailing characters at " + p.i);
    }
    return v;
  }

  private static final class Parser {
    final String s;
    int i;

    Parser(String s) {
      this.s = s;
    }

    void ws() {
      while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at " + i + " in " + s);
    }

    Object value() {
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return null;
        default:
          return number();
      }
    }

    void literal(String word) {
      if (!s.startsWith(word, i)) {
        throw error("expected " + word);
      }
      i += word.length();
    }

    Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      i++;
      ws();
      if (i < s.length() && s.charAt(i) == '}') {
        i++;
        return m;
      }
      while (true) {
        ws();
        if (i >= s.length() || s.charAt(i) != '"') {
          throw error("expected a key");
        }
        String k = string();
        ws();
        if (i >= s.length() || s.charAt(i) != ':') {
          throw error("expected ':'");
        }
        i++;
        ws();
        if (m.containsKey(k)) {
          throw error("duplicate key " + k);
        }
        m.put(k, value());
        ws();
        if (i < s.length() && s.charAt(i) == ',') {
          i++;
          continue;
        }
        if (i < s.length() && s.charAt(i) == '}') {
          i++;
          return m;
        }
        throw error("expected ',' or '}'");
      }
    }

    List<Object> array() {
      List<Object> l = new ArrayList<>();
      i++;
      ws();
      if (i < s.length() && s.charAt(i) == ']') {
        i++;
        return l;
      }
      while (true) {
        ws();
        l.add(value());
        ws();
        if (i < s.length() && s.charAt(i) == ',') {
          i++;
          continue;
        }
        if (i < s.length() && s.charAt(i) == ']') {
          i++;
          return l;
        }
        throw error("expected ',' or ']'");
      }
    }

    String string() {
      StringBuilder b = new StringBuilder();
      i++;
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c < 0x20) {
          throw error("control character in string");
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case '"':
            case '\\':
            case '/':
              b.append(e);
              break;
            case 'b':
              b.append('\b');
              break;
            case 'f':
              b.append('\f');
              break;
            case 'n':
              b.append('\n');
              break;
            case 'r':
              b.append('\r');
              break;
            case 't':
              b.append('\t');
              break;
            case 'u':
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
              break;
            default:
              throw error("bad escape");
          }
        } else {
          b.append(c);
        }
      }
      throw error("unterminated string");
    }

    Double number() {
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      String n = s.substring(start, i);
      if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
        i = start;
        throw error("bad number '" + n + "'");
      }
      return Double.parseDouble(n);
    }
  }
}
