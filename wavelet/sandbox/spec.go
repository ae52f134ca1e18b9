package sandbox

import (
	"fmt"
	"os"
	"regexp"
)

// Spec describes one sandbox: what runs in it and within which limits.
type Spec struct {
	// ID names the sandbox; unique among a runtime's sandboxes; letters,
	// digits, '-' and '_', at most 64.
	ID string
	// RootFS is the host folder used as the container's root filesystem,
	// mounted read-only. Containers only; a process sandbox ignores it.
	RootFS string
	// Args are the instance runtime's arguments: what follows the WaveLink
	// binary on its command line (such as "instance", "--function", ...).
	Args []string
	// Env is the process's whole environment.
	Env []string
	// Binds are extra host paths bind-mounted read-only into the container
	// (such as /etc/hosts). Containers only.
	Binds []Bind
	// MemoryMB limits the sandbox's memory; 0 for no limit.
	MemoryMB int
	// Pids limits how many processes and threads it may have; 0 for none.
	Pids int64
	// CPUShares is its relative CPU weight; 0 for the default.
	CPUShares uint64
	// Stdout and Stderr receive the process's output; nil discards it.
	Stdout, Stderr *os.File
	// ExtraFiles are passed to the process as descriptors 3, 4, ...
	ExtraFiles []*os.File
}

// Bind is a read-only bind mount of a host path into a container.
type Bind struct {
	Source, Destination string
}

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Validate returns an error wrapping ErrInvalidSpec naming the first field
// that cannot work. container says whether RootFS is needed.
func (s Spec) validate(container bool) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidSpec, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !validID.MatchString(s.ID):
		return bad("id", "must be 1 to 64 letters, digits, '-' or '_', got %q", s.ID)
	case len(s.Args) == 0:
		return bad("args", "the instance runtime needs its arguments")
	case s.MemoryMB < 0:
		return bad("memoryMB", "must not be negative, got %d", s.MemoryMB)
	case s.Pids < 0:
		return bad("pids", "must not be negative, got %d", s.Pids)
	}
	if container {
		if s.RootFS == "" {
			return bad("rootfs", "a container needs a root filesystem")
		}
		if st, err := os.Stat(s.RootFS); err != nil || !st.IsDir() {
			return bad("rootfs", "%s is not a folder", s.RootFS)
		}
		for _, b := range s.Binds {
			if b.Source == "" || len(b.Destination) < 2 || b.Destination[0] != '/' {
				return bad("binds", "need a source and an absolute destination, got %q -> %q", b.Source, b.Destination)
			}
		}
	}
	return nil
}
