//go:build unix && !linux

package local

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the instance in its own process group.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// reap reaps the group leader, then kills what is left of its group. Without
// a way to wait without reaping here, the group id is freed first; a new
// group with that id in between is unlikely.
func reap(cmd *exec.Cmd) error {
	err := cmd.Wait()
	_ = killGroup(cmd.Process.Pid)
	return err
}
