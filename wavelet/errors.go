package wavelet

import "errors"

var (
	// ErrInvalidConfig is wrapped by errors about a Config that cannot work.
	ErrInvalidConfig = errors.New("invalid wavelet config")
	// ErrAlreadyRunning is returned by Run on a Wavelet that already runs.
	ErrAlreadyRunning = errors.New("wavelet already running")
)
