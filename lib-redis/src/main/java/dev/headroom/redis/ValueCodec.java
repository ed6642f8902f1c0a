package dev.headroom.redis;

import java.nio.charset.StandardCharsets;

/**
 * Turns a cached value into the bytes a fleet tier stores in Redis, and back. Values cross pods,
 * so they must be serialised; the codec is the only place that knows how.
 *
 * <p>Built in: {@link #string()} (UTF-8) and {@link #bytes()} (as is). For other types, map to
 * one of them ({@code codec = ValueCodec.string().map(Json::write, Json::read)}) or implement
 * the two methods.
 *
 * <p>A codec that throws while decoding makes the fleet tier treat the stored value as absent
 * (and count a fallback); one that throws while encoding means the value is not published, but
 * the pod that loaded it still serves it.
 *
 * <p>Thread-safety: implementations are called from many threads and must be thread-safe.
 *
 * @param <V> the value type
 */
public interface ValueCodec<V> {

  /**
   * Encodes a value.
   *
   * @param value the value, never null
   * @return its bytes, never null
   */
  byte[] encode(V value);

  /**
   * Decodes bytes made by {@link #encode}.
   *
   * @param bytes the bytes, never null
   * @return the value, never null
   */
  V decode(byte[] bytes);

  /**
   * Returns the UTF-8 codec for strings.
   *
   * @return the shared string codec
   */
  static ValueCodec<String> string() {
    return StringCodec.INSTANCE;
  }

  /**
   * Returns the identity codec for byte arrays (the array is stored and returned as is, not
   * copied: do not change an array after handing it to the cache).
   *
   * @return the shared bytes codec
   */
  static ValueCodec<byte[]> bytes() {
    return BytesCodec.INSTANCE;
  }

  /**
   * Derives a codec for another type through this one.
   *
   * @param <T> the other type
   * @param to turns a {@code T} into a {@code V}
   * @param from turns a {@code V} back into a {@code T}
   * @return the derived codec
   * @throws IllegalArgumentException if either function is null
   */
  default <T> ValueCodec<T> map(java.util.function.Function<? super T, ? extends V> to,
      java.util.function.Function<? super V, ? extends T> from) {
    dev.headroom.core.Checks.requireNonNull("to", to);
    dev.headroom.core.Checks.requireNonNull("from", from);
    ValueCodec<V> self = this;
    return new ValueCodec<>() {
      @Override
      public byte[] encode(T value) {
        return self.encode(to.apply(value));
      }

      @Override
      public T decode(byte[] bytes) {
        return from.apply(self.decode(bytes));
      }
    };
  }
}

/** {@link ValueCodec#string()}. Stateless. */
final class StringCodec implements ValueCodec<String> {
  static final StringCodec INSTANCE = new StringCodec();

  private StringCodec() {}

  @Override
  public byte[] encode(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String decode(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ValueCodec.string()";
  }
}

/** {@link ValueCodec#bytes()}. Stateless. */
final class BytesCodec implements ValueCodec<byte[]> {
  static final BytesCodec INSTANCE = new BytesCodec();

  private BytesCodec() {}

  @Override
  public byte[] encode(byte[] value) {
    return value;
  }

  @Override
  public byte[] decode(byte[] bytes) {
    return bytes;
  }

  @Override
  public String toString() {
    return "ValueCodec.bytes()";
  }
}
