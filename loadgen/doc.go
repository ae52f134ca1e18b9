// Package loadgen drives load at a running WaveLink and measures it against
// floors taken in the same run: the bare JetStream invocation floor (publish
// to a work-queue stream, pull with Consume, reply over core NATS), warm
// invocations through the gateway, and the no-loss run that kills instances
// and the platform mid-load.
//
// It talks to WaveLink only through its public surfaces (HTTP, NATS, the
// wavelink binary); it must never import services/ or wavelet/.
package loadgen
