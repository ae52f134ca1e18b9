package clustermgr

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestPlanFunction(t *testing.T) {
	now := time.Time{}.Add(time.Hour)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	creating := func(id string, started time.Duration) PlanInstance {
		return PlanInstance{ID: id, Phase: PhaseCreating, Started: at(started)}
	}
	starting := func(id string, started, deadline time.Duration) PlanInstance {
		return PlanInstance{ID: id, Phase: PhaseStarting, Started: at(started), Deadline: at(deadline)}
	}
	ready := func(id string, started time.Duration) PlanInstance {
		return PlanInstance{ID: id, Phase: PhaseReady, Started: at(started)}
	}
	draining := func(id string, deadline time.Duration) PlanInstance {
		return PlanInstance{ID: id, Phase: PhaseDraining, Started: at(-time.Minute), Deadline: at(deadline)}
	}
	gone := func(id string) PlanInstance {
		return PlanInstance{ID: id, Phase: PhaseGone, Started: at(-time.Minute)}
	}
	tests := []struct {
		name    string
		desired int
		insts   []PlanInstance
		backoff BackoffState
		want    Plan
	}{
		{name: "nothing wanted, nothing running"},
		{name: "scale up from zero", desired: 3, want: Plan{Start: 3}},
		{name: "at the desired count waits for the start deadline", desired: 2,
			insts: []PlanInstance{ready("a", -time.Minute), starting("b", -time.Second, 5*time.Second)},
			want:  Plan{Next: at(5 * time.Second)}},
		{name: "creating ones count", desired: 2,
			insts: []PlanInstance{creating("a", -time.Second), ready("b", -time.Minute)}},
		{name: "scale down drains earlier phases first, then the newest", desired: 1,
			insts: []PlanInstance{
				ready("old", -3*time.Minute), ready("new", -time.Minute), ready("mid", -2*time.Minute),
				starting("s", -5*time.Minute, 5*time.Second), creating("c", -6*time.Minute),
			},
			want: Plan{Drain: []string{"c", "s", "new", "mid"}}},
		{name: "scale to zero drains all", desired: 0,
			insts: []PlanInstance{ready("a", -time.Minute), ready("b", -time.Minute)},
			want:  Plan{Drain: []string{"b", "a"}}},
		{name: "a negative count other than KeepDesired is zero", desired: -2,
			insts: []PlanInstance{ready("a", -time.Minute)},
			want:  Plan{Drain: []string{"a"}}},
		{name: "a draining instance does not count, a replacement starts", desired: 1,
			insts: []PlanInstance{draining("d", 10*time.Second)},
			want:  Plan{Start: 1, Next: at(10 * time.Second)}},
		{name: "a draining instance without a grace deadline waits for nothing", desired: 1,
			insts: []PlanInstance{{ID: "d", Phase: PhaseDraining}, ready("r", -time.Minute)}},
		{name: "an instance on its way out does not count", desired: 1,
			insts: []PlanInstance{gone("k")}, want: Plan{Start: 1}},
		{name: "start timeout stops it and holds the replacement for the back-off", desired: 1,
			insts: []PlanInstance{starting("s", -time.Minute, 0)},
			want:  Plan{Stop: []Stop{{"s", OverdueStart}}}},
		{name: "a starting instance without a deadline never times out", desired: 1,
			insts: []PlanInstance{{ID: "s", Phase: PhaseStarting}}},
		{name: "grace expiry stops it", desired: 0,
			insts: []PlanInstance{draining("d", -time.Millisecond), draining("e", time.Second)},
			want:  Plan{Stop: []Stop{{"d", OverdueGrace}}, Next: at(time.Second)}},
		{name: "back-off holds starts until NotBefore", desired: 2,
			backoff: BackoffState{Failures: 3, NotBefore: at(400 * time.Millisecond)},
			want:    Plan{Next: at(400 * time.Millisecond)}},
		{name: "back-off over allows starts", desired: 2,
			insts:   []PlanInstance{ready("a", -time.Minute)},
			backoff: BackoffState{Failures: 3, NotBefore: now},
			want:    Plan{Start: 1}},
		{name: "back-off does not hold drains", desired: 0,
			insts:   []PlanInstance{ready("a", -time.Minute)},
			backoff: BackoffState{Failures: 3, NotBefore: at(time.Minute)},
			want:    Plan{Drain: []string{"a"}}},
		{name: "equal start times drain by id, highest first", desired: 1,
			insts: []PlanInstance{ready("a", -time.Minute), ready("c", -time.Minute), ready("b", -time.Minute)},
			want:  Plan{Drain: []string{"c", "b"}}},
		{name: "keep what runs", desired: KeepDesired,
			insts: []PlanInstance{ready("a", -time.Minute), starting("b", -time.Second, time.Second)},
			want:  Plan{Next: at(time.Second)}},
		{name: "keep still stops what is overdue", desired: KeepDesired,
			insts: []PlanInstance{starting("b", -time.Minute, 0)},
			want:  Plan{Stop: []Stop{{"b", OverdueStart}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insts := slices.Clone(tt.insts)
			got := PlanFunction(now, tt.desired, insts, tt.backoff)
			if got.Start != tt.want.Start || !slices.Equal(got.Drain, tt.want.Drain) ||
				!slices.Equal(got.Stop, tt.want.Stop) || !got.Next.Equal(tt.want.Next) {
				t.Fatalf("plan = %+v, want %+v", got, tt.want)
			}
			if got.Empty() != (tt.want.Start == 0 && len(tt.want.Drain) == 0 && len(tt.want.Stop) == 0) {
				t.Errorf("Empty() = %v for %+v", got.Empty(), got)
			}
			if !slices.Equal(insts, tt.insts) {
				t.Error("PlanFunction changed its input's order")
			}
		})
	}
}

// BenchmarkPlanFunction measures one plan over a function with n instances.
func BenchmarkPlanFunction(b *testing.B) {
	now := time.Time{}.Add(time.Hour)
	for _, n := range []int{10, 100, 1000} {
		insts := make([]PlanInstance, n)
		for i := range insts {
			insts[i] = PlanInstance{ID: fmt.Sprint("fn-", i), Phase: Phase(1 + i%3), Started: now.Add(-time.Duration(i) * time.Second), Deadline: now.Add(time.Minute)}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				_ = PlanFunction(now, n/2, insts, BackoffState{})
			}
		})
	}
}
