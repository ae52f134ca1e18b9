package local

import (
	"errors"
	"testing"

	"github.com/wavelink/wavelink/services/clustermgr"
)

func TestPlanMapping(t *testing.T) {
	for s, want := range map[State]clustermgr.Phase{
		StateStarting: clustermgr.PhaseStarting,
		StateReady:    clustermgr.PhaseReady,
		StateDraining: clustermgr.PhaseDraining,
		StateKilled:   clustermgr.PhaseGone,
	} {
		if got := s.phase(); got != want {
			t.Errorf("%s: phase %d, want %d", s, got, want)
		}
	}
	if !errors.Is(killReason(clustermgr.OverdueStart), ErrStartTimeout) || !errors.Is(killReason(clustermgr.OverdueGrace), ErrGraceExpired) {
		t.Error("a plan's stops do not map to ErrStartTimeout and ErrGraceExpired")
	}
}
