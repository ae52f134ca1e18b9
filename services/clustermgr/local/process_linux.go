package local

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts the instance in its own process group, and has the kernel
// send it SIGKILL when the thread that started it dies (so a crashed manager
// leaves no orphans).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// reap waits for the group leader to exit, kills what is left of its process
// group while the leader's zombie still holds the group id, then reaps it.
func reap(cmd *exec.Cmd) error {
	pid := cmd.Process.Pid
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			break // on any other error Wait below reports it
		}
	}
	_ = killGroup(pid)
	return cmd.Wait()
}
