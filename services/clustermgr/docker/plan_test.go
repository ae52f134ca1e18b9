package docker

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
)

func TestPlanFunction(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name    string
		now     time.Time
		desired int
		insts   []instanceView
		bo      clustermgr.BackoffState
		want    actions
	}{
		{name: "nothing to do", now: t0, desired: 0},
		{name: "start missing", now: t0, desired: 3,
			insts: []instanceView{{ID: "a", State: StateReady}},
			want:  actions{Start: 2}},
		{name: "creating ones count", now: t0, desired: 2,
			insts: []instanceView{{ID: "a", State: StateCreating}, {ID: "b", State: StateReady}}},
		{name: "draining and removing ones do not count", now: t0, desired: 2,
			insts: []instanceView{{ID: "a", State: StateDraining}, {ID: "b", State: StateRemoving}, {ID: "c", State: StateReady}},
			want:  actions{Start: 1}},
		{name: "back-off holds starts", now: t0, desired: 1,
			bo:   clustermgr.BackoffState{Failures: 1, NotBefore: at(time.Second)},
			want: actions{Next: at(time.Second)}},
		{name: "back-off over", now: at(time.Second), desired: 1,
			bo:   clustermgr.BackoffState{Failures: 1, NotBefore: at(time.Second)},
			want: actions{Start: 1}},
		{name: "drain not ready first, then newest", now: t0, desired: 1,
			insts: []instanceView{
				{ID: "old", State: StateReady, Started: at(-3 * time.Second)},
				{ID: "new", State: StateReady, Started: at(-time.Second)},
				{ID: "starting", State: StateStarting, Started: at(-5 * time.Second), Deadline: at(time.Minute)},
				{ID: "creating", State: StateCreating, Started: at(-6 * time.Second)},
			},
			want: actions{Drain: []string{"creating", "starting", "new"}}},
		{name: "start timeout removes and waits for the back-off", now: at(time.Second), desired: 1,
			insts: []instanceView{{ID: "a", State: StateStarting, Deadline: at(time.Second)}},
			want:  actions{Remove: []removal{{ID: "a", Reason: ErrStartTimeout}}}},
		{name: "no deadline", now: at(time.Hour), desired: 1,
			insts: []instanceView{{ID: "a", State: StateStarting}}},
		{name: "next is the soonest deadline", now: t0, desired: 2,
			insts: []instanceView{{ID: "a", State: StateStarting, Deadline: at(2 * time.Second)}, {ID: "b", State: StateStarting, Deadline: at(time.Second)}},
			want:  actions{Next: at(time.Second)}},
		{name: "keep what was adopted", now: t0, desired: keepDesired,
			insts: []instanceView{{ID: "a", State: StateReady}, {ID: "b", State: StateStarting, Deadline: at(time.Second)}},
			want:  actions{Next: at(time.Second)}},
		{name: "keep still times out", now: at(time.Second), desired: keepDesired,
			insts: []instanceView{{ID: "b", State: StateStarting, Deadline: at(time.Second)}},
			want:  actions{Remove: []removal{{ID: "b", Reason: ErrStartTimeout}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := planFunction(tc.now, tc.desired, tc.insts, tc.bo)
			if got.Start != tc.want.Start || !slices.Equal(got.Drain, tc.want.Drain) || !got.Next.Equal(tc.want.Next) ||
				!slices.EqualFunc(got.Remove, tc.want.Remove, func(a, b removal) bool { return a.ID == b.ID && errors.Is(a.Reason, b.Reason) }) {
				t.Fatalf("plan = %+v, want %+v", got, tc.want)
			}
		})
	}
}
