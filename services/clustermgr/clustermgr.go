// Package clustermgr declares what the scaler asks of a conventional cluster
// manager, the regular track's source of instances, and holds its backends:
// local/ (instances as processes on this machine) and docker/ (instances
// as containers through the Docker Engine API); a kubernetes/ backend is
// still to come.
//
// A backend owns the lifecycle of regular instances: it creates them to the
// desired count, restarts those that crash, and drains those it removes. It
// decides nothing about how many there should be. The backends share the
// pure plan of what to start, drain and stop for a function
// (PlanFunction), the restart back-off (Backoff) and the reconciler's time
// source (Clock) kept in this package. It must never import services/scaler, services/gateway
// or wavelet/.
package clustermgr

import (
	"context"
	"time"

	"github.com/wavelink/wavelink/services/registry"
)

// Manager is a conventional cluster manager as the scaler sees it.
type Manager interface {
	// Scale sets how many regular instances of the function should run. It
	// returns once the wish is recorded, not when instances are ready. A
	// count of zero removes every instance of the function.
	Scale(ctx context.Context, spec registry.Spec, replicas int) error
	// Ready returns how many instances of the function are ready to pull.
	Ready(fn string) int
	// Events delivers instance lifecycle events. The channel is closed when
	// the manager stops. A slow reader loses events, never blocks the manager.
	Events() <-chan Event
}

// EventKind is what happened to an instance.
type EventKind string

// Event kinds.
const (
	EventStarting EventKind = "starting" // the instance was asked to start
	EventReady    EventKind = "ready"    // the instance pulls invocations
	EventDraining EventKind = "draining" // the instance was asked to stop and finishes its work
	EventExited   EventKind = "exited"   // the instance ended; Err says why if it was not asked to
	EventFailed   EventKind = "failed"   // the instance could not start; it will be retried after a back-off
)

// Event reports a change in one regular instance.
type Event struct {
	Time     time.Time
	Function string
	Instance string
	Kind     EventKind
	// Err is set for an unexpected exit and for a failure to start.
	Err error
}
