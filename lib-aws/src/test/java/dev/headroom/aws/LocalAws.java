package dev.headroom.aws;

import java.net.URI;
import java.time.Duration;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * ElasticMQ in-process on loopback, and SDK clients that can only talk to it: an explicit
 * region, static credentials and an endpoint override, so no default chain is ever consulted
 * and nothing leaves the machine.
 */
final class LocalAws implements AutoCloseable {

  static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
  static final Region REGION = Region.US_EAST_1;

  final SQSRestServer server;
  final URI endpoint;

  LocalAws() {
    server = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
    int port = server.waitUntilStarted().localAddress().getPort();
    endpoint = URI.create("http://127.0.0.1:" + port);
  }

  SqsAsyncClient asyncSqs() {
    return SqsAsyncClient.builder().region(REGION).credentialsProvider(CREDENTIALS)
        .endpointOverride(endpoint)
        .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD)
            .apiCallTimeout(Duration.ofSeconds(10)))
        .build();
  }

  SqsClient sqs() {
    return SqsClient.builder().region(REGION).credentialsProvider(CREDENTIALS)
        .endpointOverride(endpoint).build();
  }

  @Override
  public void close() {
    server.stopAndWait();
  }
}
