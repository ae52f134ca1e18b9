package registry

import "errors"

var (
	// ErrInvalidSpec wraps every validation error; the message names the field.
	ErrInvalidSpec = errors.New("invalid function spec")
	// ErrNotFound is returned for a function that is not deployed.
	ErrNotFound = errors.New("function not found")
	// ErrDraining is returned when deploying over a function being removed.
	ErrDraining = errors.New("function is being removed")
	// ErrDrainTimeout is returned by Remove when invocations are still queued
	// when its drain timeout ends.
	ErrDrainTimeout = errors.New("function still has queued invocations")
)
