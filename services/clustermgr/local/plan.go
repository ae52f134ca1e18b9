package local

import (
	"cmp"
	"slices"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// instanceView is what the plan needs to know of one instance.
type instanceView struct {
	ID      string
	State   State
	Started time.Time
	// Deadline is when a Starting instance must be ready, or when a
	// Draining instance must have stopped. Zero means none.
	Deadline time.Time
}

// kill asks for an instance's process group to get SIGKILL.
type kill struct {
	ID     string
	Reason error
}

// actions is what the reconciler should do for one function.
type actions struct {
	// Start is how many new instances to start.
	Start int
	// Drain lists instances to send SIGTERM, in order.
	Drain []string
	// Kill lists instances to kill.
	Kill []kill
	// Next is when the plan should run again if nothing else happens; zero
	// means no deadline is pending.
	Next time.Time
}

func (a actions) empty() bool { return a.Start == 0 && len(a.Drain) == 0 && len(a.Kill) == 0 }

// planFunction decides what to do for one function at now, given how many
// instances are desired, its instances and its restart back-off. It is pure.
//
// Starting instances past their deadline are killed (ErrStartTimeout) and
// Draining ones past theirs are killed (ErrGraceExpired); neither counts
// toward desired. Surplus active instances are drained, not-ready ones first,
// then the newest. Missing ones are started when the back-off allows, and not
// in a plan that kills for a start timeout (that failure steps the back-off
// first).
func planFunction(now time.Time, desired int, insts []instanceView, bo clustermgr.BackoffState) actions {
	var a actions
	soonest := func(t time.Time) {
		if !t.IsZero() && (a.Next.IsZero() || t.Before(a.Next)) {
			a.Next = t
		}
	}
	var active []instanceView
	timedOut := false
	for _, in := range insts {
		switch {
		case in.State == StateStarting && !in.Deadline.IsZero() && !now.Before(in.Deadline):
			a.Kill = append(a.Kill, kill{ID: in.ID, Reason: ErrStartTimeout})
			timedOut = true
		case in.State == StateDraining && !in.Deadline.IsZero() && !now.Before(in.Deadline):
			a.Kill = append(a.Kill, kill{ID: in.ID, Reason: ErrGraceExpired})
		case in.State.active():
			active = append(active, in)
		case in.State == StateDraining:
			soonest(in.Deadline)
		}
	}
	desired = max(desired, 0)
	switch {
	case len(active) > desired:
		slices.SortFunc(active, drainOrder)
		for _, in := range active[:len(active)-desired] {
			a.Drain = append(a.Drain, in.ID)
		}
		active = active[len(active)-desired:]
	case len(active) < desired && timedOut:
		// The runner steps the back-off for the timeout; replacements wait
		// for the next plan, which sees it.
	case len(active) < desired:
		if bo.Allows(now) {
			a.Start = desired - len(active)
		} else {
			soonest(bo.NotBefore)
		}
	}
	for _, in := range active {
		if in.State == StateStarting {
			soonest(in.Deadline)
		}
	}
	return a
}

// drainOrder sorts the instances to drain first to the front: not ready
// before ready, then newest first.
func drainOrder(x, y instanceView) int {
	if c := cmp.Compare(x.State, y.State); c != 0 {
		return c // StateStarting < StateReady
	}
	if c := y.Started.Compare(x.Started); c != 0 {
		return c
	}
	return cmp.Compare(y.ID, x.ID)
}
