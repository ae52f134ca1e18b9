package gateway

import "errors"

var (
	// ErrInvalidConfig wraps every Config.Validate error; the message names
	// the field.
	ErrInvalidConfig = errors.New("gateway: invalid config")
	// ErrClosed is returned by Serve and ListenAndServe after Close.
	ErrClosed = errors.New("gateway: closed")
	// ErrInvalidName is returned by DirigentFunctionName for a name that
	// maps to no function; the message says why.
	ErrInvalidName = errors.New("gateway: invalid function name")
)
