package policy

import (
	"fmt"
	"time"
)

// Params are the scaling knobs shared by every function. The per-function
// bounds (concurrency per instance, min and max instances) come with each
// Observation as Limits, from the function's spec.
type Params struct {
	// TargetUtilization is the share of an instance's concurrency the
	// decider aims to use, in (0, 1]. Desired instances =
	// ceil(average concurrency / (TargetUtilization × concurrency per instance)).
	TargetUtilization float64
	// StableWindow is the span of the average that normal scaling follows,
	// and how long panic mode lasts after its condition was last seen.
	StableWindow time.Duration
	// PanicWindow is the span of the short average that detects bursts. It
	// is at most StableWindow.
	PanicWindow time.Duration
	// PanicThreshold enters panic mode when the panic window's desired count
	// is at least PanicThreshold × the ready instances, counted as at least
	// one (2.0 is 200%).
	PanicThreshold float64
	// ScaleToZeroGrace is how long a function must have had no work (nothing
	// queued or running, no arrival, no completion) before it goes to zero.
	ScaleToZeroGrace time.Duration
	// MaxScaleUpRate bounds one step up to ceil(rate × max(1, ready)).
	MaxScaleUpRate float64
	// MaxScaleDownRate bounds one step down to floor(ready / rate).
	MaxScaleDownRate float64
	// BucketWidth is the width of one bucket of the windowed averages.
	// Samples that fall into one bucket are averaged together.
	BucketWidth time.Duration
}

// DefaultParams returns Knative-like defaults: 70% target utilisation, a 60 s
// stable window, a 6 s panic window, a 200% panic threshold, a 30 s
// scale-to-zero grace, scale-up rate 1000, scale-down rate 2, 1 s buckets.
func DefaultParams() Params {
	return Params{
		TargetUtilization: 0.7,
		StableWindow:      60 * time.Second,
		PanicWindow:       6 * time.Second,
		PanicThreshold:    2.0,
		ScaleToZeroGrace:  30 * time.Second,
		MaxScaleUpRate:    1000,
		MaxScaleDownRate:  2.0,
		BucketWidth:       time.Second,
	}
}

// MaxBuckets bounds StableWindow / BucketWidth, and so the memory of one
// function's state.
const MaxBuckets = 3600

// Validate returns an error wrapping ErrInvalidParams that names the first
// field that cannot work.
func (p Params) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidParams, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !(p.TargetUtilization > 0 && p.TargetUtilization <= 1):
		return bad("TargetUtilization", "must be in (0, 1], got %v", p.TargetUtilization)
	case p.BucketWidth <= 0:
		return bad("BucketWidth", "must be positive, got %s", p.BucketWidth)
	case p.StableWindow < p.BucketWidth:
		return bad("StableWindow", "must be at least the bucket width %s, got %s", p.BucketWidth, p.StableWindow)
	case p.StableWindow/p.BucketWidth > MaxBuckets:
		return bad("StableWindow", "%s holds more than %d buckets of %s; widen the buckets", p.StableWindow, MaxBuckets, p.BucketWidth)
	case p.PanicWindow < p.BucketWidth:
		return bad("PanicWindow", "must be at least the bucket width %s, got %s", p.BucketWidth, p.PanicWindow)
	case p.PanicWindow > p.StableWindow:
		return bad("PanicWindow", "%s is longer than the stable window %s", p.PanicWindow, p.StableWindow)
	case !(p.PanicThreshold >= 1):
		return bad("PanicThreshold", "must be at least 1 (100%%), got %v", p.PanicThreshold)
	case p.ScaleToZeroGrace < 0:
		return bad("ScaleToZeroGrace", "must not be negative, got %s", p.ScaleToZeroGrace)
	case !(p.MaxScaleUpRate > 1):
		return bad("MaxScaleUpRate", "must be above 1, got %v", p.MaxScaleUpRate)
	case !(p.MaxScaleDownRate > 1):
		return bad("MaxScaleDownRate", "must be above 1, got %v", p.MaxScaleDownRate)
	}
	return nil
}

// buckets is the number of buckets the stable window spans.
func (p Params) buckets() int {
	n := int(p.StableWindow / p.BucketWidth)
	if p.StableWindow%p.BucketWidth != 0 {
		n++
	}
	return n
}
