package sandbox

import "syscall"

// childAttr puts a process sandbox in its own group and kills it when the
// thread that started it ends with the Wavelet.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
