package confine

import (
	"encoding/binary"
	"maps"
	"slices"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// seccompData lays out struct seccomp_data for the BPF interpreter of
// x/net/bpf, which reads 32-bit words big-endian: each word is stored that
// way, and the two halves of each argument where the kernel (and the
// library's argument loads) put them on this machine.
func seccompData(nr, auditArch uint32, args ...uint64) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], nr)
	binary.BigEndian.PutUint32(b[4:], auditArch)
	little := binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	for i, a := range args {
		lo, hi := 16+8*i, 16+8*i+4
		if !little {
			lo, hi = hi, lo
		}
		binary.BigEndian.PutUint32(b[lo:], uint32(a))
		binary.BigEndian.PutUint32(b[hi:], uint32(a>>32))
	}
	return b
}

// filterVM returns an interpreter of the filter and the architecture it
// was built for.
func filterVM(t *testing.T) (*bpf.VM, *arch.Info) {
	t.Helper()
	insts, err := program()
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatalf("the filter does not load in the interpreter: %v", err)
	}
	info, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	return vm, info
}

func verdict(t *testing.T, vm *bpf.VM, data []byte) uint32 {
	t.Helper()
	v, err := vm.Run(data)
	if err != nil {
		t.Fatalf("run the filter: %v", err)
	}
	return uint32(v)
}

func nr(t *testing.T, info *arch.Info, name string) uint32 {
	t.Helper()
	n, ok := info.SyscallNames[name]
	if !ok {
		t.Fatalf("%s has no system call %q", info.Name, name)
	}
	return uint32(n)
}

const (
	allow   = uint32(seccomp.ActionAllow)
	eperm   = uint32(actionDeny)
	enosys  = uint32(actionAbsent)
	killAll = uint32(actionForeign)
)

func TestFilterVerdicts(t *testing.T) {
	vm, info := filterVM(t)
	native := uint32(info.ID)
	foreign := uint32(arch.I386.ID)
	if info.ID == arch.I386.ID {
		foreign = uint32(arch.X86_64.ID)
	}
	newest := uint32(slices.Max(slices.Collect(maps.Keys(info.SyscallNumbers))))
	const goExec = unix.CLONE_VM | unix.CLONE_VFORK | unix.CLONE_PIDFD | uint64(unix.SIGCHLD)
	tests := []struct {
		name string
		data []byte
		want uint32
	}{
		{"read", seccompData(nr(t, info, "read"), native), allow},
		{"openat", seccompData(nr(t, info, "openat"), native), allow},
		{"socket", seccompData(nr(t, info, "socket"), native), allow},
		{"connect", seccompData(nr(t, info, "connect"), native), allow},
		{"execve", seccompData(nr(t, info, "execve"), native), allow},
		{"mmap", seccompData(nr(t, info, "mmap"), native), allow},
		{"futex", seccompData(nr(t, info, "futex"), native), allow},
		{"prctl (Pdeathsig)", seccompData(nr(t, info, "prctl"), native, unix.PR_SET_PDEATHSIG), allow},
		{"pidfd_open", seccompData(nr(t, info, "pidfd_open"), native), allow},
		{"pidfd_send_signal", seccompData(nr(t, info, "pidfd_send_signal"), native), allow},
		{"waitid", seccompData(nr(t, info, "waitid"), native), allow},
		{"mknodat (mkfifo)", seccompData(nr(t, info, "mknodat"), native), allow},
		{"seccomp (a stricter filter)", seccompData(nr(t, info, "seccomp"), native), allow},
		{"exit_group", seccompData(nr(t, info, "exit_group"), native), allow},
		{"clone of os/exec", seccompData(nr(t, info, "clone"), native, goExec), allow},
		{"clone of a thread", seccompData(nr(t, info, "clone"), native,
			unix.CLONE_VM|unix.CLONE_FS|unix.CLONE_FILES|unix.CLONE_SIGHAND|unix.CLONE_THREAD|unix.CLONE_SYSVSEM), allow},
		{"clone with CLONE_NEWUSER", seccompData(nr(t, info, "clone"), native, goExec|unix.CLONE_NEWUSER), eperm},
		{"clone with CLONE_NEWNS", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWNS), eperm},
		{"clone with CLONE_NEWNET", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWNET|uint64(unix.SIGCHLD)), eperm},
		{"clone with CLONE_NEWPID", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWPID), eperm},
		{"clone with CLONE_NEWIPC", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWIPC), eperm},
		{"clone with CLONE_NEWUTS", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWUTS), eperm},
		{"clone with CLONE_NEWCGROUP", seccompData(nr(t, info, "clone"), native, unix.CLONE_NEWCGROUP), eperm},
		{"clone3", seccompData(nr(t, info, "clone3"), native), enosys},
		{"a call newer than the table", seccompData(newest+1, native), enosys},
		{"call number -1", seccompData(^uint32(0), native), enosys},
		{"read through a foreign interface", seccompData(nr(t, info, "read"), foreign), killAll},
		{"mount through a foreign interface", seccompData(nr(t, info, "mount"), foreign), killAll},
	}
	if info.ID == arch.X86_64.ID {
		tests = append(tests, struct {
			name string
			data []byte
			want uint32
		}{"x32 read", seccompData(uint32(arch.X32.SyscallNames["read"])|0x40000000, native), enosys})
	}
	for _, name := range deniedNames(info) {
		tests = append(tests, struct {
			name string
			data []byte
			want uint32
		}{name, seccompData(nr(t, info, name), native), eperm})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdict(t, vm, tc.data); got != tc.want {
				t.Fatalf("verdict %#x, want %#x", got, tc.want)
			}
		})
	}
}

// Every name the filter lists must be a real system call somewhere (a typo
// would be skipped silently), and the ones this machine lacks must be the
// known legacy or architecture-specific ones.
func TestDeniedNamesExist(t *testing.T) {
	tables := []*arch.Info{arch.X86_64, arch.AARCH64, arch.ARM, arch.I386}
	for _, g := range denied {
		if g.why == "" {
			t.Errorf("group %v says not why it is denied", g.names)
		}
		for _, n := range g.names {
			known := false
			for _, tab := range tables {
				_, ok := tab.SyscallNames[n]
				known = known || ok
			}
			if !known {
				t.Errorf("%q is a system call of no architecture", n)
			}
		}
	}
	info, err := arch.GetInfo("")
	if err != nil {
		t.Skipf("no system call table here: %v", err)
	}
	optional := []string{"umount", "stime", "create_module", "query_module", "get_kernel_syms", "uselib", "_sysctl", "iopl", "ioperm", "kexec_file_load"}
	have := deniedNames(info)
	for _, g := range denied {
		for _, n := range g.names {
			if !slices.Contains(have, n) && !slices.Contains(optional, n) {
				t.Errorf("%s has no %q, which the filter must refuse", info.Name, n)
			}
		}
	}
}
