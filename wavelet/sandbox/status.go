package sandbox

// Status is where a sandbox is in its life.
type Status int

const (
	// Created: namespaces, cgroup and root filesystem are ready; the
	// process has not started.
	Created Status = iota
	// Running: the process was started.
	Running
	// Exited: the process ended; the container still holds its cgroup.
	Exited
	// Destroyed: nothing of the sandbox is left.
	Destroyed
)

func (s Status) String() string {
	switch s {
	case Created:
		return "created"
	case Running:
		return "running"
	case Exited:
		return "exited"
	case Destroyed:
		return "destroyed"
	}
	return "unknown"
}

// Moves a sandbox can be asked for.
const (
	moveStart   = "start"
	moveExit    = "exit"
	moveDestroy = "destroy"
)

// next is the one transition function of a sandbox's life: the status
// after move from s, or false when s does not allow it. Destroy is allowed
// from every status but Destroyed; an exit is seen from Created too, when a
// pre-created process dies before it was started.
func next(s Status, move string) (Status, bool) {
	switch move {
	case moveStart:
		if s == Created {
			return Running, true
		}
	case moveExit:
		if s == Created || s == Running {
			return Exited, true
		}
	case moveDestroy:
		if s != Destroyed {
			return Destroyed, true
		}
	}
	return s, false
}
