package policy

import "time"

// bucket sums the samples that fell into one bucket width and keeps their
// maximum.
type bucket struct {
	sum float64
	max float64
	n   int
}

// window is a ring of buckets covering the stable window. Bucket i covers
// [origin + i×width, origin + (i+1)×width) and lives in slot i mod len.
// Averages are over the samples in the buckets a span covers, so regular and
// irregular sampling both give the mean of what was seen.
type window struct {
	width   time.Duration
	used    bool // a sample was recorded; origin is set
	origin  time.Time
	newest  int64 // index of the newest bucket written
	buckets []bucket
}

// newWindow returns an empty window of n buckets of the given width.
func newWindow(n int, width time.Duration) window {
	return window{width: width, buckets: make([]bucket, n)}
}

func (w window) empty() bool { return !w.used }

// fits reports whether the window has the geometry the params ask for.
func (w window) fits(p Params) bool {
	return w.width == p.BucketWidth && len(w.buckets) == p.buckets()
}

// clone returns a window that shares no storage with w.
func (w window) clone() window {
	c := w
	c.buckets = append([]bucket(nil), w.buckets...)
	return c
}

// index is the bucket index of t, or false when t is before the origin.
func (w window) index(t time.Time) (int64, bool) {
	if t.Before(w.origin) {
		return 0, false
	}
	return int64(t.Sub(w.origin) / w.width), true
}

func (w window) slot(i int64) int { return int(i % int64(len(w.buckets))) }

// record adds a sample taken at t. Samples older than the window are
// dropped. It mutates w's buckets: call it on a clone.
func (w *window) record(t time.Time, v float64) {
	if w.empty() {
		w.used = true
		w.origin = t.Truncate(w.width)
		w.newest = 0
	}
	i, ok := w.index(t)
	if !ok {
		return
	}
	n := int64(len(w.buckets))
	switch {
	case i > w.newest:
		// Clear the buckets skipped since the newest, at most the whole ring.
		from := max(w.newest+1, i-n+1)
		for j := from; j <= i; j++ {
			w.buckets[w.slot(j)] = bucket{}
		}
		w.newest = i
	case i <= w.newest-n:
		return // older than the window
	}
	b := &w.buckets[w.slot(i)]
	if b.n == 0 || v > b.max {
		b.max = v
	}
	b.sum += v
	b.n++
}

// average is the mean of the samples in the buckets that the span ending at
// now covers, and whether there was any.
func (w window) average(now time.Time, span time.Duration) (float64, bool) {
	lo, hi, ok := w.covered(now, span)
	if !ok {
		return 0, false
	}
	var sum float64
	var cnt int
	for j := lo; j <= hi; j++ {
		b := w.buckets[w.slot(j)]
		sum += b.sum
		cnt += b.n
	}
	if cnt == 0 {
		return 0, false
	}
	return sum / float64(cnt), true
}

// peak is the largest sample in the buckets that the span ending at now
// covers, and whether there was any.
func (w window) peak(now time.Time, span time.Duration) (float64, bool) {
	lo, hi, ok := w.covered(now, span)
	if !ok {
		return 0, false
	}
	var top float64
	seen := false
	for j := lo; j <= hi; j++ {
		b := w.buckets[w.slot(j)]
		if b.n > 0 && (!seen || b.max > top) {
			top, seen = b.max, true
		}
	}
	return top, seen
}

// covered returns the first and last bucket indexes that the span ending at
// now covers and that the ring still holds, or false when there are none.
func (w window) covered(now time.Time, span time.Duration) (lo, hi int64, ok bool) {
	if w.empty() {
		return 0, 0, false
	}
	cur, ok := w.index(now)
	if !ok {
		return 0, 0, false
	}
	k := int64(span / w.width)
	if span%w.width != 0 {
		k++
	}
	n := int64(len(w.buckets))
	lo = max(cur-k+1, w.newest-n+1, 0)
	hi = min(cur, w.newest)
	return lo, hi, lo <= hi
}
