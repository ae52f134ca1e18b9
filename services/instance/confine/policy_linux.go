package confine

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// denyGroup is a set of system calls refused for one reason.
type denyGroup struct {
	why   string
	names []string
}

// denied are the system calls the filter refuses with EPERM. A function is
// a program serving HTTP on a port: it reads and writes files, opens
// sockets, starts threads and child processes, maps memory and waits on
// events. None of the calls below belongs to that work; each one either
// changes what the container isolates (its mounts, namespaces, root), reaches
// into other processes or the kernel itself, or changes state the whole
// machine shares. Names the running architecture does not have (umount,
// stime, iopl, the old module calls, ...) are skipped.
//
// Left allowed on purpose: mknod (mkfifo needs it; device nodes need
// CAP_MKNOD and the container's device rules), personality (some runtimes
// set their execution domain at start), the NUMA memory policy calls (used
// by JVMs; moving another process's pages needs CAP_SYS_NICE), seccomp
// itself (a process may only add stricter filters), and statmount/listmount
// (they only read the mount table).
var denied = []denyGroup{
	{
		why: "mounts and the root: the container's file system view is fixed when the Wavelet " +
			"creates it; a new mount, a changed root or a moved mount could expose the host's " +
			"files or hide the container's own limits (new mount API calls included, or they " +
			"would be a way around mount)",
		names: []string{
			"mount", "umount", "umount2", "pivot_root", "chroot",
			"fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
			"open_tree", "open_tree_attr", "mount_setattr",
		},
	},
	{
		why: "namespaces: entering another namespace leaves the container; a new one (above all " +
			"a user namespace) grants capabilities inside it and opens kernel code that is a " +
			"frequent source of escapes (clone with CLONE_NEW* flags is refused as well, below)",
		names: []string{"unshare", "setns"},
	},
	{
		why: "other processes: tracing, reading or writing another process's memory, comparing " +
			"its kernel objects or taking its file descriptors would let a function reach the " +
			"instance that started it (and its NATS connection) or its neighbours",
		names: []string{
			"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
			"kcmp", "pidfd_getfd",
		},
	},
	{
		why: "file handles: opening a file by handle skips path lookup and so the container's " +
			"root (the known 'shocker' escape); making handles is its first half",
		names: []string{"open_by_handle_at", "name_to_handle_at"},
	},
	{
		why: "the kernel and the machine: loading kernel code or a new kernel, rebooting, " +
			"swap, process accounting, disk quotas, the hostname, port I/O and other " +
			"administration of the node (the legacy calls among them return ENOSYS on current " +
			"kernels and are listed so that a kernel that still has them refuses them too)",
		names: []string{
			"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
			"create_module", "query_module", "get_kernel_syms", "uselib", "_sysctl", "nfsservctl",
			"reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
			"sethostname", "setdomainname", "vhangup", "iopl", "ioperm", "lookup_dcookie",
		},
	},
	{
		why: "state the machine shares and no namespace separates: the clock (setting or " +
			"slewing it), the kernel log (kernel addresses and other tenants' messages) and " +
			"the kernel keyrings",
		names: []string{
			"settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex",
			"syslog", "keyctl", "add_key", "request_key",
		},
	},
	{
		why: "kernel attack surface no function needs: eBPF programs, performance counters " +
			"(they observe other processes and the kernel), userfaultfd (it makes kernel " +
			"races easy to win), and io_uring, whose requests run without passing this " +
			"filter; language runtimes fall back to epoll and threads when it is refused",
		names: []string{
			"bpf", "perf_event_open", "userfaultfd",
			"io_uring_setup", "io_uring_enter", "io_uring_register",
		},
	},
}

// cloneNamespaces are the CLONE_NEW* flags clone accepts: a clone with any
// of them makes new namespaces, as unshare would, and is refused.
// (CLONE_NEWTIME shares its bit with clone's exit signal and is only
// accepted by unshare and clone3, both refused.)
const cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// Actions of the filter.
const (
	// actionDeny refuses a call with EPERM, what a process without the
	// privilege would get.
	actionDeny = seccomp.ActionErrno | seccomp.Action(unix.EPERM)
	// actionAbsent refuses a call with ENOSYS, as a kernel without it would:
	// C libraries then fall back to an older call.
	actionAbsent = seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)
	// actionForeign ends a process calling through another architecture's
	// interface.
	actionForeign = seccomp.ActionKillProcess
)

// Offsets in struct seccomp_data.
const (
	offsetNr   = 0
	offsetArch = 4
)

// program returns the filter for the running architecture, in order:
//
//   - a call through another architecture's interface kills the process:
//     syscall numbers differ between interfaces (x86-64 programs can still
//     make 32-bit calls), so the refusals below would not hold there;
//   - a call numbered above every call the table knows returns ENOSYS, as
//     on an older kernel, so that a call added to the kernel after the
//     table (which the list could not name) cannot pass unseen;
//   - the calls in denied, and clone with namespace flags, return EPERM;
//   - clone3 returns ENOSYS: its flags are in memory the filter cannot read,
//     and C libraries fall back to clone, whose flags it can (Go's os/exec
//     uses clone3 only for cgroup placement and time namespaces, neither of
//     which the instance uses);
//   - everything else is allowed.
//
// On x86-64 the library also answers x32-interface calls with ENOSYS.
func program() ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("no system call table for this architecture: %w: %v", errors.ErrUnsupported, err)
	}
	if len(info.SyscallNumbers) == 0 {
		return nil, fmt.Errorf("no system call table for %s: %w", info.Name, errors.ErrUnsupported)
	}
	policy := seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{
				Names: deniedNames(info),
				NamesWithCondtions: []seccomp.NameWithConditions{{
					Name: "clone",
					Conditions: seccomp.ArgumentConditions{{
						Argument:  0,
						Operation: seccomp.BitsSet,
						Value:     cloneNamespaces,
					}},
				}},
				Action: actionDeny,
			},
			{Names: []string{"clone3"}, Action: actionAbsent},
		},
	}
	body, err := policy.Assemble()
	if err != nil {
		return nil, fmt.Errorf("assemble the policy for %s: %w", info.Name, err)
	}
	newest := slices.Max(slices.Collect(maps.Keys(info.SyscallNumbers)))
	head := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offsetArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(info.ID), SkipTrue: 1},
		bpf.RetConstant{Val: uint32(actionForeign)},
		bpf.LoadAbsolute{Off: offsetNr, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: uint32(newest), SkipFalse: 1},
		bpf.RetConstant{Val: uint32(actionAbsent)},
	}
	return append(head, body...), nil
}

// deniedNames returns the names in denied that the architecture has, once
// each.
func deniedNames(info *arch.Info) []string {
	var names []string
	for _, g := range denied {
		for _, n := range g.names {
			if _, ok := info.SyscallNames[n]; ok && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}
