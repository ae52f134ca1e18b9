package clustermgr

import (
	"cmp"
	"slices"
	"time"
)

// Phase is where a regular instance is, as far as planning goes. The
// phases are ordered: when a function has too many instances, those in an
// earlier phase are drained first.
type Phase int

// Instance phases.
const (
	// PhaseCreating: being created; nothing of it runs yet.
	PhaseCreating Phase = iota
	// PhaseStarting: runs but has not reported ready.
	PhaseStarting
	// PhaseReady: reported ready and pulls invocations.
	PhaseReady
	// PhaseDraining: asked to stop, finishing its work.
	PhaseDraining
	// PhaseGone: being killed or removed; the plan leaves it alone.
	PhaseGone
)

// active reports whether an instance in this phase counts toward the
// desired number.
func (p Phase) active() bool { return p == PhaseCreating || p == PhaseStarting || p == PhaseReady }

// PlanInstance is what the plan needs to know of one instance.
type PlanInstance struct {
	ID      string
	Phase   Phase
	Started time.Time
	// Deadline is when a starting instance must be ready, or when a
	// draining one's grace ends. Zero means none.
	Deadline time.Time
}

// Overdue says why the plan stops an instance at once.
type Overdue int

// Why an instance is stopped at once.
const (
	// OverdueStart: it was not ready by its deadline.
	OverdueStart Overdue = iota + 1
	// OverdueGrace: it was still draining at the end of its grace.
	OverdueGrace
)

// Stop asks for one instance to be stopped at once (killed, or its
// container removed).
type Stop struct {
	ID  string
	Why Overdue
}

// Plan is what a backend's reconciler should do for one function.
type Plan struct {
	// Start is how many new instances to start.
	Start int
	// Drain lists instances to ask to stop, in order.
	Drain []string
	// Stop lists instances to stop at once.
	Stop []Stop
	// Next is when the plan should run again if nothing else happens; zero
	// means no deadline is pending.
	Next time.Time
}

// Empty reports whether the plan asks for nothing.
func (p Plan) Empty() bool { return p.Start == 0 && len(p.Drain) == 0 && len(p.Stop) == 0 }

// KeepDesired, as a desired count, keeps what runs: nothing is started or
// drained (a backend that found instances of a function it has had no Scale
// for yet). Overdue instances are still stopped.
const KeepDesired = -1

// PlanFunction decides what to do for one function at now, given how many
// instances are desired (KeepDesired: keep what runs; any other negative
// count is zero), its instances and its restart back-off. It is pure and
// leaves insts as it found them.
//
// Starting instances past their deadline are stopped (OverdueStart), and so
// are draining ones past theirs (OverdueGrace); neither counts toward
// desired. Surplus active instances are drained, earlier phases first, then
// the newest. Missing ones are started when the back-off allows, and not in
// a plan that stops one for its start deadline (that failure steps the
// back-off first).
func PlanFunction(now time.Time, desired int, insts []PlanInstance, bo BackoffState) Plan {
	var p Plan
	soonest := func(t time.Time) {
		if !t.IsZero() && (p.Next.IsZero() || t.Before(p.Next)) {
			p.Next = t
		}
	}
	overdue := func(in PlanInstance) bool { return !in.Deadline.IsZero() && !now.Before(in.Deadline) }
	var active []PlanInstance
	timedOut := false
	for _, in := range insts {
		switch {
		case in.Phase == PhaseStarting && overdue(in):
			p.Stop = append(p.Stop, Stop{ID: in.ID, Why: OverdueStart})
			timedOut = true
		case in.Phase == PhaseDraining && overdue(in):
			p.Stop = append(p.Stop, Stop{ID: in.ID, Why: OverdueGrace})
		case in.Phase.active():
			active = append(active, in)
		case in.Phase == PhaseDraining:
			soonest(in.Deadline)
		}
	}
	if desired != KeepDesired {
		desired = max(desired, 0)
	}
	switch {
	case desired == KeepDesired:
	case len(active) > desired:
		slices.SortFunc(active, drainOrder)
		for _, in := range active[:len(active)-desired] {
			p.Drain = append(p.Drain, in.ID)
		}
		active = active[len(active)-desired:]
	case len(active) < desired && timedOut:
		// The backend steps the back-off for the timeout; replacements wait
		// for the next plan, which sees it.
	case len(active) < desired:
		if bo.Allows(now) {
			p.Start = desired - len(active)
		} else {
			soonest(bo.NotBefore)
		}
	}
	for _, in := range active {
		if in.Phase == PhaseStarting {
			soonest(in.Deadline)
		}
	}
	return p
}

// drainOrder sorts the instances to drain first to the front: earlier
// phases first, then the newest, then the highest id.
func drainOrder(x, y PlanInstance) int {
	if c := cmp.Compare(x.Phase, y.Phase); c != 0 {
		return c
	}
	if c := y.Started.Compare(x.Started); c != 0 {
		return c
	}
	return cmp.Compare(y.ID, x.ID)
}
