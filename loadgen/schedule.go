package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Spacing says how arrivals are spread within a phase of constant rate.
type Spacing string

// Spacings.
const (
	// SpacingEven puts arrivals exactly 1/rate apart, the first at the start
	// of the phase.
	SpacingEven Spacing = "even"
	// SpacingExponential draws independent exponential gaps with mean
	// 1/rate (a Poisson process) from a seeded generator.
	SpacingExponential Spacing = "exponential"
)

// MaxArrivals bounds the arrivals one schedule may hold (about 80 MB of
// records), so a mistyped rate fails at once instead of exhausting memory.
const MaxArrivals = 1_000_000

// StepShape is an open-loop load shape: From invocations per second until
// At, then To invocations per second until Duration. A constant rate is
// From == To (At does not matter then).
type StepShape struct {
	From, To float64
	At       time.Duration
	Duration time.Duration
	Spacing  Spacing // empty means SpacingEven
	Seed     uint64  // seeds SpacingExponential
}

// Validate returns an error wrapping ErrBadShape that names the first bad
// field, or nil.
func (s StepShape) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"From", s.From}, {"To", s.To}} {
		if math.IsNaN(r.v) || math.IsInf(r.v, 0) || r.v < 0 {
			return fmt.Errorf("%w: %s rate %v per second: want a finite number >= 0", ErrBadShape, r.name, r.v)
		}
	}
	if s.Duration <= 0 {
		return fmt.Errorf("%w: Duration %s: want more than 0", ErrBadShape, s.Duration)
	}
	if s.At < 0 || s.At > s.Duration {
		return fmt.Errorf("%w: step At %s: want between 0 and Duration %s", ErrBadShape, s.At, s.Duration)
	}
	switch s.Spacing {
	case "", SpacingEven, SpacingExponential:
	default:
		return fmt.Errorf("%w: spacing %q: want %q or %q", ErrBadShape, s.Spacing, SpacingEven, SpacingExponential)
	}
	if n := s.Expected(); n > MaxArrivals {
		return fmt.Errorf("%w: %.0f arrivals expected, more than the %d one run may hold", ErrBadShape, n, MaxArrivals)
	}
	return nil
}

// Expected is the mean number of arrivals of the shape.
func (s StepShape) Expected() float64 {
	return s.From*s.At.Seconds() + s.To*(s.Duration-s.At).Seconds()
}

// Schedule returns the arrival times of the shape as offsets from the start
// of the run, in increasing order. It is a pure function of the shape: the
// same shape and seed give the same schedule. The error wraps ErrBadShape.
func Schedule(s StepShape) ([]time.Duration, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	out := make([]time.Duration, 0, int(s.Expected())+1)
	var err error
	if out, err = phase(out, s.Spacing, rng, s.From, 0, s.At); err != nil {
		return nil, err
	}
	return phase(out, s.Spacing, rng, s.To, s.At, s.Duration)
}

// phase appends arrivals at rate per second within [from, to).
func phase(out []time.Duration, sp Spacing, rng *rand.Rand, rate float64, from, to time.Duration) ([]time.Duration, error) {
	if rate == 0 || to <= from {
		return out, nil
	}
	span := (to - from).Seconds()
	if sp == SpacingExponential {
		for t := rng.ExpFloat64() / rate; t < span; t += rng.ExpFloat64() / rate {
			if len(out) >= MaxArrivals {
				return nil, fmt.Errorf("%w: more than %d arrivals drawn", ErrBadShape, MaxArrivals)
			}
			out = append(out, from+time.Duration(t*float64(time.Second)))
		}
		return out, nil
	}
	// k/rate computed afresh for each k, so no rounding error accumulates.
	for k := 0; ; k++ {
		t := float64(k) / rate
		if t >= span {
			return out, nil
		}
		out = append(out, from+time.Duration(t*float64(time.Second)))
	}
}
