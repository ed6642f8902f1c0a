package dev.headroom.spring.boot;

import dev.headroom.breaker.BreakerConfig;
import dev.headroom.core.Checks;
import dev.headroom.budget.PoolBudget;
import dev.headroom.cache.HeadroomCache;
import dev.headroom.guard.DeadlinePolicy;
import dev.headroom.guard.Guard;
import dev.headroom.shed.LimitPolicy;
import dev.headroom.shed.LoadShedder;
import dev.headroom.shed.Priority;
import dev.headroom.spring.boot.HeadroomProperties.Breaker;
import dev.headroom.spring.boot.HeadroomProperties.Budget;
import dev.headroom.spring.boot.HeadroomProperties.Cache;
import dev.headroom.spring.boot.HeadroomProperties.Deadline;
import dev.headroom.spring.boot.HeadroomProperties.Limit;
import dev.headroom.spring.boot.HeadroomProperties.LimitType;
import dev.headroom.spring.boot.HeadroomProperties.Shedder;
import java.time.Duration;
import java.util.List;

/**
 * Translates properties into the library's builders, one setter per option that is set, so
 * that every value is validated by the library itself and an option left out keeps the
 * library's default.
 *
 * <p>Thread-safety: stateless.
 */
final class Configs {

  private Configs() {}

  static BreakerConfig breaker(Breaker p) {
    BreakerConfig.Builder b = BreakerConfig.builder();
    if (p == null) {
      return b.build();
    }
    if (p.consecutiveFailures() != null) {
      b.consecutiveFailures(p.consecutiveFailures());
    }
    if (p.failureRateThreshold() != null) {
      b.failureRateThreshold(p.failureRateThreshold());
    }
    if (p.slowCallRateThreshold() != null) {
      b.slowCallRateThreshold(p.slowCallRateThreshold());
    }
    if (p.slowCallThreshold() != null) {
      b.slowCallThreshold(p.slowCallThreshold());
    }
    if (p.window() != null || p.windowBuckets() != null) {
      b.window(p.window() != null ? p.window() : BreakerConfig.DEFAULT_WINDOW,
          p.windowBuckets() != null ? p.windowBuckets() : BreakerConfig.DEFAULT_WINDOW_BUCKETS);
    }
    if (p.minimumCalls() != null) {
      b.minimumCalls(p.minimumCalls());
    }
    if (p.openDuration() != null) {
      b.openDuration(p.openDuration());
    }
    if (p.openDurationMultiplier() != null || p.maxOpenDuration() != null) {
      b.relapseBackoff(p.openDurationMultiplier() != null ? p.openDurationMultiplier()
              : BreakerConfig.DEFAULT_OPEN_DURATION_MULTIPLIER,
          p.maxOpenDuration() != null ? p.maxOpenDuration()
              : BreakerConfig.DEFAULT_MAX_OPEN_DURATION);
    }
    if (p.openJitter() != null) {
      b.openJitter(p.openJitter());
    }
    if (p.rampSteps() != null) {
      List<Double> steps = p.rampSteps();
      double[] fractions = new double[steps.size()];
      for (int i = 0; i < fractions.length; i++) {
        fractions[i] = steps.get(i);
      }
      b.rampSteps(fractions);
    }
    if (p.stepDuration() != null || p.minProbesPerStep() != null) {
      b.rampStep(p.stepDuration() != null ? p.stepDuration()
              : BreakerConfig.DEFAULT_STEP_DURATION,
          p.minProbesPerStep() != null ? p.minProbesPerStep()
              : BreakerConfig.DEFAULT_MIN_PROBES_PER_STEP);
    }
    if (p.probeInterval() != null) {
      b.probeInterval(p.probeInterval());
    }
    return b.build();
  }

  static LimitPolicy limit(Limit p) {
    if (p == null) {
      return LimitPolicy.gradient().build();
    }
    LimitType type = p.type() == null ? LimitType.GRADIENT : p.type();
    if (type == LimitType.FIXED) {
      Checks.requireArgument(p.min() == null && p.max() == null, "min and max",
          "absent for a fixed limit (initial is the limit)", "min " + p.min() + ", max "
              + p.max());
      Checks.requireArgument(p.initial() != null, "initial", "set for a fixed limit", null);
      return LimitPolicy.fixed(p.initial());
    }
    return adaptive(type, p);
  }

  private static LimitPolicy adaptive(LimitType type, Limit p) {
    if (type == LimitType.AIMD) {
      LimitPolicy.Aimd.Builder b = LimitPolicy.aimd();
      if (p.initial() != null) {
        b.initialLimit(p.initial());
      }
      if (p.min() != null) {
        b.minLimit(p.min());
      }
      if (p.max() != null) {
        b.maxLimit(p.max());
      }
      return b.build();
    }
    LimitPolicy.Gradient.Builder b = LimitPolicy.gradient();
    if (p.initial() != null) {
      b.initialLimit(p.initial());
    }
    if (p.min() != null) {
      b.minLimit(p.min());
    }
    if (p.max() != null) {
      b.maxLimit(p.max());
    }
    return b.build();
  }

  static DeadlinePolicy deadline(Deadline p) {
    if (p.fixed() != null) {
      return DeadlinePolicy.fixed(p.fixed());
    }
    DeadlinePolicy.Builder b = DeadlinePolicy.adaptive();
    if (p.percentile() != null) {
      b.percentile(p.percentile());
    }
    if (p.headroom() != null) {
      b.headroom(p.headroom());
    }
    if (p.floor() != null) {
      b.floor(p.floor());
    }
    if (p.ceiling() != null) {
      b.ceiling(p.ceiling());
    }
    return b.build();
  }

  static Guard guard(String name, HeadroomProperties.Guard p) {
    Guard.Builder b = Guard.builder(name);
    if (p.breaker() != null) {
      b.breaker(breaker(p.breaker()));
    }
    if (p.limit() != null) {
      b.limit(limit(p.limit()));
    }
    if (p.deadline() != null) {
      b.deadline(deadline(p.deadline()));
    }
    if (p.priority() != null) {
      b.priority(p.priority());
    }
    return b.build();
  }

  static LoadShedder shedder(Shedder p) {
    LoadShedder.Builder b = LoadShedder.builder(p.name()).limit(limit(p.limit()));
    p.shares().forEach((Priority priority, Double share) -> b.share(priority, share));
    if (p.maxWait() != null) {
      b.maxWait(p.maxWait());
    }
    if (p.queueCapacity() != null) {
      b.queueCapacity(p.queueCapacity());
    }
    return b.build();
  }

  static <K, V> HeadroomCache<K, V> cache(String name, Cache p) {
    HeadroomCache.Builder<K, V> b = HeadroomCache.builder(name);
    if (p.ttl() != null) {
      b.ttl(p.ttl());
    }
    if (p.beta() != null) {
      b.beta(p.beta());
    }
    if (p.earlyRefresh() != null) {
      b.earlyRefresh(p.earlyRefresh());
    }
    if (p.ttlJitter() != null) {
      b.ttlJitter(p.ttlJitter());
    }
    if (p.maximumSize() != null) {
      b.maximumSize(p.maximumSize());
    }
    if (p.staleIfError() != null) {
      b.staleIfError(p.staleIfError());
    }
    if (p.negativeTtl() != null) {
      b.negativeTtl(p.negativeTtl());
    }
    if (p.loaderTimeout() != null) {
      b.loaderTimeout(p.loaderTimeout());
    }
    return b.build();
  }

  static PoolBudget budget(Budget p) {
    PoolBudget.Builder b = PoolBudget.builder();
    if (p.maxConnections() != null) {
      b.maxConnections(p.maxConnections());
    }
    if (p.superuserReservedConnections() != null) {
      b.superuserReservedConnections(p.superuserReservedConnections());
    }
    if (p.reservedConnections() != null) {
      b.reservedConnections(p.reservedConnections());
    }
    if (p.adminHeadroom() != null) {
      b.adminHeadroom(p.adminHeadroom());
    }
    if (p.otherClients() != null) {
      b.otherClients(p.otherClients());
    }
    p.services().forEach((name, s) -> {
      PoolBudget.ServiceBuilder sb = PoolBudget.Service.builder(name);
      if (s.maxReplicas() != null) {
        sb.maxReplicas(s.maxReplicas());
      }
      if (s.maxSurge() != null) {
        sb.maxSurge(s.maxSurge());
      }
      if (s.weight() != null) {
        sb.weight(s.weight());
      }
      if (s.poolsPerPod() != null) {
        sb.poolsPerPod(s.poolsPerPod());
      }
      b.service(sb.build());
    });
    return b.build();
  }

  /** Formats a duration for the endpoint: {@code 1.5s}, {@code 250ms}. */
  static String format(Duration d) {
    if (d == null) {
      return null;
    }
    long millis = d.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
