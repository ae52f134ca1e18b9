package policy

import (
	"errors"
	"testing"
	"time"
)

func TestPoke(t *testing.T) {
	up := func() State {
		s := newSim(t, DefaultParams())
		s.run(5, tick, load(50, 3, lim10))
		return s.st
	}
	tests := []struct {
		name    string
		st      State
		lim     Limits
		want    int
		changed bool
	}{
		{"from zero asks for one", State{}, lim10, 1, true},
		{"from zero with min 2 asks for 2", State{}, Limits{Concurrency: 1, MinInstances: 2, MaxInstances: 4}, 2, true},
		{"running function is unchanged", up(), lim10, 8, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, st, err := Poke(tc.st, t0, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want || st.Desired() != n {
				t.Fatalf("poke gave %d (state %d), want %d", n, st.Desired(), tc.want)
			}
			if changed := tc.st.Desired() != n; changed != tc.changed {
				t.Fatalf("changed %v, want %v", changed, tc.changed)
			}
		})
	}
}

func TestPokeKeepsTheInstanceForTheGrace(t *testing.T) {
	p := DefaultParams()
	p.StableWindow = 4 * time.Second
	p.PanicWindow = 2 * time.Second
	// The poke comes between ticks; by the next tick the one invocation
	// already ran, so the queue reads empty and nothing is counted.
	n, st, err := Poke(State{}, t0, lim10)
	if err != nil || n != 1 {
		t.Fatalf("poke: %d, %v", n, err)
	}
	s := &sim{t: t, p: p, st: st, now: t0}
	for s.now.Sub(t0) < p.ScaleToZeroGrace-tick {
		if d := s.step(tick, idle(1, lim10)); d.Desired != 1 {
			t.Fatalf("%s after the poke: desired %d (%s), want the instance kept", s.now.Sub(t0), d.Desired, d.Reason)
		}
	}
	if d := s.run(2, tick, idle(1, lim10)); d.Desired != 0 {
		t.Fatalf("past the grace: desired %d, want 0", d.Desired)
	}
}

func TestPokeRejectsBadLimits(t *testing.T) {
	_, _, err := Poke(State{}, t0, Limits{Concurrency: 0, MaxInstances: 1})
	if !errors.Is(err, ErrInvalidLimits) {
		t.Fatalf("error %v, want ErrInvalidLimits", err)
	}
}
