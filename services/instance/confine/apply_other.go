//go:build !linux

package confine

import (
	"errors"
	"fmt"
	"runtime"
)

// Apply returns an error wrapping errors.ErrUnsupported: seccomp filters
// exist on Linux only.
func Apply() error {
	return fmt.Errorf("confine: seccomp filter on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
