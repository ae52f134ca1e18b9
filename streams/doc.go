// Package streams owns WaveLink's JetStream topology: the names of every
// subject, stream, consumer and key-value bucket, the idempotent creation of
// the streams and buckets, the per-function durable pull consumer, the
// embedded NATS server that `wavelink up` runs, and the upkeep of WL_INVOKE
// that a control plane runs beside them (moving invocations that ran out of
// deliveries to WL_DLQ, and the Anchor that keeps acks from remaking the
// stream's block file).
//
// Everything that talks to NATS takes its names from here, so a name changes
// in one place. This package must never import a WaveLink service package
// (services/..., wavelet/); services import it, not the other way round.
package streams
