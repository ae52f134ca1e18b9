package expedite

import (
	"fmt"
	"time"
)

// Arrivals counts one function's arrivals over the lookback, in buckets,
// from the first time it was recorded. The zero value is a function never
// observed. It is a value of fixed size: Record returns a new one and never
// modifies the one it is called on.
type Arrivals struct {
	started bool
	// first is when observation began.
	first time.Time
	// Bucket i covers [origin + i×width, origin + (i+1)×width) and lives in
	// slot i mod lookbackBuckets; newest is the newest index written.
	width  time.Duration
	origin time.Time
	newest int64
	counts [lookbackBuckets]int64
}

// Record adds n arrivals seen at now (n may be zero: observing a function
// with no arrivals lengthens its observed span). The first call starts the
// observation; so does a call with params whose lookback differs from the
// previous call's. Arrivals older than the lookback are dropped. It returns
// an error wrapping ErrInvalidParams or ErrInvalidArrivals, and a
// unchanged, for input it cannot use.
func (a Arrivals) Record(p Params, now time.Time, n int) (Arrivals, error) {
	if err := p.Validate(); err != nil {
		return a, err
	}
	if n < 0 {
		return a, fmt.Errorf("%w: count must not be negative, got %d", ErrInvalidArrivals, n)
	}
	if !a.started || a.width != p.bucketWidth() {
		a = Arrivals{started: true, first: now, width: p.bucketWidth(), origin: now.Truncate(p.bucketWidth())}
	}
	i, ok := a.index(now)
	if !ok {
		return a, nil // before the observation began
	}
	switch {
	case i > a.newest:
		for j := max(a.newest+1, i-lookbackBuckets+1); j <= i; j++ {
			a.counts[j%lookbackBuckets] = 0
		}
		a.newest = i
	case i <= a.newest-lookbackBuckets:
		return a, nil // older than the lookback
	}
	a.counts[i%lookbackBuckets] += int64(n)
	return a, nil
}

// index is the bucket index of t, or false when t is before the origin.
func (a Arrivals) index(t time.Time) (int64, bool) {
	if t.Before(a.origin) {
		return 0, false
	}
	return int64(t.Sub(a.origin) / a.width), true
}

// Observed returns the arrivals within the lookback ending at now and the
// span they were counted over: the lookback, or less when observation began
// later than its start. Both are zero for a function never recorded.
func (a Arrivals) Observed(now time.Time) (count int64, span time.Duration) {
	if !a.started {
		return 0, 0
	}
	cur, ok := a.index(now)
	if !ok {
		return 0, 0
	}
	lo := max(cur-lookbackBuckets+1, a.newest-lookbackBuckets+1, 0)
	for j := lo; j <= min(cur, a.newest); j++ {
		count += a.counts[j%lookbackBuckets]
	}
	start := a.origin.Add(time.Duration(max(cur-lookbackBuckets+1, 0)) * a.width)
	if a.first.After(start) {
		start = a.first
	}
	return count, max(0, now.Sub(start))
}

// MeanInterArrival is the observed span divided by the arrivals within it,
// and false when there were none.
func (a Arrivals) MeanInterArrival(now time.Time) (time.Duration, bool) {
	count, span := a.Observed(now)
	if count == 0 {
		return 0, false
	}
	return span / time.Duration(count), true
}

// Rare reports whether the function is rare at now: its mean inter-arrival
// time is above p.RareAfter, or it had no arrivals over an observed span
// longer than p.RareAfter. A function observed briefly is judged on that
// span, so a busy one seen for a second is not rare, and one never recorded
// is not rare.
func Rare(p Params, a Arrivals, now time.Time) bool {
	count, span := a.Observed(now)
	if count == 0 {
		return span > p.RareAfter
	}
	return span/time.Duration(count) > p.RareAfter
}
