package dev.headroom.partition;

import dev.headroom.core.Checks;
import dev.headroom.core.NanoClock;
import java.time.Duration;

/**
 * The immutable configuration of a {@link KeyPartitioner}, built by {@link #builder()}.
 *
 * @param name the name tag of the partitioner's meters, e.g. the topic
 * @param partitions the topic's partition count, at least 1
 * @param hashMode how keys are hashed to their home partition
 * @param spreading whether hot keys that declare no ordering are spread over several partitions
 * @param fanout the most partitions one spread hot key may use, in
 *     {@code [2, max(2, partitions)]}; each hot key uses
 *     {@code min(fanout, max(2, ceil(2 x share x partitions)))} of them, the least loaded
 * @param choices how many of a hot key's partitions are compared per record; the least loaded
 *     of them receives it
 * @param hotKeyThreshold the share of recent traffic at or above which a key is hot, in
 *     {@code [0.001, 1]}; by default a sixteenth of one partition's fair share,
 *     {@link #defaultHotKeyThreshold(int)}
 * @param window the half-life of the decaying window over which traffic shares and partition
 *     loads are measured
 * @param sampleEvery one record in {@code sampleEvery} (on average, chosen at random) feeds the
 *     heavy-hitter sketch and the load estimate; a power of two in {@code [1, 1024]}
 * @param clock the clock the window decays by, read only for sampled records
 */
public record KeyPartitionerConfig(String name, int partitions, HashMode hashMode,
    boolean spreading, int fanout, int choices, double hotKeyThreshold, Duration window,
    int sampleEvery, NanoClock clock) {

  /** Default {@link #choices}. */
  public static final int DEFAULT_CHOICES = 2;
  /** Default {@link #window} half-life. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  /** Default {@link #sampleEvery}. */
  public static final int DEFAULT_SAMPLE_EVERY = 16;

  /**
   * The default {@link #hotKeyThreshold} for a topic: a sixteenth of one partition's fair share,
   * {@code 1 / (16 x max(2, partitions))}, at least 0.001. Smaller keys are left where they
   * hash; in the enrollment simulations ({@code SpreadingSimulationTest}) the keys below it
   * add up to at most 5% over the mean on any partition, where a threshold of a quarter (0.021
   * for 12 partitions) left 24%. For 12 partitions it is about 0.0052.
   *
   * @param partitions the topic's partition count
   * @return the threshold
   * @throws IllegalArgumentException if {@code partitions <= 0}
   */
  public static double defaultHotKeyThreshold(int partitions) {
    Checks.requirePositive("partitions", partitions);
    return Math.max(0.001, 1.0 / (16.0 * Math.max(2, partitions)));
  }

  /**
   * Checks every value and combination.
   *
   * @throws IllegalArgumentException naming the first bad value
   */
  public KeyPartitionerConfig {
    Checks.requireNonBlank("name", name);
    Checks.requirePositive("partitions", partitions);
    Checks.requireArgument(partitions <= 1 << 20, "partitions", "<= 1048576", partitions);
    Checks.requireNonNull("hashMode", hashMode);
    Checks.requireInRange("fanout", fanout, 2, Integer.MAX_VALUE);
    Checks.requireArgument(fanout <= Math.max(2, partitions), "fanout",
        "<= partitions (" + partitions + ")", fanout);
    Checks.requireInRange("choices", choices, 2, fanout);
    Checks.requireInRange("hotKeyThreshold", hotKeyThreshold, 0.001, true, 1.0, true);
    Checks.requirePositive("window", window);
    Checks.requireInRange("sampleEvery", sampleEvery, 1, 1024);
    Checks.requireArgument(Integer.bitCount(sampleEvery) == 1, "sampleEvery", "a power of two",
        sampleEvery);
    Checks.requireNonNull("clock", clock);
  }

  /**
   * Returns a builder with the defaults: {@link HashMode#KAFKA_COMPATIBLE}, spreading off,
   * fanout up to every partition, choices 2, the threshold
   * {@link #defaultHotKeyThreshold(int)}, a 10 s window, one record in 16 sampled, the coarse
   * clock. {@code name} and {@code partitions} must be set.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link KeyPartitionerConfig}; each setter validates its value and may be called once.
   *
   * <p>Thread-safety: not thread-safe.
   */
  public static final class Builder {
    private String name;
    private Integer partitions;
    private HashMode hashMode;
    private Boolean spreading;
    private Integer fanout;
    private Integer choices;
    private Double hotKeyThreshold;
    private Duration window;
    private Integer sampleEvery;
    private NanoClock clock;

    private Builder() {}

    /**
     * Sets the meters' name tag.
     *
     * @param name non-blank
     * @return this builder
     * @throws IllegalArgumentException if blank
     * @throws IllegalStateException if already set
     */
    public Builder name(String name) {
      Checks.requireNotSet(this.name == null, "name", this.name);
      this.name = Checks.requireNonBlank("name", name);
      return this;
    }

    /**
     * Sets the topic's partition count.
     *
     * @param partitions at least 1
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if already set
     */
    public Builder partitions(int partitions) {
      Checks.requireNotSet(this.partitions == null, "partitions", this.partitions);
      this.partitions = Checks.requirePositive("partitions", partitions);
      return this;
    }

    /**
     * Sets the hash mode.
     *
     * @param hashMode the mode
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder hashMode(HashMode hashMode) {
      Checks.requireNotSet(this.hashMode == null, "hashMode", this.hashMode);
      this.hashMode = Checks.requireNonNull("hashMode", hashMode);
      return this;
    }

    /**
     * Turns hot-key spreading on or off.
     *
     * @param spreading whether unordered hot keys are spread
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder spreading(boolean spreading) {
      Checks.requireNotSet(this.spreading == null, "spreading", this.spreading);
      this.spreading = spreading;
      return this;
    }

    /**
     * Sets how many partitions a spread hot key may use (checked against {@code partitions} at
     * build).
     *
     * @param fanout at least 2
     * @return this builder
     * @throws IllegalArgumentException if below 2
     * @throws IllegalStateException if already set
     */
    public Builder fanout(int fanout) {
      Checks.requireNotSet(this.fanout == null, "fanout", this.fanout);
      this.fanout = Checks.requireInRange("fanout", fanout, 2, Integer.MAX_VALUE);
      return this;
    }

    /**
     * Sets how many of a hot key's partitions are compared per record (checked against
     * {@code fanout} at build).
     *
     * @param choices at least 2
     * @return this builder
     * @throws IllegalArgumentException if below 2
     * @throws IllegalStateException if already set
     */
    public Builder choices(int choices) {
      Checks.requireNotSet(this.choices == null, "choices", this.choices);
      this.choices = Checks.requireInRange("choices", choices, 2, Integer.MAX_VALUE);
      return this;
    }

    /**
     * Sets the traffic share at or above which a key is hot.
     *
     * @param threshold in {@code [0.001, 1]}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder hotKeyThreshold(double threshold) {
      Checks.requireNotSet(this.hotKeyThreshold == null, "hotKeyThreshold", this.hotKeyThreshold);
      this.hotKeyThreshold =
          Checks.requireInRange("hotKeyThreshold", threshold, 0.001, true, 1.0, true);
      return this;
    }

    /**
     * Sets the half-life of the decaying window.
     *
     * @param window positive
     * @return this builder
     * @throws IllegalArgumentException if null, zero or negative
     * @throws IllegalStateException if already set
     */
    public Builder window(Duration window) {
      Checks.requireNotSet(this.window == null, "window", this.window);
      this.window = Checks.requirePositive("window", window);
      return this;
    }

    /**
     * Sets the sampling: one record in {@code sampleEvery} feeds the sketch.
     *
     * @param sampleEvery a power of two in {@code [1, 1024]}
     * @return this builder
     * @throws IllegalArgumentException if out of range or not a power of two
     * @throws IllegalStateException if already set
     */
    public Builder sampleEvery(int sampleEvery) {
      Checks.requireNotSet(this.sampleEvery == null, "sampleEvery", this.sampleEvery);
      Checks.requireInRange("sampleEvery", sampleEvery, 1, 1024);
      Checks.requireArgument(Integer.bitCount(sampleEvery) == 1, "sampleEvery",
          "a power of two", sampleEvery);
      this.sampleEvery = sampleEvery;
      return this;
    }

    /**
     * Sets the clock the window decays by.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalArgumentException if null
     * @throws IllegalStateException if already set
     */
    public Builder clock(NanoClock clock) {
      Checks.requireNotSet(this.clock == null, "clock", this.clock);
      this.clock = Checks.requireNonNull("clock", clock);
      return this;
    }

    /**
     * Builds the config.
     *
     * @return the config
     * @throws IllegalStateException if {@code name} or {@code partitions} is not set
     * @throws IllegalArgumentException if {@code choices > fanout} or {@code fanout > partitions}
     *     (when {@code partitions >= 2})
     */
    public KeyPartitionerConfig build() {
      Checks.requireState(name != null, "name must be set");
      Checks.requireState(partitions != null, "partitions must be set");
      int f = fanout != null ? fanout : Math.max(2, partitions);
      int c = choices != null ? choices : Math.min(DEFAULT_CHOICES, f);
      return new KeyPartitionerConfig(name, partitions,
          hashMode != null ? hashMode : HashMode.KAFKA_COMPATIBLE,
          spreading != null && spreading, f, c,
          hotKeyThreshold != null ? hotKeyThreshold : defaultHotKeyThreshold(partitions),
          window != null ? window : DEFAULT_WINDOW,
          sampleEvery != null ? sampleEvery : DEFAULT_SAMPLE_EVERY,
          clock != null ? clock : NanoClock.coarse());
    }
  }
}
