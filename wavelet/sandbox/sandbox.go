package sandbox

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// backend is what differs between a container and a plain process.
type backend interface {
	// start lets a created sandbox's process run.
	start() error
	// wait blocks until the process has ended.
	wait() error
	// signal sends sig to the process.
	signal(sig os.Signal) error
	// destroy removes what is left once the process has ended.
	destroy() error
	// pid is the process's host PID, or 0.
	pid() int
	// setMemory changes the memory limit, in MiB.
	setMemory(mb int) error
}

// Sandbox is one emergency instance's container or process.
type Sandbox struct {
	id   string
	b    backend
	done chan struct{}
	// destroyMu serialises Destroy.
	destroyMu sync.Mutex

	mu      sync.Mutex
	status  Status
	exitErr error
	waiting bool
}

func newSandbox(id string, b backend) *Sandbox {
	return &Sandbox{id: id, b: b, done: make(chan struct{})}
}

// ID returns the sandbox's id.
func (s *Sandbox) ID() string { return s.id }

// Pid returns the host PID of the sandbox's process, or 0.
func (s *Sandbox) Pid() int { return s.b.pid() }

// Status returns where the sandbox is in its life.
func (s *Sandbox) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// move applies the transition, or returns a *TransitionError.
func (s *Sandbox) move(m string) error {
	to, ok := next(s.status, m)
	if !ok {
		return &TransitionError{ID: s.id, From: s.status, Move: m}
	}
	s.status = to
	return nil
}

// watch starts waiting for the process in the background; Done is closed
// when it has ended.
func (s *Sandbox) watch() {
	s.mu.Lock()
	if s.waiting {
		s.mu.Unlock()
		return
	}
	s.waiting = true
	s.mu.Unlock()
	go func() {
		err := s.b.wait()
		s.mu.Lock()
		s.exitErr = err
		_ = s.move(moveExit) // a destroyed sandbox stays destroyed
		s.mu.Unlock()
		close(s.done)
	}()
}

// Start lets a created sandbox's process run. It returns a
// *TransitionError if the sandbox is not Created, or an error wrapping
// ErrStart.
func (s *Sandbox) Start() error {
	s.mu.Lock()
	if err := s.move(moveStart); err != nil {
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	if err := s.b.start(); err != nil {
		return fmt.Errorf("%w %s: %w", ErrStart, s.id, err)
	}
	s.watch()
	return nil
}

// Done is closed once the sandbox's process has ended.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Err returns how the process ended (nil for a zero exit status), once Done
// is closed.
func (s *Sandbox) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitErr
}

// SetMemory changes the sandbox's memory limit to mb MiB (a container's
// cgroup; a process sandbox has none to change).
func (s *Sandbox) SetMemory(mb int) error {
	if mb <= 0 {
		return fmt.Errorf("%w: memory limit must be positive, got %d MiB", ErrInvalidSpec, mb)
	}
	return s.b.setMemory(mb)
}

// Signal sends sig to the sandbox's process.
func (s *Sandbox) Signal(sig os.Signal) error { return s.b.signal(sig) }

// destroyWait bounds how long Destroy waits for a killed process to end.
const destroyWait = 5 * time.Second

// Destroy kills whatever still runs in the sandbox and removes it: its
// container, cgroup and state. It is safe to call more than once.
func (s *Sandbox) Destroy() error {
	s.destroyMu.Lock()
	defer s.destroyMu.Unlock()
	s.mu.Lock()
	if s.status == Destroyed {
		s.mu.Unlock()
		return nil
	}
	st := s.status
	s.mu.Unlock()
	if st != Exited {
		_ = s.b.signal(killSignal)
		if s.isWatched() {
			select {
			case <-s.done:
			case <-time.After(destroyWait):
				return fmt.Errorf("sandbox %s: its process did not end within %s of SIGKILL", s.id, destroyWait)
			}
		}
	}
	if err := s.b.destroy(); err != nil {
		return fmt.Errorf("sandbox %s: %w", s.id, err)
	}
	s.mu.Lock()
	_ = s.move(moveDestroy)
	s.mu.Unlock()
	return nil
}

func (s *Sandbox) isWatched() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}
