//go:build !linux

package sandbox

import "fmt"

// ContainerOptions configures a Containers runtime.
type ContainerOptions struct {
	StateDir, CgroupParent, Binary string
}

// Containers makes sandboxes as containers, on Linux only.
type Containers struct{}

// NewContainers returns an error wrapping ErrUnavailable: containers are
// Linux only.
func NewContainers(ContainerOptions) (*Containers, error) {
	return nil, fmt.Errorf("%w: containers need Linux", ErrUnavailable)
}

// Mode names the runtime.
func (*Containers) Mode() string { return "libcontainer" }

// Create cannot make containers here.
func (*Containers) Create(Spec) (*Sandbox, error) { return nil, ErrUnavailable }

// Clean has nothing to clean here.
func (*Containers) Clean() (int, error) { return 0, nil }

// Close has nothing to remove here.
func (*Containers) Close() error { return nil }
