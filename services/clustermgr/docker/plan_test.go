package docker

import (
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// The plan sees a container's state as its phase, and a deadline only on a
// starting one: the engine ends a draining container's grace itself.
func TestPlanView(t *testing.T) {
	deadline := time.Time{}.Add(time.Hour)
	for _, tc := range []struct {
		state        State
		phase        clustermgr.Phase
		withDeadline bool
	}{
		{StateCreating, clustermgr.PhaseCreating, false},
		{StateStarting, clustermgr.PhaseStarting, true},
		{StateReady, clustermgr.PhaseReady, false},
		{StateDraining, clustermgr.PhaseDraining, false},
		{StateRemoving, clustermgr.PhaseGone, false},
	} {
		in := &instance{id: "i", state: tc.state, deadline: deadline}
		v := in.view()
		if v.Phase != tc.phase || v.Deadline.Equal(deadline) != tc.withDeadline {
			t.Errorf("%s: view %+v, want phase %d with deadline %v", tc.state, v, tc.phase, tc.withDeadline)
		}
	}
}
