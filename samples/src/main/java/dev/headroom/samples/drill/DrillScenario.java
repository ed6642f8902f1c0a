package dev.headroom.samples.drill;

/**
 * One incident of the drill, run without and with Headroom.
 *
 * <p>Implementations are stateless: {@link #run} may be called again with other options.
 */
public interface DrillScenario {

  /**
   * The name {@code --scenario} takes.
   *
   * @return e.g. {@code "overload"}
   */
  String name();

  /**
   * Runs the scenario.
   *
   * @param options the drill's options
   * @return what it measured
   * @throws Exception if a component it needs fails to start
   */
  DrillResult run(DrillOptions options) throws Exception;
}
