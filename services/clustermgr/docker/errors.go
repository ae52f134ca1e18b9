package docker

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfig wraps every Config.Validate error; the message names
	// the field.
	ErrInvalidConfig = errors.New("clustermgr/docker: invalid config")
	// ErrInvalidScale is returned by Scale for an invalid spec or a negative
	// replica count.
	ErrInvalidScale = errors.New("clustermgr/docker: invalid scale request")
	// ErrClosed is returned by Scale once Close or Detach has been called.
	ErrClosed = errors.New("clustermgr/docker: manager is closed")
	// ErrDaemon is returned by New when the Docker daemon cannot be reached.
	ErrDaemon = errors.New("clustermgr/docker: docker daemon unreachable")
	// ErrImage is returned by New when the instance image is missing or
	// unusable, and by BuildImage when the image cannot be built.
	ErrImage = errors.New("clustermgr/docker: instance image")
	// ErrBinary is returned by BuildImage for a binary that cannot go into
	// an image: missing, not executable, not ELF, or with libraries that
	// cannot be found.
	ErrBinary = errors.New("clustermgr/docker: wavelink binary")

	// ErrStart is the Err of a failed event when the container could not be
	// created or started.
	ErrStart = errors.New("instance container could not be started")
	// ErrStartTimeout is the Err of a failed event when the instance did not
	// report ready within Config.StartTimeout of its container's start (or,
	// waiting for a restart by the policy, within a minute more) and its
	// container was removed.
	ErrStartTimeout = errors.New("instance was not ready in time and its container was removed")
	// ErrUnexpectedExit is the Err of an event for an instance whose
	// container stopped without being asked to; it comes with an
	// *ExitError. The container is restarted by its restart policy when it
	// allows, else removed and replaced.
	ErrUnexpectedExit = errors.New("instance exited unexpectedly")
	// ErrRemovedOutside is the Err of an exited event for a container that
	// was removed by someone else.
	ErrRemovedOutside = errors.New("instance container was removed outside the manager")
	// ErrForcedClose is the Err of an exited event for an instance removed
	// at once because the context given to Close ended.
	ErrForcedClose = errors.New("instance was removed because close was cut short")
)

// ExitError says how an instance's container ended one run.
type ExitError struct {
	// Code is the exit code of the container's first process (docker-init,
	// which passes on the instance's; 128+n for signal n).
	Code int
	// OOMKilled is set when the kernel killed it for exceeding its memory
	// limit.
	OOMKilled bool
	// Restarting is set when the restart policy restarts the container.
	Restarting bool
}

func (e *ExitError) Error() string {
	s := fmt.Sprintf("exit code %d", e.Code)
	if e.OOMKilled {
		s += " (out of memory)"
	}
	if e.Restarting {
		s += "; restarted by its restart policy"
	}
	return s
}

// clean reports whether a drained container stopped as asked: exit code 0,
// or ended by the SIGTERM it was sent.
func (e *ExitError) clean() bool { return !e.OOMKilled && (e.Code == 0 || e.Code == 128+15) }
