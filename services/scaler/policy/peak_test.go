package policy

import (
	"errors"
	"testing"
	"time"
)

func TestDecidePeak(t *testing.T) {
	type step struct {
		dt  time.Duration
		obs Observation
	}
	tests := []struct {
		name  string
		steps []step
		want  int
	}{
		{"one queued wants one", []step{{0, Observation{Waiting: 1}}}, 1},
		{"the peak, not the average", []step{
			{0, Observation{Waiting: 70}}, {tick, Observation{InFlight: 7, Ready: 10}}, {tick, Observation{InFlight: 7, Ready: 10}},
		}, 10},
		{"no panic mode: one step at the peak", []step{{0, Observation{Waiting: 700}}}, 100},
		{"capped at max", []step{{0, Observation{Waiting: 7000}}}, 100},
		{"the peak leaves the window", []step{
			{0, Observation{Waiting: 70}}, {61 * time.Second, Observation{InFlight: 7, Ready: 10}},
		}, 1},
		{"restart holds the ready instances", []step{{0, Observation{Ready: 4}}, {50 * time.Second, Observation{Ready: 4}}}, 4},
		{"short calls that arrived count as one in flight", []step{{0, Observation{Arrivals: 3}}}, 1},
		{"so do short calls that finished", []step{{0, Observation{}}, {tick, Observation{Completions: 2}}}, 1},
		{"no work, no instance", []step{{0, Observation{}}, {tick, Observation{}}}, 0},
		{"expedited keeps none", []step{{0, Observation{Waiting: 70, Expedited: true}}}, 0},
		{"expedited skips the grace", []step{{0, Observation{Waiting: 7}}, {tick, Observation{Ready: 1, Expedited: true}}}, 0},
		{"draining keeps its count while work is queued", []step{
			{0, Observation{Waiting: 70}}, {61 * time.Second, Observation{Waiting: 1, Ready: 10, Draining: true}},
		}, 10},
		{"draining with an empty queue goes to zero", []step{{0, Observation{Waiting: 70}}, {tick, Observation{Ready: 10, Draining: true}}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, now := State{}, t0
			var d Decision
			for i, s := range tc.steps {
				now = now.Add(s.dt)
				s.obs.Limits = lim10
				var err error
				if d, st, err = DecidePeak(DefaultParams(), st, now, s.obs); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if d.Panic || st.Panicking() {
					t.Fatalf("step %d: panic mode in the peak decider", i)
				}
			}
			if d.Desired != tc.want || d.Reason == "" {
				t.Fatalf("desired %d (%q), want %d", d.Desired, d.Reason, tc.want)
			}
		})
	}
}

func TestDecidePeakScalesToZeroAfterTheGrace(t *testing.T) {
	p := DefaultParams()
	st, now := State{}, t0
	step := func(dt time.Duration, obs Observation) Decision {
		t.Helper()
		now = now.Add(dt)
		obs.Limits = lim10
		d, next, err := DecidePeak(p, st, now, obs)
		if err != nil {
			t.Fatal(err)
		}
		st = next
		return d
	}
	step(0, Observation{Waiting: 3})
	lastWork := now
	for now.Sub(lastWork) < p.StableWindow+p.ScaleToZeroGrace {
		d := step(tick, Observation{Ready: 1})
		idle := now.Sub(lastWork)
		if idle < p.ScaleToZeroGrace && d.Desired != 1 {
			t.Fatalf("%s idle: desired %d, want 1 within the grace", idle, d.Desired)
		}
		if idle >= p.StableWindow && d.Desired != 0 {
			t.Fatalf("%s idle: desired %d, want 0 once the window and the grace passed", idle, d.Desired)
		}
	}
}

func TestGrow(t *testing.T) {
	p := DefaultParams()
	p.TargetUtilization = 0.7 // the need must read back whole despite rounding
	lim := Limits{Concurrency: 3, MinInstances: 0, MaxInstances: 4}
	tests := []struct {
		name    string
		desired int // before, via Grow
		n       int
		want    int
	}{
		{"from zero", 0, 1, 1},
		{"one more", 2, 3, 3},
		{"never below the current count", 3, 1, 3},
		{"capped at max", 0, 9, 4},
		{"zero need keeps the count", 2, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st State
			var err error
			if tc.desired > 0 {
				if _, st, err = Grow(p, st, t0, tc.desired, lim); err != nil {
					t.Fatal(err)
				}
			}
			before := st
			n, next, err := Grow(p, st, t0.Add(time.Second), tc.n, lim)
			if err != nil || n != tc.want || next.Desired() != tc.want {
				t.Fatalf("Grow: %d (state %d), %v; want %d", n, next.Desired(), err, tc.want)
			}
			if before.Desired() != tc.desired {
				t.Fatal("Grow modified the state passed in")
			}
			// The peak decider keeps what Grow asked for, exactly.
			d, _, err := DecidePeak(p, next, t0.Add(2*time.Second), Observation{Ready: n, Limits: lim})
			if err != nil || d.Desired != tc.want {
				t.Fatalf("DecidePeak after Grow: %d (%s), %v; want %d", d.Desired, d.Reason, err, tc.want)
			}
		})
	}
}

func TestPeakRejectsBadInput(t *testing.T) {
	bad := DefaultParams()
	bad.BucketWidth = 0
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"bad params", func() error { _, _, err := DecidePeak(bad, State{}, t0, Observation{Limits: lim10}); return err }, ErrInvalidParams},
		{"bad limits", func() error { _, _, err := DecidePeak(DefaultParams(), State{}, t0, Observation{}); return err }, ErrInvalidLimits},
		{"negative count", func() error {
			_, _, err := DecidePeak(DefaultParams(), State{}, t0, Observation{Waiting: -1, Limits: lim10})
			return err
		}, ErrInvalidObservation},
		{"grow: bad params", func() error { _, _, err := Grow(bad, State{}, t0, 1, lim10); return err }, ErrInvalidParams},
		{"grow: bad limits", func() error { _, _, err := Grow(DefaultParams(), State{}, t0, 1, Limits{}); return err }, ErrInvalidLimits},
		{"grow: negative need", func() error { _, _, err := Grow(DefaultParams(), State{}, t0, -1, lim10); return err }, ErrInvalidObservation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}
