package dev.headroom.http;

import dev.headroom.core.metrics.MeterSink;

/** Grants every retry. Stateless; thread-safe. */
final class UnboundedRetryBudget implements RetryBudget {

  static final UnboundedRetryBudget INSTANCE = new UnboundedRetryBudget();

  private UnboundedRetryBudget() {}

  @Override
  public void onRequest() {}

  @Override
  public void onSuccess() {}

  @Override
  public void onFailure() {}

  @Override
  public boolean tryRetry() {
    return true;
  }

  @Override
  public void describeMeters(MeterSink sink) {}

  @Override
  public String toString() {
    return "RetryBudget.unbounded()";
  }
}
