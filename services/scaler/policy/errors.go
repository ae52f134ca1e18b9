package policy

import "errors"

var (
	// ErrInvalidParams is wrapped by every Params validation error; the
	// message names the field.
	ErrInvalidParams = errors.New("policy: invalid params")
	// ErrInvalidLimits is wrapped by every Limits validation error; the
	// message names the field.
	ErrInvalidLimits = errors.New("policy: invalid limits")
	// ErrInvalidObservation is wrapped when an Observation holds a negative
	// count; the message names the field.
	ErrInvalidObservation = errors.New("policy: invalid observation")
)
