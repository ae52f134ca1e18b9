package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const tick = 2 * time.Second

func TestDecideScaleUpOnBacklog(t *testing.T) {
	tests := []struct {
		name        string
		lim         Limits
		obs         Observation
		wantDesired int
		wantPanic   bool
	}{
		{"cold backlog of 100 at concurrency 10", lim10, Observation{Waiting: 100}, 15, true},
		{"in-flight counts as load", lim10, Observation{Waiting: 30, InFlight: 40}, 10, true},
		{"one queued invocation wants one instance", lim10, Observation{Waiting: 1}, 1, false},
		{"load matching the one ready instance", lim10, Observation{Waiting: 3, InFlight: 4, Ready: 1}, 1, false},
		{"restart with two ready starts in panic", lim10, Observation{Waiting: 4, InFlight: 10, Ready: 2}, 2, true},
		{"concurrency 1", Limits{Concurrency: 1, MaxInstances: 100}, Observation{Waiting: 7}, 10, true},
		{"no work stays at zero", lim10, Observation{}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, DefaultParams())
			tc.obs.Limits = tc.lim
			d := s.step(0, tc.obs)
			if d.Desired != tc.wantDesired || d.Panic != tc.wantPanic {
				t.Fatalf("desired %d panic %v (%s), want %d panic %v", d.Desired, d.Panic, d.Reason, tc.wantDesired, tc.wantPanic)
			}
			if d.Reason == "" {
				t.Fatal("decision has no reason")
			}
		})
	}
}

func TestDecidePanic(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, s *sim)
	}{
		{"spike enters panic and follows the panic window", func(t *testing.T, s *sim) {
			d := s.run(31, tick, load(7, 1, lim10))
			if d.Desired != 1 || d.Panic {
				t.Fatalf("steady: desired %d panic %v, want 1 and no panic", d.Desired, d.Panic)
			}
			d = s.step(tick, load(70, 1, lim10))
			if !d.Panic {
				t.Fatalf("spike: no panic (%s)", d.Reason)
			}
			// panic window: (7+7+70)/3 = 28 -> 4; stable window: (29*7+70)/30 -> 2
			if d.Desired != 4 {
				t.Fatalf("spike: desired %d (%s), want 4 from the panic window", d.Desired, d.Reason)
			}
		}},
		{"below the threshold is no panic", func(t *testing.T, s *sim) {
			s.run(31, tick, load(7, 1, lim10))
			// panic window (7+7+14)/3 = 9.3 -> 2 < 2.0 x 2 ready
			d := s.step(tick, load(14, 2, lim10))
			if d.Panic {
				t.Fatalf("panic at 2x load with 2 ready: %s", d.Reason)
			}
		}},
		{"no scale-down while panicking", func(t *testing.T, s *sim) {
			s.run(31, tick, load(7, 1, lim10))
			d := s.run(3, tick, load(140, 1, lim10))
			peak := d.Desired
			if !d.Panic || peak < 10 {
				t.Fatalf("burst: desired %d panic %v, want panic and at least 10", peak, d.Panic)
			}
			// The burst is gone; for a stable window after it the count holds.
			for i := range 29 {
				d = s.step(tick, load(0, peak, lim10))
				if d.Desired < peak {
					t.Fatalf("step %d after the burst: desired %d below the panic peak %d (%s)", i, d.Desired, peak, d.Reason)
				}
				if !d.Panic {
					t.Fatalf("step %d after the burst: left panic before a stable window passed", i)
				}
			}
		}},
		{"leaves panic a stable window after the condition", func(t *testing.T, s *sim) {
			s.run(31, tick, load(7, 1, lim10))
			s.run(3, tick, load(140, 1, lim10))
			d := s.run(30, tick, load(0, 20, lim10))
			if d.Panic {
				t.Fatalf("still panicking 60s after the burst: %s", d.Reason)
			}
			if d.Desired >= 20 {
				t.Fatalf("desired %d after leaving panic, want a scale-down", d.Desired)
			}
		}},
		{"panic extends while the condition holds", func(t *testing.T, s *sim) {
			s.step(0, load(200, 1, lim10))
			// Ready never catches up: the condition holds for 100s.
			d := s.run(50, tick, load(200, 1, lim10))
			if !d.Panic {
				t.Fatal("left panic while the condition held")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, newSim(t, DefaultParams())) })
	}
}

func TestDecideStableWindowScaleDown(t *testing.T) {
	s := newSim(t, DefaultParams())
	// 63 concurrent at 70% of 10 per instance wants 9; ready follows.
	d := s.run(40, tick, load(63, 9, lim10))
	if d.Desired != 9 || d.Panic {
		t.Fatalf("steady: desired %d panic %v, want 9 without panic", d.Desired, d.Panic)
	}
	// Load falls to 7: the stable average falls over the window.
	d = s.step(tick, load(7, 9, lim10))
	if d.Desired < 8 {
		t.Fatalf("right after the drop: desired %d, want the stable window to keep at least 8", d.Desired)
	}
	prev := d.Desired
	for range 29 {
		d = s.step(tick, load(7, prev, lim10))
		if d.Desired > prev {
			t.Fatalf("desired rose from %d to %d while load fell", prev, d.Desired)
		}
		prev = d.Desired
	}
	if d.Desired != 1 {
		t.Fatalf("a stable window after the drop: desired %d (%s), want 1", d.Desired, d.Reason)
	}
}

func TestDecideScaleToZero(t *testing.T) {
	short := DefaultParams()
	short.StableWindow = 10 * time.Second
	short.PanicWindow = 4 * time.Second
	tests := []struct {
		name string
		p    Params
		// zeroAfter is how long after the last work the count first reaches 0.
		zeroAfter time.Duration
	}{
		{"grace binds when the stable window is shorter", short, 30 * time.Second},
		{"stable window binds with the defaults", DefaultParams(), 60 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, tc.p)
			s.run(10, tick, load(5, 1, lim10))
			lastWork := s.now
			for {
				d := s.step(tick, idle(1, lim10))
				idleFor := s.now.Sub(lastWork)
				if idleFor < tc.zeroAfter && d.Desired == 0 {
					t.Fatalf("zero after %s idle, want not before %s", idleFor, tc.zeroAfter)
				}
				if idleFor >= tc.zeroAfter {
					if d.Desired != 0 {
						t.Fatalf("desired %d after %s idle (%s), want 0", d.Desired, idleFor, d.Reason)
					}
					if !strings.Contains(d.Reason, "zero") {
						t.Fatalf("reason %q does not say why it went to zero", d.Reason)
					}
					return
				}
			}
		})
	}
}

func TestDecideArrivalsAndCompletionsCountAsWork(t *testing.T) {
	short := DefaultParams()
	short.StableWindow = 4 * time.Second
	short.PanicWindow = 2 * time.Second
	// Invocations shorter than a tick: the queue always reads empty, but
	// arrivals and completions show the function is used.
	s := newSim(t, short)
	s.step(0, load(3, 0, lim10))
	for i := range 60 {
		d := s.step(tick, Observation{Arrivals: 5, Completions: 5, Ready: 1, Limits: lim10})
		if d.Desired == 0 {
			t.Fatalf("step %d: scaled to zero while invocations flow (%s)", i, d.Reason)
		}
	}
}

func TestDecideBounds(t *testing.T) {
	tests := []struct {
		name string
		lim  Limits
		obs  Observation
		want int
	}{
		{"min holds with no work", Limits{Concurrency: 10, MinInstances: 2, MaxInstances: 5}, Observation{}, 2},
		{"max caps a backlog", Limits{Concurrency: 10, MinInstances: 0, MaxInstances: 5}, Observation{Waiting: 10000}, 5},
		{"min equals max", Limits{Concurrency: 1, MinInstances: 3, MaxInstances: 3}, Observation{Waiting: 100}, 3},
		{"huge backlog does not overflow", Limits{Concurrency: 1, MaxInstances: 1000}, Observation{Waiting: 1 << 40, Ready: 1 << 30}, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, DefaultParams())
			tc.obs.Limits = tc.lim
			for i := range 60 { // 2 minutes, past every window and grace
				d := s.step(tick, tc.obs)
				if d.Desired < tc.lim.MinInstances || d.Desired > tc.lim.MaxInstances {
					t.Fatalf("step %d: desired %d outside [%d, %d]", i, d.Desired, tc.lim.MinInstances, tc.lim.MaxInstances)
				}
				if d.Desired != tc.want {
					t.Fatalf("step %d: desired %d (%s), want %d", i, d.Desired, d.Reason, tc.want)
				}
			}
		})
	}
}

func TestDecideRateLimits(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *Params)
		run   func(s *sim) Decision
		want  int
	}{
		{"scale-up is bounded by rate x ready", func(p *Params) { p.MaxScaleUpRate = 2 },
			func(s *sim) Decision { return s.step(0, load(700, 2, lim10)) }, 4},
		{"scale-up from zero ready counts one", func(p *Params) { p.MaxScaleUpRate = 3 },
			func(s *sim) Decision { return s.step(0, load(700, 0, lim10)) }, 3},
		{"scale-down is bounded by ready / rate", func(p *Params) {},
			func(s *sim) Decision {
				s.run(40, tick, load(70, 10, lim10))
				return s.run(40, tick, idle(10, lim10))
			}, 5},
		{"scale-down rate 4", func(p *Params) { p.MaxScaleDownRate = 4 },
			func(s *sim) Decision {
				s.run(40, tick, load(70, 10, lim10))
				return s.run(40, tick, idle(10, lim10))
			}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.setup(&p)
			d := tc.run(newSim(t, p))
			if d.Desired != tc.want {
				t.Fatalf("desired %d (%s), want %d", d.Desired, d.Reason, tc.want)
			}
		})
	}
}

func TestDecideDraining(t *testing.T) {
	tests := []struct {
		name string
		obs  Observation
		want int
	}{
		{"keeps instances while work is queued", Observation{Waiting: 1, Ready: 4, Draining: true}, 4},
		{"in-flight work also keeps them", Observation{InFlight: 2, Ready: 4, Draining: true}, 4},
		{"goes to zero once the queue is empty, ignoring min", Observation{Ready: 4, Draining: true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, DefaultParams())
			lim := Limits{Concurrency: 10, MinInstances: 2, MaxInstances: 10}
			s.run(40, tick, load(28, 4, lim)) // 28/7 = 4
			tc.obs.Limits = lim
			d := s.step(tick, tc.obs)
			if d.Desired != tc.want || !strings.Contains(d.Reason, "draining") {
				t.Fatalf("desired %d (%s), want %d for draining", d.Desired, d.Reason, tc.want)
			}
		})
	}
}

func TestDecideRestartHoldsReadyInstances(t *testing.T) {
	// A scaler that restarts knows no history: it must not drop running
	// instances at once.
	tests := []struct {
		name  string
		ready int
		// holdFor is how long the count is held with no work seen.
		holdFor time.Duration
	}{
		{"several ready are held in panic for a stable window", 5, 60 * time.Second},
		{"one ready is held for the grace", 1, 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, DefaultParams())
			var d Decision
			for s.now.Sub(t0) < tc.holdFor {
				if d = s.step(tick, idle(tc.ready, lim10)); d.Desired != tc.ready {
					t.Fatalf("%s after a restart: desired %d (%s), want %d held", s.now.Sub(t0), d.Desired, d.Reason, tc.ready)
				}
			}
			if d = s.run(2, tick, idle(tc.ready, lim10)); d.Desired >= tc.ready {
				t.Fatalf("still %d at %s after the restart, want a scale-down", d.Desired, s.now.Sub(t0))
			}
		})
	}
}

func TestDecideDoesNotModifyItsInput(t *testing.T) {
	p := DefaultParams()
	var st State
	for i := range 10 {
		_, st, _ = Decide(p, st, t0.Add(time.Duration(i)*tick), load(20, 1, lim10))
	}
	now := t0.Add(10 * tick)
	a, _, err := Decide(p, st, now, load(500, 1, lim10))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Decide(p, st, now, idle(1, lim10))
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := Decide(p, st, now, load(500, 1, lim10))
	if err != nil {
		t.Fatal(err)
	}
	if a != c {
		t.Fatalf("the same step from the same state gave %+v then %+v: the state was modified", a, c)
	}
	if a.Desired == b.Desired {
		t.Fatalf("different observations gave the same count %d: test is not sensitive", a.Desired)
	}
}

func TestDecideRejectsBadInput(t *testing.T) {
	bad := DefaultParams()
	bad.TargetUtilization = 0
	tests := []struct {
		name  string
		p     Params
		obs   Observation
		want  error
		field string
	}{
		{"bad params", bad, load(1, 0, lim10), ErrInvalidParams, "TargetUtilization"},
		{"zero params", Params{}, load(1, 0, lim10), ErrInvalidParams, "TargetUtilization"},
		{"zero concurrency", DefaultParams(), Observation{Limits: Limits{MaxInstances: 1}}, ErrInvalidLimits, "Concurrency"},
		{"min above max", DefaultParams(), Observation{Limits: Limits{Concurrency: 1, MinInstances: 3, MaxInstances: 2}}, ErrInvalidLimits, "MinInstances"},
		{"zero max", DefaultParams(), Observation{Limits: Limits{Concurrency: 1}}, ErrInvalidLimits, "MaxInstances"},
		{"negative waiting", DefaultParams(), Observation{Waiting: -1, Limits: lim10}, ErrInvalidObservation, "Waiting"},
		{"negative ready", DefaultParams(), Observation{Ready: -2, Limits: lim10}, ErrInvalidObservation, "Ready"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, st, err := Decide(tc.p, State{}, t0, tc.obs)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
			if d != (Decision{}) || st.Desired() != 0 {
				t.Fatalf("got a decision %+v with an error", d)
			}
		})
	}
}
