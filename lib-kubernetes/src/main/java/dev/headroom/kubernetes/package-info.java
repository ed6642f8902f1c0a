/**
 * The pod count of a Kubernetes Deployment for the pool budget, from watches on the API
 * (fabric8 informers): {@link dev.headroom.kubernetes.KubernetesPodCount}, a
 * {@link dev.headroom.budget.PodCountSource} that counts the Deployment's desired replicas and
 * every pod that still exists, terminating ones included.
 */
package dev.headroom.kubernetes;
