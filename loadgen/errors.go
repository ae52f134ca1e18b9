package loadgen

import "errors"

// Sentinel errors of the open-loop load generator; returned errors wrap them
// and name the bad value.
var (
	// ErrBadShape means a step shape cannot make an arrival schedule: a
	// negative or non-finite rate, a non-positive duration, a step outside
	// the run, an unknown spacing, or too many arrivals.
	ErrBadShape = errors.New("loadgen: bad load shape")
	// ErrBadOpenLoop means an open-loop run was asked for with a bad URL,
	// no arrivals, or arrivals out of order.
	ErrBadOpenLoop = errors.New("loadgen: bad open-loop configuration")
)
