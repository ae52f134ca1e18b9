package clustermgr

import (
	"errors"
	"fmt"
	"time"
)

// Backoff spaces out new instances of a function whose instances fail
// (crash, or never get ready). The first failure delays the next start by
// Min; each further failure doubles the delay up to Max. The count starts
// over when the failing instance had run for at least Reset, or when no
// failure came for Reset after starts were allowed again. Backends keep one
// BackoffState per function and step it with Failed.
type Backoff struct {
	Min   time.Duration
	Max   time.Duration
	Reset time.Duration
}

// Validate returns an error naming the field that is out of range: Min and
// Reset must be positive and Max at least Min.
func (b Backoff) Validate() error {
	switch {
	case b.Min <= 0:
		return fmt.Errorf("Min must be positive, got %s", b.Min)
	case b.Max < b.Min:
		return fmt.Errorf("Max %s is below Min %s", b.Max, b.Min)
	case b.Reset <= 0:
		return errors.New("Reset must be positive")
	}
	return nil
}

// BackoffState is one function's back-off. The zero value allows starts.
type BackoffState struct {
	// Failures counts back-off steps since the last reset.
	Failures int
	// NotBefore is the earliest time a new instance may start.
	NotBefore time.Time
}

// delay is the wait after the given number of back-off steps (from 1).
func (b Backoff) delay(failures int) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Failed returns the state after an instance that had run for ran failed at
// now, and the delay before the next start. A failure while a delay is
// still pending (instances started together failing together) does not
// lengthen it.
func (b Backoff) Failed(s BackoffState, now time.Time, ran time.Duration) (BackoffState, time.Duration) {
	if ran >= b.Reset || (s.Failures > 0 && now.Sub(s.NotBefore) >= b.Reset) {
		s = BackoffState{}
	}
	if s.Failures > 0 && now.Before(s.NotBefore) {
		return s, s.NotBefore.Sub(now)
	}
	s.Failures++
	d := b.delay(s.Failures)
	s.NotBefore = now.Add(d)
	return s, d
}

// Allows reports whether a new instance may start at now.
func (s BackoffState) Allows(now time.Time) bool { return !now.Before(s.NotBefore) }
