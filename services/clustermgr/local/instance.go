package local

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// instance is one entry of the reconciler's table. Only the reconciler
// goroutine changes it; the process goroutines read fn, id, proc and log,
// which never change.
type instance struct {
	fn, id string
	proc   *process
	log    zerolog.Logger

	state   State
	started time.Time
	// deadline: ready-by while Starting, stopped-by while Draining.
	deadline time.Time
	// reason says why a Killed instance was killed.
	reason error
}

// note is what a process goroutine tells the reconciler: the instance
// reported ready, or its process was reaped.
type note struct {
	inst  *instance
	ready bool
	// exit says how the process ended (an *ExitError, or a wait error);
	// set when ready is false.
	exit error
}

func (in *instance) view() clustermgr.PlanInstance {
	return clustermgr.PlanInstance{ID: in.id, Phase: in.state.phase(), Started: in.started, Deadline: in.deadline}
}

func (in *instance) info() InstanceInfo {
	return InstanceInfo{Function: in.fn, ID: in.id, PID: in.proc.pid, State: in.state, Started: in.started}
}

func (in *instance) event(now time.Time, kind clustermgr.EventKind, err error) clustermgr.Event {
	return clustermgr.Event{Time: now, Function: in.fn, Instance: in.id, Kind: kind, Err: err}
}

// newInstanceID returns fn-<8 random hex digits>.
func newInstanceID(fn string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("%w: instance id: %w", ErrSpawn, err)
	}
	return fn + "-" + hex.EncodeToString(b[:]), nil
}
