package dev.headroom.kafka;

import java.util.List;

/**
 * {@code headroom.partitioner.unordered.field} and {@code .values}: a record whose field has one
 * of the values declares no ordering. Thread-safety: immutable.
 */
final class UnorderedRule {

  static final UnorderedRule NONE = new UnorderedRule(null, List.of());

  final String field;
  private final String[] values;

  private UnorderedRule(String field, List<String> values) {
    this.field = field;
    this.values = values.toArray(new String[0]);
  }

  static UnorderedRule of(HeadroomPartitionerConfig config) {
    return config.unorderedField() == null ? NONE
        : new UnorderedRule(config.unorderedField(), config.unorderedValues());
  }

  boolean active() {
    return field != null;
  }

  /** Whether the text {@code s[from, to)} is one of the values (no allocation). */
  boolean matches(CharSequence s, int from, int to) {
    for (String v : values) {
      if (v.length() == to - from) {
        int i = 0;
        while (i < v.length() && v.charAt(i) == s.charAt(from + i)) {
          i++;
        }
        if (i == v.length()) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the chars {@code c[0, n)} are one of the values (no allocation). */
  boolean matches(char[] c, int offset, int n) {
    for (String v : values) {
      if (v.length() == n) {
        int i = 0;
        while (i < n && v.charAt(i) == c[offset + i]) {
          i++;
        }
        if (i == n) {
          return true;
        }
      }
    }
    return false;
  }
}
