package policy

import (
	"fmt"
	"math"
	"time"
)

// DecidePeak takes one step of the peak decider, the regular track's
// decider when the expedited track absorbs bursts: it records the
// observation and returns how many regular instances the function should
// have, and the new state. The State passed in is not modified. It returns
// an error wrapping ErrInvalidParams, ErrInvalidLimits or
// ErrInvalidObservation, and st unchanged, for input it cannot use.
//
// The desired count is ceil(peak concurrency / (TargetUtilization ×
// Limits.Concurrency)), where the peak is the largest concurrency observed
// (or recorded by Grow) over the stable window. A step that saw an
// invocation arrive or finish since the last one observes at least 1: a
// call was in flight in between, however short (invocations of a few
// milliseconds are almost never caught by a sample, and a function whose
// work the expedited track took at zero would otherwise never get a
// regular instance). There is no panic mode and
// no rate limit: a burst is the expedited track's job, and the peak falls
// only as high samples leave the window. Only PanicWindow, PanicThreshold
// and the rate limits of Params go unused. A function goes to zero once the
// window holds no work and none was seen for ScaleToZeroGrace. With
// obs.Expedited the count is zero at once. The result is clamped to
// [MinInstances, MaxInstances]; a draining function keeps its count while
// work is queued and then goes to zero.
//
// A function seen for the first time with ready instances records them as
// its peak, so a restarted scaler holds them for a stable window.
func DecidePeak(p Params, st State, now time.Time, obs Observation) (Decision, State, error) {
	if err := p.Validate(); err != nil {
		return Decision{}, st, err
	}
	if err := obs.Validate(); err != nil {
		return Decision{}, st, err
	}
	st = st.prepare(p)
	lim := obs.Limits
	perInstance := p.TargetUtilization * float64(lim.Concurrency)
	if !st.started {
		st = start(st, now, obs.Ready)
		if obs.Ready > 0 {
			st.win.record(now, float64(obs.Ready)*perInstance)
		}
	}
	st.panicking, st.panicHold = false, 0
	before := st.desired
	conc := float64(obs.Concurrency())
	if conc > 0 || obs.Arrivals > 0 || obs.Completions > 0 {
		st.lastWork = now
	}
	sample := conc
	if sample < 1 && (obs.Arrivals > 0 || obs.Completions > 0) {
		sample = 1
	}
	st.win.record(now, sample)
	peak, _ := st.win.peak(now, p.StableWindow)
	want := ceilCount(peak / perInstance)
	capF := float64(lim.MaxInstances)
	desired := int(math.Min(want, capF))

	d := Decision{StableConcurrency: peak}
	d.Reason = fmt.Sprintf("peak concurrency %.2f wants %.0f", peak, want)
	switch {
	case obs.Expedited:
		desired = 0
		d.Reason = "expedited track only"
	case desired == 0 && before > 0:
		if idle := now.Sub(st.lastWork); idle < p.ScaleToZeroGrace {
			desired = 1
			d.Reason = fmt.Sprintf("grace: idle for %s, zero after %s", idle, p.ScaleToZeroGrace)
		} else {
			d.Reason = fmt.Sprintf("to zero: no work for %s", idle)
		}
	}

	switch {
	case obs.Draining && conc > 0:
		desired = max(desired, min(before, lim.MaxInstances))
		d.Reason = fmt.Sprintf("draining: queue holds %d", obs.Concurrency())
	case obs.Draining:
		desired = 0
		d.Reason = "draining: queue empty"
	case desired < lim.MinInstances:
		desired = lim.MinInstances
		d.Reason = fmt.Sprintf("min instances %d (%s)", lim.MinInstances, d.Reason)
	case !obs.Expedited && want > capF:
		d.Reason = fmt.Sprintf("max instances %d (%s)", lim.MaxInstances, d.Reason)
	}
	d.Desired = desired
	st.desired = desired
	return d, st, nil
}

// Grow records, between steps, that n regular instances are needed at now:
// the synchronous path, where each arrival that finds no free instance asks
// for one more at once. It returns the new desired count, the larger of n
// and the current one within [MinInstances, MaxInstances], and the new
// state. The need enters the window as n × TargetUtilization ×
// Concurrency, so DecidePeak keeps that many instances for a stable window
// after it; it also counts as work for the scale-to-zero grace. Decide's
// averages see it as one more sample. The State passed in is not modified.
// It returns an error wrapping ErrInvalidParams or ErrInvalidLimits, or
// ErrInvalidObservation for a negative n, with st unchanged.
func Grow(p Params, st State, now time.Time, n int, lim Limits) (int, State, error) {
	if err := p.Validate(); err != nil {
		return st.desired, st, err
	}
	if err := lim.Validate(); err != nil {
		return st.desired, st, err
	}
	if n < 0 {
		return st.desired, st, fmt.Errorf("%w: needed instances must not be negative, got %d", ErrInvalidObservation, n)
	}
	st = st.prepare(p)
	st.started = true
	need := min(n, lim.MaxInstances)
	if need > 0 {
		st.win.record(now, float64(need)*p.TargetUtilization*float64(lim.Concurrency))
		st.lastWork = now
	}
	st.desired = min(max(st.desired, need, lim.MinInstances), lim.MaxInstances)
	return st.desired, st, nil
}

// ceilCount rounds an instance count up, reading a value within 1e-9 above
// a whole number as that number, so a need recorded by Grow as n × the
// per-instance concurrency reads back as n despite float rounding.
func ceilCount(v float64) float64 {
	f := math.Floor(v)
	if v-f <= 1e-9 {
		return f
	}
	return f + 1
}
