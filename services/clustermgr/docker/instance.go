package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// instance is one entry of the reconciler's table: one container. Only the
// reconciler goroutine reads or changes it; the engine goroutines are given
// copies of what they need.
type instance struct {
	fn, id string
	// container is the container's ID; empty until it is created (or an
	// event names it).
	container string
	log       zerolog.Logger
	// grace is the container's stop timeout.
	grace time.Duration

	state State
	// started is when the container was asked for, or found.
	started time.Time
	// runStarted is when the current run of the container began.
	runStarted time.Time
	// deadline: ready-by while Starting; zero for none.
	deadline time.Time
	// run counts the runs of the container that ended; a ready notice is
	// for one run.
	run int
	// lastExit is the daemon's time of the last run's end: the container's
	// output is read from then on, so an earlier run's ready line is not
	// taken for this one's.
	lastExit time.Time
	// followRun is the run whose output is being read, or -1.
	followRun  int
	stopFollow context.CancelFunc
	// awaitingStart: the container ended a run and waits for its restart
	// policy to start it again (or was found so).
	awaitingStart bool
	// oom: the kernel killed a process of the current run for memory.
	oom bool
	// reason says why a Removing instance is removed.
	reason error
	// quiet: its end was reported already (or it was a leftover), so its
	// removal reports nothing.
	quiet bool
	// retryAt is when a removal that failed is tried again; zero for none.
	retryAt time.Time
	// queued: Creating, and waiting for a start slot; spec is what its
	// container is made from.
	queued bool
	spec   registry.Spec
}

func newInstance(fn, id string, log zerolog.Logger) *instance {
	return &instance{fn: fn, id: id, followRun: -1,
		log: log.With().Str("function", fn).Str("instance", id).Logger()}
}

// setContainer records the instance's container ID.
func (in *instance) setContainer(id string) {
	if in.container == "" && id != "" {
		in.container = id
		in.log = in.log.With().Str("container", shortID(id)).Logger()
	}
}

// InstanceInfo describes one instance container.
type InstanceInfo struct {
	Function  string
	ID        string
	Container string
	State     State
	Started   time.Time
}

func (in *instance) info() InstanceInfo {
	return InstanceInfo{Function: in.fn, ID: in.id, Container: in.container, State: in.state, Started: in.started}
}

func (in *instance) event(now time.Time, kind clustermgr.EventKind, err error) clustermgr.Event {
	return clustermgr.Event{Time: now, Function: in.fn, Instance: in.id, Kind: kind, Err: err}
}

// newInstanceID returns fn-<8 random hex digits>.
func newInstanceID(fn string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("%w: instance id: %w", ErrStart, err)
	}
	return fn + "-" + hex.EncodeToString(b[:]), nil
}

func shortID(id string) string { return id[:min(len(id), 12)] }
