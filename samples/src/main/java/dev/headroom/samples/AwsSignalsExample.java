package dev.headroom.samples;

import dev.headroom.aws.CloudWatchPublisher;
import dev.headroom.aws.SqsQueueDepth;
import dev.headroom.signal.ReplicaAdvisor;
import dev.headroom.signal.Signal;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * The README's AWS example: an SQS queue's depth as a signal (counted as KEDA's aws-sqs-queue
 * scaler counts it) and the signals and advice published to CloudWatch. The clients come from
 * the caller: in production {@code SqsAsyncClient.create()} and
 * {@code CloudWatchAsyncClient.create()}, which use the SDK's default credentials chain (IRSA,
 * ECS task roles).
 */
public final class AwsSignalsExample {

  private AwsSignalsExample() {}

  /**
   * Wires the depth source, the advisor and the publisher, and starts them.
   *
   * @param sqs the SQS client
   * @param cloudWatch the CloudWatch client
   * @param queueUrl the queue's URL
   * @return the publisher (close it, and the depth source, on shutdown)
   */
  public static CloudWatchPublisher wire(SqsAsyncClient sqs, CloudWatchAsyncClient cloudWatch,
      String queueUrl) {
    // tag::depth[]
    SqsQueueDepth depth = SqsQueueDepth.builder(sqs, queueUrl)   // SqsAsyncClient.create()
        .includeInFlight(true)                                   // KEDA's scaleOnInFlight
        .build()
        .start();                                                // polls every 10 s
    Signal queue = depth.signal("remittance-queue", 24);
    // end::depth[]
    ReplicaAdvisor advisor = ReplicaAdvisor.builder("remittance")
        .signal(queue)
        .currentReplicas(() -> 5)     // a PodCountSource in a cluster
        .build();
    // tag::publisher[]
    CloudWatchPublisher publisher = CloudWatchPublisher.builder(cloudWatch, "Headroom")
        .advisor(advisor)                                        // its signals and the advice
        .highResolution(true)                                    // 1 s storage
        .build()
        .start();
    // end::publisher[]
    return publisher;
  }
}
