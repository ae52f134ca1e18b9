package policy

import (
	"fmt"
	"math"
	"time"
)

// Decision is the outcome of one step for one function.
type Decision struct {
	// Desired is how many regular instances the function should have.
	Desired int
	// Reason says briefly why, for logs.
	Reason string
	// Panic reports whether the function is in panic mode.
	Panic bool
	// StableConcurrency and PanicConcurrency are the windowed averages of
	// observed concurrency the decision used.
	StableConcurrency, PanicConcurrency float64
}

// Decide takes one step for one function at now: it records the observation
// in the windows, computes the desired count and returns it with the new
// state. The State passed in is not modified. It returns an error wrapping
// ErrInvalidParams, ErrInvalidLimits or ErrInvalidObservation, and st
// unchanged, for input it cannot use.
//
// The desired count is ceil(average concurrency / (TargetUtilization ×
// Limits.Concurrency)) over the stable window, bounded by the rate limits
// relative to the ready instances. When the panic window's desired count
// reaches PanicThreshold × max(1, ready), panic mode follows the panic window
// instead and never scales down; it ends once a stable window passes
// without the condition. A function goes to zero only when the stable
// window saw no work and none was seen for ScaleToZeroGrace. The result is
// clamped to [MinInstances, MaxInstances]; a draining function keeps its
// count while work is queued and then goes to zero.
func Decide(p Params, st State, now time.Time, obs Observation) (Decision, State, error) {
	if err := p.Validate(); err != nil {
		return Decision{}, st, err
	}
	if err := obs.Validate(); err != nil {
		return Decision{}, st, err
	}
	st = st.prepare(p)
	lim := obs.Limits
	if !st.started {
		st = start(st, now, obs.Ready)
	}
	before := st.desired
	conc := float64(obs.Concurrency())
	if conc > 0 || obs.Arrivals > 0 || obs.Completions > 0 {
		st.lastWork = now
	}
	st.win.record(now, conc)
	stableAvg, _ := st.win.average(now, p.StableWindow)
	panicAvg, _ := st.win.average(now, p.PanicWindow)

	perInstance := p.TargetUtilization * float64(lim.Concurrency)
	ready := float64(obs.Ready)
	readyOr1 := math.Max(1, ready)
	maxUp := math.Ceil(p.MaxScaleUpRate * readyOr1)
	maxDown := math.Floor(ready / p.MaxScaleDownRate)
	wantStable := math.Ceil(stableAvg / perInstance)
	wantPanic := math.Ceil(panicAvg / perInstance)
	stable := clampFloat(wantStable, maxDown, maxUp)
	burst := clampFloat(wantPanic, maxDown, maxUp)

	over := wantPanic/readyOr1 >= p.PanicThreshold
	switch {
	case over && !st.panicking:
		st.panicking, st.panicHold = true, 0
		st.panicLast = now
	case over:
		st.panicLast = now
	case st.panicking && now.Sub(st.panicLast) >= p.StableWindow:
		st.panicking, st.panicHold = false, 0
	}

	d := Decision{StableConcurrency: stableAvg, PanicConcurrency: panicAvg, Panic: st.panicking}
	// Counts stay floats until clamped to MaxInstances, so a huge backlog
	// cannot overflow the conversion.
	want := stable
	d.Reason = fmt.Sprintf("stable concurrency %.2f wants %.0f", stableAvg, wantStable)
	if wantStable != stable {
		d.Reason = fmt.Sprintf("stable concurrency %.2f wants %.0f, rate-limited to %.0f from %d ready", stableAvg, wantStable, stable, obs.Ready)
	}
	if st.panicking {
		if burst > want {
			want = burst
			d.Reason = fmt.Sprintf("panic: panic-window concurrency %.2f wants %.0f", panicAvg, wantPanic)
		}
		if want < float64(st.panicHold) {
			want = float64(st.panicHold)
			d.Reason = fmt.Sprintf("panic: holding %d, no scale-down in panic", st.panicHold)
		}
	}
	capF := float64(lim.MaxInstances)
	desired := int(math.Min(want, capF))
	if st.panicking {
		st.panicHold = desired
	}

	if desired == 0 && before > 0 {
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
		d.Reason = fmt.Sprintf("min instances %d", lim.MinInstances)
	case want > capF:
		d.Reason = fmt.Sprintf("max instances %d (%s)", lim.MaxInstances, d.Reason)
	}
	d.Desired = desired
	st.desired = desired
	return d, st, nil
}

// start initialises the state of a function seen for the first time. Its
// ready instances count as recent work, and with more than one ready it
// starts in panic mode holding them: without history the scaler would
// otherwise scale down on a restart.
func start(st State, now time.Time, ready int) State {
	st.started = true
	st.desired = ready
	if ready > 0 {
		st.lastWork = now
	}
	if ready > 1 {
		st.panicking = true
		st.panicLast = now
		st.panicHold = ready
	}
	return st
}

func clampFloat(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
