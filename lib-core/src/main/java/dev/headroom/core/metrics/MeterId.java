package dev.headroom.core.metrics;

import dev.headroom.core.Checks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The identity of one meter: a name under {@code headroom.}, a description, a base unit and tags.
 *
 * <p>Names follow Micrometer's conventions: lowercase, dot-separated words, base units (seconds,
 * not milliseconds), e.g. {@code headroom.breaker.calls} with tags {@code name} and
 * {@code outcome}. Every primitive tags its meters with {@code name}, the instance's name.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the meter name, e.g. {@code headroom.shed.inflight}
 * @param description a sentence for dashboards, may be empty
 * @param baseUnit the base unit, e.g. {@code "seconds"}, or empty
 * @param tags alternating keys and values
 */
public record MeterId(String name, String description, String baseUnit, List<String> tags) {

  private static final Pattern NAME = Pattern.compile("headroom(\\.[a-z][a-z0-9_]*)+");

  /**
   * Validates and freezes the id.
   *
   * @throws IllegalArgumentException if the name is not lowercase and dot-separated under
   *     {@code headroom.}, or tags are not key/value pairs of non-null strings
   */
  public MeterId {
    Checks.requireNonNull("name", name);
    Checks.requireArgument(NAME.matcher(name).matches(), "name",
        "lowercase and dot-separated under headroom.", name);
    Checks.requireNonNull("description", description);
    Checks.requireNonNull("baseUnit", baseUnit);
    Checks.requireNonNull("tags", tags);
    Checks.requireArgument(tags.size() % 2 == 0, "tags.size()", "even (key, value pairs)",
        tags.size());
    for (int i = 0; i < tags.size(); i++) {
      Checks.requireNonNull(i % 2 == 0 ? "tag key" : "tag value", tags.get(i));
    }
    tags = List.copyOf(tags);
  }

  /**
   * Starts an id with the given name, no description, no unit and no tags.
   *
   * @param name the meter name
   * @return a new id
   * @throws IllegalArgumentException if the name is malformed
   */
  public static MeterId of(String name) {
    return new MeterId(name, "", "", List.of());
  }

  /**
   * Returns a copy with one more tag.
   *
   * @param key the tag key, e.g. {@code "outcome"}
   * @param value the tag value, e.g. {@code "success"}
   * @return a new id
   * @throws IllegalArgumentException if key or value is null
   */
  public MeterId tag(String key, String value) {
    Checks.requireNonNull("tag key", key);
    Checks.requireNonNull("tag value", value);
    List<String> more = new ArrayList<>(tags.size() + 2);
    more.addAll(tags);
    more.add(key);
    more.add(value);
    return new MeterId(name, description, baseUnit, more);
  }

  /**
   * Returns a copy with the given description.
   *
   * @param text the description
   * @return a new id
   */
  public MeterId description(String text) {
    return new MeterId(name, text, baseUnit, tags);
  }

  /**
   * Returns a copy with the given base unit.
   *
   * @param unit the unit, e.g. {@code "seconds"}
   * @return a new id
   */
  public MeterId baseUnit(String unit) {
    return new MeterId(name, description, unit, tags);
  }

  /**
   * Returns the value of a tag.
   *
   * @param key the tag key
   * @return the value, or null if there is no such tag
   */
  public String tagValue(String key) {
    for (int i = 0; i < tags.size(); i += 2) {
      if (Objects.equals(tags.get(i), key)) {
        return tags.get(i + 1);
      }
    }
    return null;
  }

  /**
   * Returns the tags as an unmodifiable list of alternating keys and values.
   *
   * @return the tags
   */
  @Override
  public List<String> tags() {
    return Collections.unmodifiableList(tags);
  }
}
