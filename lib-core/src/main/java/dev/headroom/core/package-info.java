/**
 * Plumbing shared by every Headroom primitive: the injectable {@link dev.headroom.core.NanoClock},
 * the argument {@link dev.headroom.core.Checks} that give every error one message shape, and the
 * base {@link dev.headroom.core.RejectedException} by which a primitive refuses work. The
 * metrics seam lives in {@link dev.headroom.core.metrics}.
 */
package dev.headroom.core;
