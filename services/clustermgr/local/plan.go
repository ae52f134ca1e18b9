package local

import "github.com/wavelink/wavelink/services/clustermgr"

// The reconciler plans with clustermgr.PlanFunction; this file maps the
// manager's states and errors to and from it.

// phase is the planning phase of an instance in state s.
func (s State) phase() clustermgr.Phase {
	switch s {
	case StateStarting:
		return clustermgr.PhaseStarting
	case StateReady:
		return clustermgr.PhaseReady
	case StateDraining:
		return clustermgr.PhaseDraining
	default: // StateKilled: waiting to be reaped
		return clustermgr.PhaseGone
	}
}

// killReason is the Err of the event of an instance the plan stops at once:
// its process group is killed.
func killReason(why clustermgr.Overdue) error {
	if why == clustermgr.OverdueGrace {
		return ErrGraceExpired
	}
	return ErrStartTimeout
}
