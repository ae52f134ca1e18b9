package expedite

import (
	"fmt"
	"time"
)

// Params are the expedited track's knobs, shared by every function.
type Params struct {
	// MaxPerRequest bounds the emergency instances one Burst decision asks
	// for, and so one burst request to one node. 1 to MaxRequestCount.
	MaxPerRequest int
	// RareAfter is the mean inter-arrival time above which a function is
	// rare and gets no regular instances.
	RareAfter time.Duration
	// RareLookback is the longest span over which arrivals are counted for
	// the mean; a function observed for less is judged on the span
	// observed. It is at least RareAfter.
	RareLookback time.Duration
}

// MaxRequestCount is the largest count one burst request may carry.
const MaxRequestCount = 1000

// lookbackBuckets is how many buckets the arrival lookback is cut into.
const lookbackBuckets = 60

// minLookback is the shortest lookback Validate accepts.
const minLookback = time.Second

// DefaultParams returns 64 instances per request at most, a function rare
// above a 60 s mean inter-arrival time, and a 10 min lookback.
func DefaultParams() Params {
	return Params{MaxPerRequest: 64, RareAfter: time.Minute, RareLookback: 10 * time.Minute}
}

// Validate returns an error wrapping ErrInvalidParams that names the first
// field that cannot work.
func (p Params) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidParams, field, fmt.Sprintf(format, args...))
	}
	switch {
	case p.MaxPerRequest < 1 || p.MaxPerRequest > MaxRequestCount:
		return bad("MaxPerRequest", "must be between 1 and %d, got %d", MaxRequestCount, p.MaxPerRequest)
	case p.RareAfter <= 0:
		return bad("RareAfter", "must be positive, got %s", p.RareAfter)
	case p.RareLookback < minLookback:
		return bad("RareLookback", "must be at least %s, got %s", minLookback, p.RareLookback)
	case p.RareLookback < p.RareAfter:
		return bad("RareLookback", "%s is shorter than RareAfter %s, so no function could ever be rare", p.RareLookback, p.RareAfter)
	}
	return nil
}

// bucketWidth is the width of one lookback bucket.
func (p Params) bucketWidth() time.Duration { return p.RareLookback / lookbackBuckets }
