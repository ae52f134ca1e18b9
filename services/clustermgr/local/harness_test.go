//go:build linux

package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// harness runs a Manager whose instances are stand-ins (this test binary),
// collects its events, and at the end closes it and checks that no process
// it started is left.
type harness struct {
	t   *testing.T
	m   *Manager
	dir string // the stand-ins' --standin-dir

	mu      sync.Mutex
	events  []clustermgr.Event
	changed chan struct{} // closed and replaced on each event
	// collected is closed when Events is closed.
	collected chan struct{}
}

// harnessOptions change the test config; collect=false leaves Events unread.
type harnessOptions struct {
	config    func(*Config)
	noCollect bool
}

func newHarness(t *testing.T, o harnessOptions, standinArgs ...string) *harness {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: t.TempDir(), changed: make(chan struct{}), collected: make(chan struct{})}
	cfg := Config{
		Binary:         exe,
		NATSURL:        "nats://127.0.0.1:1",
		ExtraArgs:      append([]string{"--standin-dir", h.dir}, standinArgs...),
		Env:            []string{roleEnv + "=instance"},
		StartTimeout:   10 * time.Second,
		StopGrace:      FixedGrace(5 * time.Second),
		RestartBackoff: clustermgr.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond, Reset: 30 * time.Second},
		Logger:         zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel),
	}
	if o.config != nil {
		o.config(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.m = m
	if o.noCollect {
		close(h.collected)
	} else {
		go h.collect()
	}
	t.Cleanup(h.close)
	return h
}

func (h *harness) collect() {
	defer close(h.collected)
	for ev := range h.m.Events() {
		h.mu.Lock()
		h.events = append(h.events, ev)
		close(h.changed)
		h.changed = make(chan struct{})
		h.mu.Unlock()
	}
}

// close closes the manager and checks that every process the stand-ins
// reported is gone.
func (h *harness) close() {
	t := h.t
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.m.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-h.collected:
	case <-time.After(10 * time.Second):
		t.Error("Events was not closed after Close")
	}
	if ins := h.m.Instances(); len(ins) != 0 {
		t.Errorf("instances left after Close: %v", ins)
	}
	for _, pid := range h.pids(".pid") {
		if !reaped(pid) {
			t.Errorf("instance process %d outlived Close", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, pid := range h.pids(".child") {
		if !dies(pid) {
			t.Errorf("grandchild process %d outlived Close: %s", pid, procStat(pid))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// pids reads every <id><suffix> file the stand-ins wrote.
func (h *harness) pids(suffix string) []int {
	files, _ := filepath.Glob(filepath.Join(h.dir, "*"+suffix))
	var out []int
	for _, f := range files {
		if pid := readPID(h.t, f); pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Errorf("%s: %v", path, err)
	}
	return pid
}

// pidOf returns the pid of instance id, from the file its stand-in wrote.
func (h *harness) pidOf(id string) int {
	h.t.Helper()
	return readPID(h.t, filepath.Join(h.dir, id+".pid"))
}

// marked reports whether instance id's stand-in wrote <id><suffix>.
func (h *harness) marked(id, suffix string) bool {
	_, err := os.Stat(filepath.Join(h.dir, id+suffix))
	return err == nil
}

func (h *harness) scale(fn string, n int) {
	h.t.Helper()
	if err := h.m.Scale(h.t.Context(), registry.Spec{Name: fn}, n); err != nil {
		h.t.Fatalf("Scale(%s, %d): %v", fn, n, err)
	}
}

// snapshot returns the events so far.
func (h *harness) snapshot() ([]clustermgr.Event, chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]clustermgr.Event(nil), h.events...), h.changed
}

// waitEvents waits until at least n events match and returns all that match.
func (h *harness) waitEvents(n int, timeout time.Duration, match func(clustermgr.Event) bool) []clustermgr.Event {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		evs, changed := h.snapshot()
		var got []clustermgr.Event
		for _, ev := range evs {
			if match(ev) {
				got = append(got, ev)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("waited %s for %d matching events, got %d; all events: %s", timeout, n, len(got), formatEvents(evs))
		}
	}
}

func kind(fn string, k clustermgr.EventKind) func(clustermgr.Event) bool {
	return func(ev clustermgr.Event) bool { return ev.Function == fn && ev.Kind == k }
}

func formatEvents(evs []clustermgr.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("\n  " + ev.Function + " " + ev.Instance + " " + string(ev.Kind))
		if ev.Err != nil {
			b.WriteString(": " + ev.Err.Error())
		}
	}
	return b.String()
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dies reports whether pid is gone or dies soon. A grandchild is not reaped
// by the manager: the SIGKILL to its group is sent before Close returns, but
// the kernel tears the process down asynchronously.
func dies(pid int) bool {
	for range 200 {
		if !alive(pid) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func procStat(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return string(b)
}

// reaped reports whether pid no longer exists at all: the manager reaped it.
func reaped(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// alive reports whether pid runs; a zombie (dead, waiting for a parent that
// is not ours to reap it) does not count.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || (b[i+2] != 'Z' && b[i+2] != 'X')
}
