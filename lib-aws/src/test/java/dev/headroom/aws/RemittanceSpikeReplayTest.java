package dev.headroom.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.core.ManualClock;
import dev.headroom.signal.ReplicaAdvice;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The remittance incident, replayed: 5,000 messages a minute arrive on an SQS queue (ElasticMQ,
 * in-process) served by 5 pods that each process a fixed 2 messages a second (60% busy at the
 * 6 messages a second before the spike), so 42 pods are needed; the HPA's maximum is 60. Time is virtual (one step per second, the queue itself is real), so the timing
 * cannot flake.
 *
 * <ul>
 *   <li>Queue depth: {@link SqsQueueDepth} polled and the {@link ReplicaAdvisor} evaluated every
 *       15 s (KEDA's polling, the HPA's sync), target 24 messages per pod (12 s of a pod's
 *       work); a pod starts 30 s after it is asked for.
 *   <li>CPU through CloudWatch, modelled on a second fleet of 5 pods fed the same arrivals:
 *       each pod's CPU is the fraction of the second it was busy; CloudWatch averages it over 1-minute periods, publishes a period 5 s after it
 *       ends, and ECS target tracking (target 70%) scales out after 3 consecutive periods above
 *       target, by {@code ceil(pods x cpu / 0.7)}.
 * </ul>
 */
class RemittanceSpikeReplayTest {

  static final int BASELINE_PODS = 5;
  static final double PER_POD_RATE = 2.0;
  static final double BASELINE_RATE = 6.0; // 60% of 5 pods
  static final double SPIKE_RATE = 5_000 / 60.0;
  static final int NEEDED = (int) Math.ceil(SPIKE_RATE / PER_POD_RATE); // 42
  static final int SPIKE_START = 60;
  static final int END = 300;

  @Test
  void queueDepthAdviceReachesTheNeededCountInOneEvaluation() throws Exception {
    assertEquals(42, NEEDED);
    try (LocalAws aws = new LocalAws(); SqsClient sqs = aws.sqs();
        SqsAsyncClient async = aws.asyncSqs()) {
      String url = sqs.createQueue(b -> b.queueName("lib-aws-remittance-replay")).queueUrl();
      ManualClock clock = new ManualClock();
      SqsQueueDepth depth = SqsQueueDepth.builder(async, url).clock(clock).build();
      Signal queue = depth.signal("remittance-queue", 24);
      int[] pods = {BASELINE_PODS};
      ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance").signal(queue)
          .currentReplicas(() -> pods[0]).minReplicas(BASELINE_PODS).maxReplicas(60)
          .clock(clock).build();

      ArrayDeque<int[]> starting = new ArrayDeque<>(); // (ready at second, pods)
      double arrivals = 0;
      double work = 0;
      int sent = 0;
      int processed = 0;
      // CPU model, CloudWatch style.
      double cpuBacklog = 0;
      double cpuSum = 0;
      int cpuSamples = 0;
      List<double[]> periods = new ArrayList<>(); // (available at second, average cpu)
      int cpuTrigger = -1;
      int cpuDesired = -1;
      int firstScaleOut = -1;
      int reachedNeeded = -1;
      int evaluationsToNeeded = 0;
      int peakDepth = 0;
      StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
          "%6s %6s %6s %8s  %s%n", "t (s)", "depth", "pods", "advice", "reason"));

      for (int t = 0; t < END; t++) {
        clock.advance(Duration.ofSeconds(1));
        double rate = t < SPIKE_START ? BASELINE_RATE : SPIKE_RATE;
        arrivals += rate;
        int toSend = (int) arrivals - sent;
        send(sqs, url, toSend, sent);
        sent += toSend;

        while (!starting.isEmpty() && starting.peekFirst()[0] <= t) {
          pods[0] = Math.max(pods[0], starting.pollFirst()[1]);
        }
        work += pods[0] * PER_POD_RATE;
        int budget = (int) work - processed;
        int done = consume(sqs, url, budget);
        processed += done;
        work -= budget - done; // an idle pod cannot bank work for later
        // The CPU-scaled fleet is a second, counterfactual one: it stays at 5 pods until its
        // alarm fires, so its pods are busy whenever its own backlog is not empty.
        cpuBacklog += rate;
        double served = Math.min(cpuBacklog, BASELINE_PODS * PER_POD_RATE);
        cpuBacklog -= served;
        double cpu = served / (BASELINE_PODS * PER_POD_RATE);
        cpuSum += cpu;
        cpuSamples++;
        if ((t + 1) % 60 == 0) {
          periods.add(new double[] {t + 1 + 5, cpuSum / cpuSamples});
          cpuSum = 0;
          cpuSamples = 0;
        }
        if (cpuTrigger < 0) {
          int above = 0;
          for (double[] p : periods) {
            if (p[0] <= t + 1) {
              above = p[1] > 0.7 ? above + 1 : 0;
            }
          }
          if (above >= 3) {
            cpuTrigger = t + 1 - SPIKE_START;
            double lastCpu = periods.get(periods.size() - 1)[1];
            cpuDesired = (int) Math.ceil(BASELINE_PODS * lastCpu / 0.7);
          }
        }

        if ((t + 1) % 15 == 0) {
          long d = depth.refresh().get(20, TimeUnit.SECONDS);
          peakDepth = (int) Math.max(peakDepth, d);
          ReplicaAdvice advice = advisor.evaluate();
          if (t + 1 > SPIKE_START) {
            evaluationsToNeeded += reachedNeeded < 0 ? 1 : 0;
            if (firstScaleOut < 0 && advice.desiredReplicas() > BASELINE_PODS) {
              firstScaleOut = t + 1 - SPIKE_START;
            }
            if (reachedNeeded < 0 && advice.desiredReplicas() >= NEEDED) {
              reachedNeeded = t + 1 - SPIKE_START;
            }
          }
          if (advice.desiredReplicas() > pods[0]) {
            starting.addLast(new int[] {t + 1 + 30, advice.desiredReplicas()});
          }
          table.append(String.format(Locale.ROOT, "%6d %6d %6d %8d  %s%n", t + 1 - SPIKE_START,
              d, pods[0], advice.desiredReplicas(), advice.reason()));
        }
      }
      System.out.print("Remittance spike replay (t = seconds since the spike):\n" + table
          + String.format(Locale.ROOT, "queue depth: first scale-out %d s, %d+ pods advised at"
              + " %d s (evaluation %d of the spike), peak depth %d%n"
              + "CPU via CloudWatch: first scale-out trigger %d s, to %d pods%n",
              firstScaleOut, NEEDED, reachedNeeded, evaluationsToNeeded, peakDepth,
              cpuTrigger, cpuDesired));

      assertEquals(15, firstScaleOut, "the first evaluation of the spike scales out");
      assertEquals(15, reachedNeeded, "and already asks for the 42 pods needed");
      assertEquals(1, evaluationsToNeeded);
      assertEquals(185, cpuTrigger, "three 1-minute periods plus 5 s of publication delay");
      assertEquals(8, cpuDesired, "and even then CPU, capped at 100%, asks for ceil(5 / 0.7)");
      assertTrue(pods[0] >= NEEDED, "the fleet ran " + pods[0] + " pods by the end");
      depth.close();
    }
  }

  static void send(SqsClient sqs, String url, int n, int first) {
    for (int i = 0; i < n; i += 10) {
      List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + 10); j++) {
        batch.add(SendMessageBatchRequestEntry.builder().id("m" + j)
            .messageBody("remittance " + (first + j)).build());
      }
      sqs.sendMessageBatch(b -> b.queueUrl(url).entries(batch));
    }
  }

  /** Receives and deletes up to {@code budget} messages; returns how many. */
  static int consume(SqsClient sqs, String url, int budget) {
    int done = 0;
    while (done < budget) {
      int max = Math.min(10, budget - done);
      List<Message> got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max)
          .waitTimeSeconds(0)).messages();
      if (got.isEmpty()) {
        break;
      }
      List<DeleteMessageBatchRequestEntry> delete = new ArrayList<>();
      for (int i = 0; i < got.size(); i++) {
        delete.add(DeleteMessageBatchRequestEntry.builder().id("d" + i)
            .receiptHandle(got.get(i).receiptHandle()).build());
      }
      sqs.deleteMessageBatch(b -> b.queueUrl(url).entries(delete));
      done += got.size();
    }
    return done;
  }
}
