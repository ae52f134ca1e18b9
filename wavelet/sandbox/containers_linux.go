package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/opencontainers/cgroups"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	cgmanager "github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"
)

// ContainerOptions configures a Containers runtime.
type ContainerOptions struct {
	// StateDir is where libcontainer keeps each container's state; one
	// folder per Wavelet, since Clean destroys everything in it. Required.
	StateDir string
	// CgroupParent is the cgroup path under which each container gets its
	// own (such as "wavelink/node-1"); one per Wavelet, for the same reason.
	// Required.
	CgroupParent string
	// Binary is the WaveLink binary to run inside; "" for the running one.
	Binary string
}

// Containers makes sandboxes as libcontainer containers.
type Containers struct {
	opts ContainerOptions
	bin  hostBinary

	// mountPoints serialises making bind mount points in root filesystems,
	// which containers of one function share.
	mountPoints sync.Mutex
	prepared    map[string]bool // root filesystem -> its mount points exist
}

// NewContainers returns a runtime that makes containers, or an error
// wrapping ErrUnavailable saying why it cannot here (not root, no cgroup
// file system, a binary built without cgo).
func NewContainers(opts ContainerOptions) (*Containers, error) {
	switch {
	case !initLinked:
		return nil, fmt.Errorf("%w: this binary was built without cgo, which libcontainer needs", ErrUnavailable)
	case os.Geteuid() != 0:
		return nil, fmt.Errorf("%w: containers need root (running as uid %d)", ErrUnavailable, os.Geteuid())
	case opts.StateDir == "" || opts.CgroupParent == "":
		return nil, fmt.Errorf("%w: a state folder and a cgroup parent are required", ErrInvalidSpec)
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		return nil, fmt.Errorf("%w: no cgroup file system at /sys/fs/cgroup", ErrUnavailable)
	}
	if !cgroups.IsCgroup2UnifiedMode() {
		if _, err := os.Stat("/sys/fs/cgroup/memory"); err != nil {
			return nil, fmt.Errorf("%w: no memory cgroup controller mounted", ErrUnavailable)
		}
	}
	if opts.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("%w: find the WaveLink binary: %w", ErrUnavailable, err)
		}
		opts.Binary = exe
	}
	bin, err := resolveBinary(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: state folder: %w", ErrUnavailable, err)
	}
	return &Containers{opts: opts, bin: bin, prepared: map[string]bool{}}, nil
}

// Mode names the runtime in node status and logs.
func (*Containers) Mode() string { return "libcontainer" }

const (
	mountFlags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	// tmpMB is the size of a container's private /tmp when its memory is
	// not limited; otherwise a quarter of its memory (tmpfs pages count
	// against the memory cgroup).
	tmpMB = 64
	// openFiles is each container's open-file limit.
	openFiles = 65536
)

// config builds the container's libcontainer configuration.
func (r *Containers) config(spec Spec) *configs.Config {
	tmp := tmpMB
	if spec.MemoryMB > 0 {
		tmp = max(spec.MemoryMB/4, 1)
	}
	mounts := []*configs.Mount{
		{Source: "proc", Destination: "/proc", Device: "proc", Flags: mountFlags},
		{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		{Source: "shm", Destination: "/dev/shm", Device: "tmpfs", Flags: mountFlags, Data: "mode=1777,size=65536k"},
		{Source: "tmpfs", Destination: "/tmp", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: fmt.Sprintf("mode=1777,size=%dm", tmp)},
	}
	for _, b := range append(append([]Bind{}, r.bin.binds...), spec.Binds...) {
		mounts = append(mounts, &configs.Mount{
			Source: b.Source, Destination: b.Destination, Device: "bind",
			Flags: unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV,
		})
	}
	var rules []*devconfig.Rule
	for _, d := range specconv.AllowedDevices {
		rules = append(rules, &d.Rule)
	}
	res := &cgroups.Resources{Devices: rules, CpuShares: spec.CPUShares}
	if spec.MemoryMB > 0 {
		res.Memory = int64(spec.MemoryMB) << 20
	}
	if spec.Pids > 0 {
		pids := spec.Pids
		res.PidsLimit = &pids
	}
	return &configs.Config{
		Rootfs:     spec.RootFS,
		Readonlyfs: true,
		Hostname:   spec.ID,
		Namespaces: configs.Namespaces{
			{Type: configs.NEWNS}, {Type: configs.NEWPID}, {Type: configs.NEWIPC}, {Type: configs.NEWUTS},
		},
		// Empty sets: every capability dropped.
		Capabilities:    &configs.Capabilities{},
		NoNewPrivileges: true,
		// No parent-death signal. Linux sends it when the thread that forked
		// the first process ends, not the process, and Go ends a thread when
		// a goroutine locked to it returns, as libcontainer's own goroutines
		// do: a container starting while its creating goroutine had moved
		// off a thread that then ended was killed ("can't copy bootstrap data
		// to pipe: write init-p: broken pipe"). It bought nothing: a started
		// container outlives a killed Wavelet either way, and the next
		// Wavelet removes what it left (Clean).
		Mounts:  mounts,
		Devices: specconv.AllowedDevices,
		Cgroups: &cgroups.Cgroup{
			Path:      r.cgroupPath(spec.ID),
			Resources: res,
		},
		MaskPaths: []string{
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		},
		ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		Rlimits:       []configs.Rlimit{fileLimit()},
	}
}

func (r *Containers) cgroupPath(id string) string {
	return "/" + strings.Trim(r.opts.CgroupParent, "/") + "/" + id
}

// fileLimit is the containers' open-file limit: openFiles, or the
// Wavelet's own hard limit when that is lower (raising it needs a
// capability the Wavelet may not have).
func fileLimit() configs.Rlimit {
	n := uint64(openFiles)
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err == nil && cur.Max < n {
		n = cur.Max
	}
	return configs.Rlimit{Type: unix.RLIMIT_NOFILE, Hard: n, Soft: n}
}

// Create makes the container and starts its first process up to the point
// where it waits to be let go: namespaces, cgroup and root filesystem are
// ready. It returns an error wrapping ErrInvalidSpec or ErrCreate.
func (r *Containers) Create(spec Spec) (*Sandbox, error) {
	if err := spec.validate(true); err != nil {
		return nil, err
	}
	if err := r.makeMountPoints(spec); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCreate, spec.ID, err)
	}
	c, err := libcontainer.Create(r.opts.StateDir, spec.ID, r.config(spec))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCreate, spec.ID, err)
	}
	p := &libcontainer.Process{
		Args:       append(append([]string{}, r.bin.argv0...), spec.Args...),
		Env:        spec.Env,
		Cwd:        "/",
		ExtraFiles: spec.ExtraFiles,
		Init:       true,
	}
	if spec.Stdout != nil {
		p.Stdout = spec.Stdout
	}
	if spec.Stderr != nil {
		p.Stderr = spec.Stderr
	}
	if err := c.Start(p); err != nil {
		_ = c.Destroy()
		return nil, fmt.Errorf("%w %s: %w", ErrCreate, spec.ID, err)
	}
	s := newSandbox(spec.ID, &containerBackend{c: c, p: p})
	s.watch() // the first process is already ours to reap
	return s, nil
}

// makeMountPoints makes, once per root filesystem, the files and folders
// the binds are mounted on. Containers sharing a root filesystem would
// otherwise race to make them as they start.
func (r *Containers) makeMountPoints(spec Spec) error {
	r.mountPoints.Lock()
	defer r.mountPoints.Unlock()
	binds := append(append([]Bind{}, r.bin.binds...), spec.Binds...)
	key := spec.RootFS
	for _, b := range binds {
		key += "\x00" + b.Destination
	}
	if r.prepared[key] {
		return nil
	}
	for _, b := range binds {
		p, err := securejoin.SecureJoin(spec.RootFS, b.Destination)
		if err != nil {
			return fmt.Errorf("mount point %s: %w", b.Destination, err)
		}
		st, err := os.Stat(b.Source)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		if st.IsDir() {
			err = os.MkdirAll(p, 0o755)
		} else if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE|os.O_RDONLY, 0o644); err == nil {
				err = f.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("mount point %s in %s: %w", b.Destination, spec.RootFS, err)
		}
	}
	r.prepared[key] = true
	return nil
}

type containerBackend struct {
	c *libcontainer.Container
	p *libcontainer.Process
}

func (b *containerBackend) start() error { return b.c.Exec() }

func (b *containerBackend) wait() error {
	_, err := b.p.Wait()
	return err
}

func (b *containerBackend) signal(sig os.Signal) error {
	err := b.c.Signal(sig)
	if errors.Is(err, libcontainer.ErrNotRunning) {
		return nil
	}
	return err
}

func (b *containerBackend) destroy() error { return b.c.Destroy() }

func (b *containerBackend) setMemory(mb int) error {
	cfg := b.c.Config()
	res := *cfg.Cgroups.Resources
	res.Memory = int64(mb) << 20
	cg := *cfg.Cgroups
	cg.Resources = &res
	cfg.Cgroups = &cg
	return b.c.Set(cfg)
}

func (b *containerBackend) pid() int {
	pid, err := b.p.Pid()
	if err != nil {
		return 0
	}
	return pid
}

// Clean destroys every container a previous run of this runtime left
// behind (a Wavelet that was killed): it kills their processes and removes
// their state and cgroups, including cgroups whose container never got as
// far as saving its state. It returns how many it removed.
func (r *Containers) Clean() (int, error) {
	var errs []error
	removed := 0
	entries, err := os.ReadDir(r.opts.StateDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("read %s: %w", r.opts.StateDir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if err := r.cleanOne(e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	n, err := r.cleanCgroups()
	removed += n
	if err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// cleanOne destroys the container id found in the state folder.
func (r *Containers) cleanOne(id string) error {
	c, err := libcontainer.Load(r.opts.StateDir, id)
	if err != nil {
		// No readable state: nothing runs from it; its cgroup, if any, is
		// found by cleanCgroups.
		return os.RemoveAll(filepath.Join(r.opts.StateDir, id))
	}
	_ = c.Signal(unix.SIGKILL)
	deadline := time.Now().Add(destroyWait)
	for {
		st, err := c.Status()
		if err != nil || st == libcontainer.Stopped {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leftover container %s still runs %s after SIGKILL", id, destroyWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Destroy(); err != nil {
		return fmt.Errorf("leftover container %s: %w", id, err)
	}
	return nil
}

// Close removes the runtime's cgroup parent once no container of it is
// left; it fails if one still is.
func (r *Containers) Close() error {
	m, err := cgmanager.New(&cgroups.Cgroup{Path: "/" + strings.Trim(r.opts.CgroupParent, "/"), Resources: &cgroups.Resources{}})
	if err != nil {
		return fmt.Errorf("cgroup parent %s: %w", r.opts.CgroupParent, err)
	}
	if err := m.Destroy(); err != nil {
		return fmt.Errorf("cgroup parent %s: %w", r.opts.CgroupParent, err)
	}
	// The folders above it too, when no other runtime uses them.
	for dir := filepath.Dir(strings.Trim(r.opts.CgroupParent, "/")); dir != "." && dir != "/"; dir = filepath.Dir(dir) {
		paths, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", dir))
		paths = append(paths, filepath.Join("/sys/fs/cgroup", dir))
		for _, p := range paths {
			_ = os.Remove(p) // fails, harmlessly, while another runtime's cgroups are in it
		}
	}
	return nil
}

// cleanCgroups removes the cgroups left under the parent, killing what
// runs in them.
func (r *Containers) cleanCgroups() (int, error) {
	parent := strings.Trim(r.opts.CgroupParent, "/")
	probe := filepath.Join("/sys/fs/cgroup", parent)
	if !cgroups.IsCgroup2UnifiedMode() {
		probe = filepath.Join("/sys/fs/cgroup/pids", parent)
	}
	entries, err := os.ReadDir(probe)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("read %s: %w", probe, err)
	}
	var errs []error
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := cgmanager.New(&cgroups.Cgroup{Path: r.cgroupPath(e.Name()), Resources: &cgroups.Resources{}})
		if err != nil {
			errs = append(errs, fmt.Errorf("leftover cgroup %s: %w", e.Name(), err))
			continue
		}
		if pids, err := m.GetAllPids(); err == nil {
			for _, pid := range pids {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
		if err := m.Destroy(); err != nil {
			errs = append(errs, fmt.Errorf("leftover cgroup %s: %w", e.Name(), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
