// Package scaler runs both tracks of WaveLink's control plane. The regular
// track asks the cluster manager (clustermgr.Manager) for long-lived regular
// instances through Scale; the expedited track asks the Wavelets, on
// wl.wavelet.<node>.burst, for short-lived emergency instances when work
// arrives faster than the function's instances can take it. The decisions
// are pure and live in policy/ (regular replicas) and expedite/ (burst size,
// placement, rarity); this package owns the goroutines, timers and I/O.
//
// Signals: arrival notices (wl.arrival.<fn>, the WL_INVOKE stream's
// headers-only republish) and completion notices (wl.done.<fn>, from
// instances of both tracks) are counted per function in the NATS callbacks,
// which never block. Each tick reads the queue depth (waiting plus unacked)
// of the functions that are active from their consumers, concurrently with a
// bound, so idle functions cost nothing; a few idle functions per tick are
// also read round robin, to catch work whose arrival notice was missed.
// Between ticks a function's outstanding work is estimated as the depth last
// read plus arrivals minus completions since; each tick corrects it.
//
// The regular track: each tick decides every function and calls Scale when
// the desired count changed, and re-asserts it every few ticks.
//
// The expedited track: the per-arrival path (Scaler.onArrival, arrival.go)
// asks expedite.Burst how many emergency instances the outstanding work
// needs beyond the function's ready regular instances and its emergency
// ones (those the Wavelets report in the wl_nodes bucket, those granted
// since a node's last status, and those asked for and not answered yet, so
// one burst is asked for once), places them with expedite.Place (pool
// entries first, then the most free slots) and queues the requests for a
// few sender goroutines, which merge requests to the same node and wait up
// to Config.BurstTimeout for each reply. When no Wavelet can take the work
// (none known, all refuse, none answers), the function falls back to the
// regular track: a poke from zero asks the cluster manager for an instance,
// so a platform without Wavelets still serves.
//
// Config.Mode selects how the tracks share the work:
//   - ModeWavelink (default): both tracks. The regular count follows the
//     peak concurrency over the stable window (policy.DecidePeak, no panic
//     mode: bursts are the expedited track's), within the spec's min and
//     max; a rare function (mean inter-arrival time above
//     expedite.Params.RareAfter) gets no regular instances beyond its min.
//   - ModeAsync: the regular track alone, Knative-like: the KPA decider
//     (policy.Decide) each tick and a poke from zero at an arrival.
//   - ModeSync: the regular track alone, Lambda-like: an arrival that finds
//     no free regular instance has the poke goroutine ask for one more at
//     once; instances stay for Config.KeepAlive after they were last
//     needed.
//   - ModeFastpath: every instance from Wavelets, Dirigent-like: no regular
//     instances (not even the spec's min) while a Wavelet takes the
//     function's work, and burst requests whose instances live like regular
//     ones (idle timeout Config.KeepAlive, max lifetime
//     FastpathMaxLifetime).
//
// This package must never import wavelet/, services/gateway,
// services/instance or a cluster-manager backend (services/clustermgr/...):
// it knows the cluster manager only through clustermgr.Manager and the
// Wavelets only through subjects, the wl_nodes bucket and package schemas.
package scaler
