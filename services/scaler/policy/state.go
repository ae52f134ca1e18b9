package policy

import "time"

// State is what the decider remembers of one function between steps. The
// zero value is a function never seen. It is a value: Decide and Poke never
// modify the State passed in, so a caller may keep earlier states.
type State struct {
	started bool
	// desired is the last desired count decided.
	desired int
	// lastWork is the last time work was seen: something queued or in
	// flight, an arrival or a completion.
	lastWork time.Time
	// panicking is set in panic mode; panicLast is when its condition was
	// last seen and panicHold the highest count decided during it.
	panicking bool
	panicLast time.Time
	panicHold int
	win       window
}

// Desired is the last desired count decided, 0 for a function never seen.
func (s State) Desired() int { return s.desired }

// Panicking reports whether the function is in panic mode.
func (s State) Panicking() bool { return s.panicking }

// LastWork is the last time work was seen for the function, zero if never.
func (s State) LastWork() time.Time { return s.lastWork }

// prepare returns a copy of s whose window has the params' geometry and
// shares no storage with s.
func (s State) prepare(p Params) State {
	if s.win.fits(p) {
		s.win = s.win.clone()
	} else {
		s.win = newWindow(p.buckets(), p.BucketWidth)
	}
	return s
}
