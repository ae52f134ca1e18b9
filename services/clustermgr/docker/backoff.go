package docker

import (
	"errors"
	"fmt"
	"time"
)

// Backoff spaces out replacements of a function whose containers fail for
// good. The first failure delays the next start by Min; each further
// failure doubles the delay up to Max. The count starts over when the
// failing instance had run for at least Reset, or when no failure came for
// Reset after starts were allowed again. Restarts within one container are
// the daemon's, with its own back-off.
type Backoff struct {
	Min   time.Duration
	Max   time.Duration
	Reset time.Duration
}

func (b Backoff) validate() error {
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

// backoffState is one function's replacement back-off.
type backoffState struct {
	// failures counts back-off steps since the last reset.
	failures int
	// notBefore is the earliest time a new container may start.
	notBefore time.Time
}

// delay is the wait after the given number of back-off steps (from 1).
func (b Backoff) delay(failures int) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// failed returns the state after an instance that had run for ran failed at
// now, and the delay before the next start. A failure while a delay is
// still pending (instances started together failing together) does not
// lengthen it.
func (b Backoff) failed(s backoffState, now time.Time, ran time.Duration) (backoffState, time.Duration) {
	if ran >= b.Reset || (s.failures > 0 && now.Sub(s.notBefore) >= b.Reset) {
		s = backoffState{}
	}
	if s.failures > 0 && now.Before(s.notBefore) {
		return s, s.notBefore.Sub(now)
	}
	s.failures++
	d := b.delay(s.failures)
	s.notBefore = now.Add(d)
	return s, d
}

// allows reports whether a new container may start at now.
func (s backoffState) allows(now time.Time) bool { return !now.Before(s.notBefore) }
