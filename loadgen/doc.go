// Package loadgen drives load at a running WaveLink and measures it against
// floors taken in the same run: the bare JetStream invocation floor (publish
// to a work-queue stream, pull with Consume, reply over core NATS), warm
// invocations through the gateway, the no-loss run that kills instances
// and the platform mid-load, open-loop constant and step load against one
// function, and the replay of an Azure Functions 2019 trace with cost
// accounting from the instances' start and stop records; report puts runs
// side by side (Markdown and PNG plots) and compare replays one trace
// against the scaler's four modes.
//
// It talks to WaveLink only through its public surfaces (HTTP, NATS, the
// wavelink binary, the wire types of schemas); it must never import
// services/ or wavelet/.
package loadgen
