//go:build !unix

package local

import (
	"os"
	"os/exec"
	"syscall"
)

const processSupport = false

func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(int) error { return ErrUnsupported }

func killGroup(int) error { return ErrUnsupported }

func reap(cmd *exec.Cmd) error { return cmd.Wait() }

func exitError(ps *os.ProcessState) *ExitError { return &ExitError{Code: ps.ExitCode()} }
