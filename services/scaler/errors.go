package scaler

import "errors"

var (
	// ErrInvalidConfig is wrapped by every Config validation error and by
	// New for a missing dependency; the message names the problem.
	ErrInvalidConfig = errors.New("scaler: invalid config")
	// ErrAlreadyRunning is returned by Run when the Scaler already runs.
	ErrAlreadyRunning = errors.New("scaler: already running")
)
