// Package streams owns WaveLink's JetStream topology: the names of every
// subject, stream, consumer and key-value bucket, the idempotent creation of
// the streams and buckets, the per-function durable pull consumer, and the
// embedded NATS server that `wavelink up` runs.
//
// Everything that talks to NATS takes its names from here, so a name changes
// in one place. This package must never import a WaveLink service package
// (services/..., wavelet/); services import it, not the other way round.
package streams
