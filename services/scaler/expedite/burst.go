package expedite

import "fmt"

// Demand is one function's work and capacity at an arrival.
type Demand struct {
	// Outstanding is the work waiting or running: queued plus in flight.
	Outstanding int
	// Concurrency is how many invocations one instance runs at once.
	Concurrency int
	// MaxInstances bounds the instances, of both tracks, that the
	// function's work can use (its consumer hands out at most Concurrency ×
	// MaxInstances invocations at once).
	MaxInstances int
	// Regular is the function's ready regular instances.
	Regular int
	// Emergency is its emergency instances running or starting, granted
	// since the nodes last reported, or asked for and not answered yet.
	Emergency int
}

// Validate returns an error wrapping ErrInvalidDemand that names the first
// bad field.
func (d Demand) Validate() error {
	switch {
	case d.Outstanding < 0:
		return fmt.Errorf("%w: Outstanding must not be negative, got %d", ErrInvalidDemand, d.Outstanding)
	case d.Concurrency < 1:
		return fmt.Errorf("%w: Concurrency must be at least 1, got %d", ErrInvalidDemand, d.Concurrency)
	case d.MaxInstances < 1:
		return fmt.Errorf("%w: MaxInstances must be at least 1, got %d", ErrInvalidDemand, d.MaxInstances)
	case d.Regular < 0:
		return fmt.Errorf("%w: Regular must not be negative, got %d", ErrInvalidDemand, d.Regular)
	case d.Emergency < 0:
		return fmt.Errorf("%w: Emergency must not be negative, got %d", ErrInvalidDemand, d.Emergency)
	}
	return nil
}

// Burst returns how many emergency instances to ask for: the instances the
// outstanding work needs, ceil(Outstanding / Concurrency) capped at
// MaxInstances, minus those the function has or has asked for, regular and
// emergency; at most p.MaxPerRequest and never below zero. Asked-for
// instances count at once, so the arrivals that follow within the same
// burst ask only for what the burst outgrew. It returns an error wrapping
// ErrInvalidParams or ErrInvalidDemand for input it cannot use.
func Burst(p Params, d Demand) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if err := d.Validate(); err != nil {
		return 0, err
	}
	need := d.Outstanding / d.Concurrency
	if d.Outstanding%d.Concurrency != 0 {
		need++
	}
	need = min(need, d.MaxInstances)
	// Regular and Emergency are each below MaxInt; subtract one at a time
	// so their sum cannot overflow.
	ask := need - d.Regular
	if ask <= 0 {
		return 0, nil
	}
	ask -= d.Emergency
	return max(0, min(ask, p.MaxPerRequest)), nil
}
