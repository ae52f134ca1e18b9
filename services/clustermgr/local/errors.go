package local

import (
	"errors"
	"fmt"
	"syscall"
)

var (
	// ErrInvalidConfig wraps every Config.Validate error; the message names
	// the field.
	ErrInvalidConfig = errors.New("clustermgr/local: invalid config")
	// ErrInvalidScale is returned by Scale for a bad function name or a
	// negative replica count.
	ErrInvalidScale = errors.New("clustermgr/local: invalid scale request")
	// ErrClosed is returned by Scale once Close has been called.
	ErrClosed = errors.New("clustermgr/local: manager is closed")
	// ErrUnsupported is returned by New on systems without process groups.
	ErrUnsupported = errors.New("clustermgr/local: not supported on this system")
	// ErrSpawn is the Err of a failed event when the process could not be
	// started at all.
	ErrSpawn = errors.New("instance process could not be started")
	// ErrStartTimeout is the Err of a failed event when the instance did not
	// report ready within Config.StartTimeout and was killed.
	ErrStartTimeout = errors.New("instance was not ready in time and was killed")
	// ErrUnexpectedExit is the Err of an event for an instance that ended
	// without being asked to; it comes with an *ExitError.
	ErrUnexpectedExit = errors.New("instance exited unexpectedly")
	// ErrGraceExpired is the Err of an exited event for an instance that did
	// not stop within its grace after SIGTERM and was killed.
	ErrGraceExpired = errors.New("instance did not stop within its grace and was killed")
	// ErrForcedClose is the Err of an exited event for an instance killed
	// because the context given to Close ended.
	ErrForcedClose = errors.New("instance was killed because close was cut short")
)

// ExitError says how an instance's process ended.
type ExitError struct {
	// Code is the exit code, or -1 when a signal ended the process.
	Code int
	// Signal is the signal that ended the process, or 0.
	Signal syscall.Signal
}

func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(e.Signal), e.Signal)
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// clean reports whether the process stopped as asked: exit code 0, or ended by
// the SIGTERM it was sent.
func (e *ExitError) clean() bool {
	return (e.Signal == 0 && e.Code == 0) || e.Signal == syscall.SIGTERM
}
