// Package scaler runs the regular track of WaveLink's control plane: it
// watches each function's queue and concurrency signals, asks the pure
// decider in policy/ how many regular instances the function should have,
// and tells the cluster manager (clustermgr.Manager) through Scale.
//
// Signals: arrival notices (wl.arrival.<fn>, the WL_INVOKE stream's
// headers-only republish) and completion notices (wl.done.<fn>, from
// instances) are counted per function in the NATS callbacks, which never
// block. Each tick reads the queue depth (waiting plus unacked) of the
// functions that are active from their consumers, concurrently with a bound,
// so idle functions cost nothing; a few idle functions per tick are also
// read round robin, to catch work whose arrival notice was missed.
//
// Each tick decides for every function and calls Scale when the desired
// count changed, and re-asserts it every few ticks. An arrival for a
// function whose desired count is zero pokes it at once: the callback hands
// the function to a goroutine that coalesces pokes and asks for an instance
// without waiting for the tick.
//
// The per-arrival path is Scaler.onArrival (arrival.go), called once per
// stored invocation with the function's name and the time. It is where the
// expedited track plugs in: its per-arrival burst decision (a burst request
// to a Wavelet) belongs there, beside the poke, with its policy in a pure
// package like policy/.
//
// This package must never import wavelet/, services/gateway, services/instance
// or a cluster-manager backend (services/clustermgr/...): it knows the
// cluster manager only through clustermgr.Manager.
package scaler
