/**
 * AWS adapter: an SQS queue-depth source and a CloudWatch publisher for Headroom's scaling
 * signals, on the AWS SDK v2 (provided scope).
 */
package dev.headroom.aws;
