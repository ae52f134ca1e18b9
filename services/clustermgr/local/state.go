package local

// State is where an instance is in its life.
type State int

// Instance states, in the order an instance moves through them. Only Ready
// instances count in Manager.Ready; only Starting and Ready ones count toward
// the desired number.
const (
	// StateStarting: the process runs but has not reported ready yet.
	StateStarting State = iota
	// StateReady: the instance reported ready and pulls invocations.
	StateReady
	// StateDraining: the instance got SIGTERM and is finishing its work.
	StateDraining
	// StateKilled: the process group got SIGKILL; it waits to be reaped.
	StateKilled
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateReady:
		return "ready"
	case StateDraining:
		return "draining"
	case StateKilled:
		return "killed"
	}
	return "unknown"
}
