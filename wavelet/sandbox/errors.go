package sandbox

import "errors"

var (
	// ErrInvalidSpec is wrapped by errors about a Spec that cannot work.
	ErrInvalidSpec = errors.New("invalid sandbox spec")
	// ErrUnavailable is wrapped when containers cannot be made here: no root,
	// no cgroups, not Linux, or a binary built without cgo.
	ErrUnavailable = errors.New("containers unavailable")
	// ErrCreate is wrapped when a sandbox cannot be created.
	ErrCreate = errors.New("cannot create sandbox")
	// ErrStart is wrapped when a created sandbox's process cannot start.
	ErrStart = errors.New("cannot start sandbox")
)

// TransitionError says a sandbox was asked for a move its status does not
// allow, such as starting one twice.
type TransitionError struct {
	ID   string
	From Status
	Move string
}

func (e *TransitionError) Error() string {
	return "sandbox " + e.ID + ": cannot " + e.Move + " while " + e.From.String()
}
