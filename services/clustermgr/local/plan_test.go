package local

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
)

func TestPlanFunction(t *testing.T) {
	now := time.Time{}.Add(time.Hour)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	starting := func(id string, started, deadline time.Duration) instanceView {
		return instanceView{ID: id, State: StateStarting, Started: at(started), Deadline: at(deadline)}
	}
	ready := func(id string, started time.Duration) instanceView {
		return instanceView{ID: id, State: StateReady, Started: at(started)}
	}
	draining := func(id string, deadline time.Duration) instanceView {
		return instanceView{ID: id, State: StateDraining, Started: at(-time.Minute), Deadline: at(deadline)}
	}
	killed := func(id string) instanceView {
		return instanceView{ID: id, State: StateKilled, Started: at(-time.Minute)}
	}
	type killWant struct {
		id     string
		reason error
	}
	tests := []struct {
		name      string
		desired   int
		insts     []instanceView
		backoff   clustermgr.BackoffState
		wantStart int
		wantDrain []string
		wantKill  []killWant
		wantNext  time.Time
	}{
		{name: "nothing wanted, nothing running"},
		{name: "scale up from zero", desired: 3, wantStart: 3},
		{name: "at the desired count waits for the start deadline", desired: 2,
			insts:    []instanceView{ready("a", -time.Minute), starting("b", -time.Second, 5*time.Second)},
			wantNext: at(5 * time.Second)},
		{name: "scale down drains not-ready first, then newest", desired: 1,
			insts: []instanceView{
				ready("old", -3*time.Minute), ready("new", -time.Minute), ready("mid", -2*time.Minute),
				starting("s", -time.Second, 5*time.Second),
			},
			wantDrain: []string{"s", "new", "mid"}},
		{name: "scale to zero drains all", desired: 0,
			insts:     []instanceView{ready("a", -time.Minute), ready("b", -time.Minute)},
			wantDrain: []string{"b", "a"}},
		{name: "a negative count is zero", desired: -2,
			insts:     []instanceView{ready("a", -time.Minute)},
			wantDrain: []string{"a"}},
		{name: "a draining instance does not count, a replacement starts", desired: 1,
			insts:     []instanceView{draining("d", 10*time.Second)},
			wantStart: 1, wantNext: at(10 * time.Second)},
		{name: "a killed instance does not count", desired: 1,
			insts: []instanceView{killed("k")}, wantStart: 1},
		{name: "start timeout kills and holds the replacement for the back-off", desired: 1,
			insts:    []instanceView{starting("s", -time.Minute, 0)},
			wantKill: []killWant{{"s", ErrStartTimeout}}},
		{name: "grace expiry kills", desired: 0,
			insts:    []instanceView{draining("d", -time.Millisecond), draining("e", time.Second)},
			wantKill: []killWant{{"d", ErrGraceExpired}}, wantNext: at(time.Second)},
		{name: "back-off holds starts until notBefore", desired: 2,
			backoff:  clustermgr.BackoffState{Failures: 3, NotBefore: at(400 * time.Millisecond)},
			wantNext: at(400 * time.Millisecond)},
		{name: "back-off over allows starts", desired: 2,
			insts:     []instanceView{ready("a", -time.Minute)},
			backoff:   clustermgr.BackoffState{Failures: 3, NotBefore: now},
			wantStart: 1},
		{name: "back-off does not hold drains", desired: 0,
			insts:     []instanceView{ready("a", -time.Minute)},
			backoff:   clustermgr.BackoffState{Failures: 3, NotBefore: at(time.Minute)},
			wantDrain: []string{"a"}},
		{name: "equal start times drain by id, highest first", desired: 1,
			insts:     []instanceView{ready("a", -time.Minute), ready("c", -time.Minute), ready("b", -time.Minute)},
			wantDrain: []string{"c", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insts := slices.Clone(tt.insts)
			a := planFunction(now, tt.desired, insts, tt.backoff)
			if a.Start != tt.wantStart {
				t.Errorf("Start = %d, want %d", a.Start, tt.wantStart)
			}
			if !slices.Equal(a.Drain, tt.wantDrain) {
				t.Errorf("Drain = %v, want %v", a.Drain, tt.wantDrain)
			}
			if len(a.Kill) != len(tt.wantKill) {
				t.Fatalf("Kill = %v, want %v", a.Kill, tt.wantKill)
			}
			for i, k := range a.Kill {
				if k.ID != tt.wantKill[i].id || !errors.Is(k.Reason, tt.wantKill[i].reason) {
					t.Errorf("Kill[%d] = %s (%v), want %s (%v)", i, k.ID, k.Reason, tt.wantKill[i].id, tt.wantKill[i].reason)
				}
			}
			if !a.Next.Equal(tt.wantNext) {
				t.Errorf("Next = %v, want %v", a.Next, tt.wantNext)
			}
			if !slices.Equal(insts, tt.insts) {
				t.Error("planFunction changed its input's order")
			}
		})
	}
}
