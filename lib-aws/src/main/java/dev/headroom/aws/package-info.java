/**
 * AWS adapter on the AWS SDK v2 (provided scope): an SQS queue's depth as a scaling signal,
 * counted as KEDA's aws-sqs-queue scaler counts it ({@link dev.headroom.aws.SqsQueueDepth}), and
 * a CloudWatch publisher of signals and replica advice for KEDA's aws-cloudwatch scaler and ECS
 * target tracking ({@link dev.headroom.aws.CloudWatchPublisher}). Both use the async clients on
 * their own thread and never throw into, or block, the application.
 */
package dev.headroom.aws;
