package policy

import (
	"testing"
	"time"
)

// t0 is the fake start time of every test: tests step now from it and never
// sleep.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var lim10 = Limits{Concurrency: 10, MinInstances: 0, MaxInstances: 100}

// sim steps Decide through a sequence of observations, keeping state.
type sim struct {
	t   testing.TB
	p   Params
	st  State
	now time.Time
}

func newSim(t testing.TB, p Params) *sim {
	t.Helper()
	return &sim{t: t, p: p, now: t0}
}

// step advances now by dt and decides on obs.
func (s *sim) step(dt time.Duration, obs Observation) Decision {
	s.t.Helper()
	s.now = s.now.Add(dt)
	d, st, err := Decide(s.p, s.st, s.now, obs)
	if err != nil {
		s.t.Fatalf("Decide at %s: %v", s.now.Sub(t0), err)
	}
	s.st = st
	return d
}

// run steps n times every dt with the same observation and returns the last
// decision.
func (s *sim) run(n int, dt time.Duration, obs Observation) Decision {
	s.t.Helper()
	var d Decision
	for range n {
		d = s.step(dt, obs)
	}
	return d
}

func load(conc, ready int, lim Limits) Observation {
	return Observation{Waiting: conc, Ready: ready, Arrivals: conc, Limits: lim}
}

func idle(ready int, lim Limits) Observation {
	return Observation{Ready: ready, Limits: lim}
}
