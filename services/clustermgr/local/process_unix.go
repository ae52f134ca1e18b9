//go:build unix

package local

import (
	"errors"
	"os"
	"syscall"
)

const processSupport = true

// terminate sends SIGTERM to the instance's leader only: the instance stops
// its own children in order after finishing its work.
func terminate(pid int) error { return ignoreGone(syscall.Kill(pid, syscall.SIGTERM)) }

// killGroup sends SIGKILL to the instance's whole process group.
func killGroup(pid int) error { return ignoreGone(syscall.Kill(-pid, syscall.SIGKILL)) }

func ignoreGone(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func exitError(ps *os.ProcessState) *ExitError {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &ExitError{Code: -1, Signal: ws.Signal()}
	}
	return &ExitError{Code: ps.ExitCode()}
}
