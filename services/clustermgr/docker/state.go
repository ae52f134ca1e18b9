package docker

// State is where an instance is in its life.
type State int

// Instance states, in the order an instance moves through them. Only Ready
// instances count in Manager.Ready; Creating, Starting and Ready ones count
// toward the desired number.
const (
	// StateCreating: the container is being created and started.
	StateCreating State = iota
	// StateStarting: the container runs, or waits to be restarted by its
	// restart policy, and the instance has not reported ready in this run.
	StateStarting
	// StateReady: the instance reported ready and pulls invocations.
	StateReady
	// StateDraining: the container was asked to stop (SIGTERM, SIGKILL
	// after its grace) and is removed once stopped.
	StateDraining
	// StateRemoving: the container is being removed at once.
	StateRemoving
)

func (s State) String() string {
	switch s {
	case StateCreating:
		return "creating"
	case StateStarting:
		return "starting"
	case StateReady:
		return "ready"
	case StateDraining:
		return "draining"
	case StateRemoving:
		return "removing"
	}
	return "unknown"
}

// active reports whether an instance in this state counts toward the
// desired number.
func (s State) active() bool { return s <= StateReady }
