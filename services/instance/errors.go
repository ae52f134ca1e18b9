package instance

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate's errors and by Run's
	// when its arguments cannot work; the message names the field.
	ErrInvalidConfig = errors.New("instance: invalid config")
	// ErrUnknownBuiltin is returned by Run for a spec naming a built-in
	// function this binary does not have.
	ErrUnknownBuiltin = errors.New("instance: unknown built-in function")
	// ErrBadCommand is returned by Run when a packaged function's command
	// cannot be found or run inside its root filesystem.
	ErrBadCommand = errors.New("instance: bad function command")
	// ErrStart is returned by Run when the function's process exits or
	// fails its health check before it accepts connections; the message
	// names the command and its last stderr lines.
	ErrStart = errors.New("instance: function process did not start")
	// ErrGaveUp is returned by Run when the function's process keeps
	// failing to restart.
	ErrGaveUp = errors.New("instance: function process keeps failing to start")
	// ErrConsumer is returned by Run when the function's consumer goes away
	// while the instance pulls from it, or pulling from it stops for good.
	ErrConsumer = errors.New("instance: function consumer failed")
	// ErrNoAnswer is wrapped by a function call that got no answer: the
	// process died or the connection broke, or a built-in panicked. Such a
	// call is a crash.
	ErrNoAnswer = errors.New("function did not answer")
)
