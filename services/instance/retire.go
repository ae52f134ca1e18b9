package instance

import "time"

// The pure decisions of an instance that retires by itself (an emergency
// instance): when it has been idle long enough, when its lifetime is over,
// and how long one pull may wait so that both are seen in time. Nothing
// here reads a clock.

// Bounds of one pull request.
const (
	// pullWait is how long an idle instance's pull waits for invocations
	// before it renews its request; a draining instance stops within it.
	pullWait = time.Second
	// minPullWait is the shortest pull wait, whatever the idle exit or the
	// time left.
	minPullWait = 10 * time.Millisecond
)

// Reasons an instance retires.
const (
	retireIdle     = "idle"
	retireLifetime = "lifetime"
)

// retirement says when an instance stops pulling by itself. Its zero value
// never retires.
type retirement struct {
	// idleExit is how long the instance may hold no invocation; zero for
	// no limit.
	idleExit time.Duration
	// end is when the instance's lifetime is over; zero for no limit.
	end time.Time
}

// newRetirement returns the retirement of an instance configured by cfg
// and started at started.
func newRetirement(cfg Config, started time.Time) retirement {
	p := retirement{idleExit: max(cfg.IdleExit, 0)}
	if cfg.MaxLifetime > 0 {
		p.end = started.Add(cfg.MaxLifetime)
	}
	return p
}

// idle reports whether an instance that has held no invocation since
// idleSince has been idle for its idle exit at now.
func (p retirement) idle(now, idleSince time.Time) bool {
	return p.idleExit > 0 && now.Sub(idleSince) >= p.idleExit
}

// deadline returns when the lifetime is over, and false without a limit.
func (p retirement) deadline() (time.Time, bool) {
	return p.end, !p.end.IsZero()
}

// pullWait returns how long a pull started at now may wait: pullWait, at
// most half the idle exit (so that an idle instance looks at its idleness
// at least twice per idle exit, and retires within one and a half of it),
// and no longer than what is left of the lifetime; never under
// minPullWait.
func (p retirement) pullWait(now time.Time) time.Duration {
	w := pullWait
	if p.idleExit > 0 {
		w = min(w, p.idleExit/2)
	}
	if end, ok := p.deadline(); ok {
		w = min(w, end.Sub(now))
	}
	return max(w, minPullWait)
}
