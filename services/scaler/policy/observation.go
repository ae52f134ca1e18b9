package policy

import "fmt"

// Limits are one function's bounds, from its spec.
type Limits struct {
	// Concurrency is how many invocations one instance runs at once.
	Concurrency int
	// MinInstances and MaxInstances bound the desired count. Min does not
	// apply while the function drains.
	MinInstances, MaxInstances int
}

// Validate returns an error wrapping ErrInvalidLimits that names the first
// bad field.
func (l Limits) Validate() error {
	switch {
	case l.Concurrency < 1:
		return fmt.Errorf("%w: Concurrency must be at least 1, got %d", ErrInvalidLimits, l.Concurrency)
	case l.MinInstances < 0:
		return fmt.Errorf("%w: MinInstances must not be negative, got %d", ErrInvalidLimits, l.MinInstances)
	case l.MaxInstances < 1:
		return fmt.Errorf("%w: MaxInstances must be at least 1, got %d", ErrInvalidLimits, l.MaxInstances)
	case l.MinInstances > l.MaxInstances:
		return fmt.Errorf("%w: MinInstances %d is above MaxInstances %d", ErrInvalidLimits, l.MinInstances, l.MaxInstances)
	}
	return nil
}

// Observation is what was seen of one function at one instant.
type Observation struct {
	// Waiting is the invocations stored and not yet handed to an instance
	// (the consumer's NumPending).
	Waiting int
	// InFlight is the invocations handed to an instance and not yet acked
	// (the consumer's NumAckPending).
	InFlight int
	// Arrivals and Completions count invocations stored and finished since
	// the previous observation.
	Arrivals, Completions int
	// Ready is how many instances are ready to pull.
	Ready int
	// Draining is set while the function is being removed: it keeps its
	// instances until its queue is empty, then goes to zero.
	Draining bool
	// Expedited is set when the expedited track alone serves the function
	// (its arrivals are too sparse to keep instances for, or every instance
	// comes from Wavelets): DecidePeak then asks for no regular instances
	// beyond MinInstances. Decide ignores it.
	Expedited bool
	// Limits are the function's bounds.
	Limits Limits
}

// Concurrency is the observed concurrency: queued plus in-flight work.
func (o Observation) Concurrency() int { return o.Waiting + o.InFlight }

// Validate returns an error wrapping ErrInvalidObservation or
// ErrInvalidLimits that names the first bad field.
func (o Observation) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"Waiting", o.Waiting}, {"InFlight", o.InFlight}, {"Arrivals", o.Arrivals}, {"Completions", o.Completions}, {"Ready", o.Ready}} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s must not be negative, got %d", ErrInvalidObservation, f.name, f.v)
		}
	}
	return o.Limits.Validate()
}
