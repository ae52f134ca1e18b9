package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newContainers returns a runtime with its own state folder and cgroup
// parent, and checks at the end of the test that nothing of it is left.
func newContainers(t *testing.T) *Containers {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containers need root")
	}
	parent := "wavelink-test/" + strings.ReplaceAll(t.Name(), "/", "_")
	r, err := NewContainers(ContainerOptions{StateDir: t.TempDir(), CgroupParent: parent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := r.Clean(); err != nil {
			t.Errorf("clean: %v", err)
		}
		for _, dir := range cgroupDirs(parent) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.IsDir() {
					t.Errorf("cgroup %s left behind", filepath.Join(dir, e.Name()))
				}
			}
			_ = os.Remove(dir)
			_ = os.Remove(filepath.Dir(dir))
		}
	})
	return r
}

// cgroupDirs lists the folders of parent in every cgroup hierarchy.
func cgroupDirs(parent string) []string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return []string{filepath.Join("/sys/fs/cgroup", parent)}
	}
	var out []string
	hierarchies, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hierarchies {
		if dir := filepath.Join("/sys/fs/cgroup", h.Name(), parent); isDir(dir) {
			out = append(out, dir)
		}
	}
	return out
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func TestContainerIsolation(t *testing.T) {
	r := newContainers(t)
	rd, w := readyPipe(t)
	spec := payloadSpec(t, "iso-1", "wait", w)
	spec.MemoryMB, spec.Pids, spec.CPUShares = 128, 64, 512
	s, err := r.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	w.Close()
	if st := s.Status(); st != Created {
		t.Fatalf("status after Create: %s, want created", st)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	o := readObserved(t, rd, 10*time.Second)
	checks := []struct {
		what string
		ok   bool
	}{
		{"its own PID namespace (pid 1)", o.PID == 1},
		{"root inside", o.UID == 0},
		{"its own hostname", o.Hostname == "iso-1"},
		{"a read-only root", strings.Contains(o.RootErr, "read-only")},
		{"a writable private /tmp", o.TmpErr == ""},
		{"no capabilities", o.CapEff == "0000000000000000"},
		{"no new privileges", o.NoNewPrivs == "1"},
		{"no way to make namespaces", o.UnshareErr != ""},
		{"its arguments", o.Args == "-test.run=^$"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("want %s; the payload saw %s", c.what, describe(o))
		}
	}
	mem, err := os.ReadFile(memoryLimitFile(r, "iso-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(mem)); got != "134217728" {
		t.Errorf("memory limit %s, want 134217728", got)
	}
	if err := s.Start(); err == nil {
		t.Error("a second Start succeeded")
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st != Destroyed {
		t.Errorf("status after Destroy: %s", st)
	}
	if _, err := os.Stat(filepath.Dir(memoryLimitFile(r, "iso-1"))); !os.IsNotExist(err) {
		t.Errorf("cgroup still there after Destroy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.opts.StateDir, "iso-1")); !os.IsNotExist(err) {
		t.Errorf("state still there after Destroy: %v", err)
	}
}

func memoryLimitFile(r *Containers, id string) string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return filepath.Join("/sys/fs/cgroup", r.cgroupPath(id), "memory.max")
	}
	return filepath.Join("/sys/fs/cgroup/memory", r.cgroupPath(id), "memory.limit_in_bytes")
}

// A created container's process waits: nothing of the payload runs until
// Start, and a created container can be destroyed without starting.
func TestContainerCreatedWaitsForStart(t *testing.T) {
	r := newContainers(t)
	rd, w := readyPipe(t)
	s, err := r.Create(payloadSpec(t, "pool-1", "exit", w))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	_ = rd.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := rd.Read(make([]byte, 1)); n != 0 || !os.IsTimeout(err) {
		t.Fatalf("a created container's payload ran before Start: read %d bytes, %v", n, err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	readObserved(t, rd, 10*time.Second)
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the payload did not exit")
	}
	if err := s.Err(); err != nil {
		t.Errorf("exit: %v", err)
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}

	// Destroyed while still waiting to start.
	_, w2 := readyPipe(t)
	s2, err := r.Create(payloadSpec(t, "pool-2", "exit", w2))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(); err == nil {
		t.Error("a destroyed container started")
	}
}

func TestContainerMemoryLimit(t *testing.T) {
	r := newContainers(t)
	rd, w := readyPipe(t)
	spec := payloadSpec(t, "hog-1", "hog", w)
	spec.MemoryMB = 64
	s, err := r.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	w.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	readObserved(t, rd, 10*time.Second)
	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("a payload past its memory limit was not stopped")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("exit %v, want killed", err)
	}
}

// A runtime started on the state of one that vanished removes its
// containers, their processes and cgroups.
func TestContainersCleanLeftovers(t *testing.T) {
	r := newContainers(t)
	var pids []int
	for _, id := range []string{"left-1", "left-2"} {
		rd, w := readyPipe(t)
		s, err := r.Create(payloadSpec(t, id, "wait", w))
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		readObserved(t, rd, 10*time.Second)
		pids = append(pids, s.Pid())
	}
	_, w := readyPipe(t)
	if _, err := r.Create(payloadSpec(t, "left-3", "wait", w)); err != nil { // created, never started
		t.Fatal(err)
	}
	again, err := NewContainers(r.opts)
	if err != nil {
		t.Fatal(err)
	}
	n, err := again.Clean()
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("cleaned %d, want at least 3", n)
	}
	for _, pid := range pids {
		if err := waitGone(pid, 5*time.Second); err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(r.opts.StateDir)
	if len(entries) != 0 {
		t.Errorf("state left: %v", entries)
	}
}

// waitGone waits until pid is no longer a live process (a zombie counts as
// gone: its reaper is the test's own wait).
func waitGone(pid int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return syscall.EBUSY
}

func TestContainerSetMemory(t *testing.T) {
	r := newContainers(t)
	rd, w := readyPipe(t)
	spec := payloadSpec(t, "mem-1", "wait", w)
	spec.MemoryMB = 64
	s, err := r.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	w.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	readObserved(t, rd, 10*time.Second)
	if err := s.SetMemory(200); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(memoryLimitFile(r, "mem-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(200<<20) {
		t.Errorf("memory limit %s after SetMemory(200)", got)
	}
	if err := s.SetMemory(0); err == nil {
		t.Error("SetMemory(0) accepted")
	}
}

// Go ends a thread when a goroutine locked to it returns (as libcontainer's
// own goroutines do). A container created from such a thread lives on after
// the thread ends.
func TestContainerOutlivesTheThreadThatCreatedIt(t *testing.T) {
	r := newContainers(t)
	rd, w := readyPipe(t)
	created := make(chan error, 1)
	var s *Sandbox
	go func() {
		runtime.LockOSThread() // never unlocked: this thread ends with the goroutine
		var err error
		s, err = r.Create(payloadSpec(t, "thread-1", "wait", w))
		created <- err
	}()
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Destroy() })
	time.Sleep(200 * time.Millisecond) // the creating thread is gone by now
	if err := s.Start(); err != nil {
		t.Fatalf("start after the creating thread ended: %v", err)
	}
	w.Close()
	readObserved(t, rd, 10*time.Second)
	select {
	case <-s.Done():
		t.Fatalf("the container died: %v", s.Err())
	case <-time.After(300 * time.Millisecond):
	}
}

// Containers created at once, while goroutines that end locked to their
// threads keep ending threads (as libcontainer's mount goroutines do), all
// start: the thread that forked a container's first process may end while
// that process starts (with a parent-death signal, it killed the process).
func TestContainersStartWhileThreadsEnd(t *testing.T) {
	r := newContainers(t)
	stop := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ended := make(chan struct{})
			go func() {
				runtime.LockOSThread() // never unlocked: ends its thread
				close(ended)
			}()
			<-ended
			time.Sleep(50 * time.Microsecond)
		}
	}()
	defer func() { close(stop); <-churned }()
	const n = 8
	for round := range 4 {
		errs := make(chan error, n)
		boxes := make(chan *Sandbox, n)
		for i := range n {
			go func() {
				_, w := readyPipe(t)
				s, err := r.Create(payloadSpec(t, fmt.Sprintf("churn-%d-%d", round, i), "wait", w))
				if err == nil {
					boxes <- s
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		close(boxes)
		for s := range boxes {
			if err := s.Destroy(); err != nil {
				t.Errorf("destroy: %v", err)
			}
		}
	}
}
