package confine

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Apply installs the filter (see program) on every thread of the calling
// process; threads and processes started later inherit it, and it cannot be
// removed. It first sets the process's no_new_privs bit if it is not set:
// the kernel requires it for a filter installed without CAP_SYS_ADMIN, and
// it keeps a setuid program run by the function from gaining privileges.
//
// The error names seccomp and wraps errors.ErrUnsupported when the
// architecture has no system call table or the kernel has no seccomp
// filters; otherwise it wraps the failing call's errno.
func Apply() error {
	insts, err := program()
	if err != nil {
		return fmt.Errorf("confine: seccomp filter: %w", err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return fmt.Errorf("confine: seccomp filter: assemble: %w", err)
	}
	if len(raw) > unix.BPF_MAXINSNS {
		return fmt.Errorf("confine: seccomp filter: %d instructions, above the kernel's limit of %d", len(raw), unix.BPF_MAXINSNS)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, in := range raw {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}

	// no_new_privs is set per thread; the kernel copies it to the other
	// threads when it synchronizes them to the filter. Both calls must come
	// from the same thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("confine: seccomp filter: read no_new_privs: %w", err)
	}
	if nnp != 1 {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("confine: seccomp filter: set no_new_privs: %w", err)
		}
	}
	tid, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	switch {
	case errno == unix.ENOSYS:
		return fmt.Errorf("confine: seccomp filter: the kernel has no seccomp: %w (%w)", errors.ErrUnsupported, errno)
	case errno != 0:
		return fmt.Errorf("confine: seccomp filter: install: %w", errno)
	case tid != 0:
		// With TSYNC a positive result names a thread that could not be
		// synchronized (it runs under a filter of its own); nothing was
		// installed.
		return fmt.Errorf("confine: seccomp filter: thread %d cannot take the filter: it has a different one", tid)
	}
	return nil
}
