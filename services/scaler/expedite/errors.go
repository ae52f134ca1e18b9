package expedite

import "errors"

var (
	// ErrInvalidParams is wrapped by every Params validation error; the
	// message names the field.
	ErrInvalidParams = errors.New("expedite: invalid params")
	// ErrInvalidDemand is wrapped when a Demand cannot be decided on; the
	// message names the field.
	ErrInvalidDemand = errors.New("expedite: invalid demand")
	// ErrInvalidPlacement is wrapped when Place gets a count or a memory
	// size it cannot use; the message names it.
	ErrInvalidPlacement = errors.New("expedite: invalid placement")
	// ErrInvalidArrivals is wrapped when Arrivals.Record gets a negative
	// count.
	ErrInvalidArrivals = errors.New("expedite: invalid arrivals")
)
