//go:build unix && !linux

package instance

import (
	"os"
	"syscall"
)

// sysProcAttr puts a function's process in its own process group. Only
// Linux can also tie its life to the instance's.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the process group that p leads.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}
