package docker

import "github.com/wavelink/wavelink/services/clustermgr"

// The reconciler plans with clustermgr.PlanFunction; this file maps the
// manager's states to it.

// phase is the planning phase of an instance in state s.
func (s State) phase() clustermgr.Phase {
	switch s {
	case StateCreating:
		return clustermgr.PhaseCreating
	case StateStarting:
		return clustermgr.PhaseStarting
	case StateReady:
		return clustermgr.PhaseReady
	case StateDraining:
		return clustermgr.PhaseDraining
	default: // StateRemoving
		return clustermgr.PhaseGone
	}
}

// view is what the plan knows of the instance. Only a starting instance has
// a deadline: the engine itself kills a draining container at the end of its
// grace, so the plan stops an instance at once only for its start deadline.
func (in *instance) view() clustermgr.PlanInstance {
	v := clustermgr.PlanInstance{ID: in.id, Phase: in.state.phase(), Started: in.started}
	if in.state == StateStarting {
		v.Deadline = in.deadline
	}
	return v
}
