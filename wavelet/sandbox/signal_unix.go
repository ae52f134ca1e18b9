//go:build unix

package sandbox

import "syscall"

const killSignal = syscall.SIGKILL
