//go:build linux

package local

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

func TestScaleUpDownAndToZero(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{}, "--work", "150ms")
	h.scale("echo", 3)
	waitFor(t, 10*time.Second, "3 ready instances", func() bool { return h.m.Ready("echo") == 3 })
	first := h.m.Instances()
	if len(first) != 3 {
		t.Fatalf("Instances() = %v, want 3", first)
	}
	seen := map[int]bool{}
	for _, in := range first {
		if in.State != StateReady || in.Function != "echo" || !strings.HasPrefix(in.ID, "echo-") || seen[in.PID] || !alive(in.PID) {
			t.Fatalf("bad instance %+v", in)
		}
		seen[in.PID] = true
	}

	h.scale("echo", 1)
	waitFor(t, 10*time.Second, "Ready to drop to 1", func() bool { return h.m.Ready("echo") == 1 })
	exited := h.waitEvents(2, 10*time.Second, kind("echo", clustermgr.EventExited))
	drained := h.waitEvents(2, time.Second, kind("echo", clustermgr.EventDraining))
	wantDrained := []string{first[1].ID, first[2].ID} // the newest two
	var gotDrained []string
	for _, ev := range drained {
		gotDrained = append(gotDrained, ev.Instance)
	}
	slices.Sort(gotDrained)
	slices.Sort(wantDrained)
	if !slices.Equal(gotDrained, wantDrained) {
		t.Fatalf("drained %v, want the newest %v", gotDrained, wantDrained)
	}
	for _, ev := range exited {
		if ev.Err != nil {
			t.Errorf("drained instance %s exited with %v, want a clean exit", ev.Instance, ev.Err)
		}
		if !h.marked(ev.Instance, ".term") || !h.marked(ev.Instance, ".done") {
			t.Errorf("instance %s did not get SIGTERM and finish its work", ev.Instance)
		}
		if !reaped(h.pidOf(ev.Instance)) {
			t.Errorf("instance %s still exists after its exited event", ev.Instance)
		}
	}
	if left := h.m.Instances(); len(left) != 1 || left[0].ID != first[0].ID {
		t.Fatalf("left %v, want the oldest %s", left, first[0].ID)
	}

	h.scale("echo", 0)
	waitFor(t, 10*time.Second, "no instances", func() bool { return len(h.m.Instances()) == 0 })
	if n := h.m.Ready("echo"); n != 0 {
		t.Fatalf("Ready = %d after scaling to zero", n)
	}
	for _, ev := range h.waitEvents(3, time.Second, kind("echo", clustermgr.EventExited)) {
		if ev.Err != nil {
			t.Errorf("instance %s exited with %v", ev.Instance, ev.Err)
		}
	}
}

func TestReplacementStartsWhileDraining(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{}, "--work", "500ms")
	h.scale("fn", 1)
	old := h.waitEvents(1, 10*time.Second, kind("fn", clustermgr.EventReady))[0].Instance
	h.scale("fn", 0)
	h.waitEvents(1, 10*time.Second, kind("fn", clustermgr.EventDraining))
	h.scale("fn", 1)
	repl := h.waitEvents(1, 10*time.Second, func(ev clustermgr.Event) bool {
		return ev.Kind == clustermgr.EventReady && ev.Instance != old
	})[0].Instance
	h.waitEvents(1, 10*time.Second, func(ev clustermgr.Event) bool { return ev.Kind == clustermgr.EventExited && ev.Instance == old })
	evs, _ := h.snapshot()
	startedAt := slices.IndexFunc(evs, func(ev clustermgr.Event) bool { return ev.Instance == repl && ev.Kind == clustermgr.EventStarting })
	oldExitAt := slices.IndexFunc(evs, func(ev clustermgr.Event) bool { return ev.Instance == old && ev.Kind == clustermgr.EventExited })
	if startedAt > oldExitAt {
		t.Fatalf("the replacement started only after the drained instance exited:%s", formatEvents(evs))
	}
	if n := h.m.Ready("fn"); n != 1 {
		t.Fatalf("Ready = %d, want 1", n)
	}
}

func TestCrashRestartsWithBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		terminal clustermgr.EventKind
	}{
		{"before ready", []string{"--ready-after", "-1s", "--crash-after", "0s"}, clustermgr.EventFailed},
		{"after ready", []string{"--ready-after", "0s", "--crash-after", "30ms"}, clustermgr.EventExited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOptions{}, tt.args...)
			const window = 1500 * time.Millisecond
			h.scale("crashy", 1)
			time.Sleep(window)
			h.scale("crashy", 0)
			waitFor(t, 10*time.Second, "no instances", func() bool { return len(h.m.Instances()) == 0 })
			evs, _ := h.snapshot()
			var starts []time.Time
			last := "" // the instance the scale-down may drain before it crashes
			for _, ev := range evs {
				if ev.Kind == clustermgr.EventStarting {
					starts = append(starts, ev.Time)
					last = ev.Instance
				}
			}
			// Back-off 50ms doubling to 400ms allows at most 7 starts in
			// 1.5s; without it a crashing stand-in restarts dozens of times.
			if len(starts) < 2 || len(starts) > 8 {
				t.Fatalf("%d starts in %s, want 2 to 8:%s", len(starts), window, formatEvents(evs))
			}
			if gap := starts[1].Sub(starts[0]); gap < 50*time.Millisecond {
				t.Errorf("restarted after %s, before the first back-off delay", gap)
			}
			terms := 0
			for _, ev := range evs {
				if ev.Kind != tt.terminal || (ev.Err == nil && ev.Instance == last) {
					continue
				}
				terms++
				var ee *ExitError
				if !errors.Is(ev.Err, ErrUnexpectedExit) || !errors.As(ev.Err, &ee) || ee.Code != 3 {
					t.Errorf("%s event Err = %v, want an unexpected exit with code 3", ev.Kind, ev.Err)
				}
			}
			if terms < len(starts)-1 {
				t.Errorf("%d %s events for %d starts", terms, tt.terminal, len(starts))
			}
		})
	}
}

func TestNeverReadyKilledAfterStartTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.StartTimeout = timeout }}, "--ready-after", "-1s")
	h.scale("slow", 1)
	failed := h.waitEvents(1, 10*time.Second, kind("slow", clustermgr.EventFailed))[0]
	if !errors.Is(failed.Err, ErrStartTimeout) {
		t.Fatalf("failed Err = %v, want ErrStartTimeout", failed.Err)
	}
	evs, _ := h.snapshot()
	started := evs[slices.IndexFunc(evs, func(ev clustermgr.Event) bool {
		return ev.Instance == failed.Instance && ev.Kind == clustermgr.EventStarting
	})]
	if waited := failed.Time.Sub(started.Time); waited < timeout {
		t.Errorf("killed %s after starting, before StartTimeout %s", waited, timeout)
	}
	if !reaped(h.pidOf(failed.Instance)) {
		t.Errorf("instance %s still exists after its failed event", failed.Instance)
	}
	// It is retried.
	h.waitEvents(2, 10*time.Second, kind("slow", clustermgr.EventStarting))
	if n := len(slices.DeleteFunc(evs, func(ev clustermgr.Event) bool { return ev.Kind != clustermgr.EventReady })); n != 0 || h.m.Ready("slow") != 0 {
		t.Fatalf("a never-ready instance was reported ready")
	}
}

func TestIgnoringSIGTERMKilledAfterGrace(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.StopGrace = FixedGrace(grace) }}, "--ignore-term")
	h.scale("stubborn", 1)
	waitFor(t, 10*time.Second, "ready", func() bool { return h.m.Ready("stubborn") == 1 })
	h.scale("stubborn", 0)
	exited := h.waitEvents(1, 10*time.Second, kind("stubborn", clustermgr.EventExited))[0]
	draining := h.waitEvents(1, time.Second, kind("stubborn", clustermgr.EventDraining))[0]
	var ee *ExitError
	if !errors.Is(exited.Err, ErrGraceExpired) || !errors.As(exited.Err, &ee) || ee.Signal != syscall.SIGKILL {
		t.Fatalf("exited Err = %v, want ErrGraceExpired after SIGKILL", exited.Err)
	}
	if waited := exited.Time.Sub(draining.Time); waited < grace {
		t.Errorf("killed %s after SIGTERM, before the grace %s", waited, grace)
	}
	if !h.marked(exited.Instance, ".term") {
		t.Error("the instance never got SIGTERM")
	}
	if !reaped(h.pidOf(exited.Instance)) {
		t.Error("the instance still exists")
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	t.Parallel()
	t.Run("drains", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOptions{}, "--child", "--work", "100ms")
		h.scale("a", 2)
		h.scale("b", 1)
		waitFor(t, 10*time.Second, "3 ready", func() bool { return h.m.Ready("a") == 2 && h.m.Ready("b") == 1 })
		if n := len(h.pids(".child")); n != 3 {
			t.Fatalf("%d grandchildren, want 3", n)
		}
		if err := h.m.Close(t.Context()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		select {
		case <-h.collected:
		case <-time.After(5 * time.Second):
			t.Fatal("Events is still open after Close returned")
		}
		for _, pid := range h.pids(".pid") {
			if !reaped(pid) {
				t.Errorf("instance %d outlived Close", pid)
			}
		}
		for _, pid := range h.pids(".child") {
			if !dies(pid) {
				t.Errorf("grandchild %d outlived Close: %s", pid, procStat(pid))
			}
		}
		for _, ev := range h.waitEvents(3, time.Second, func(ev clustermgr.Event) bool { return ev.Kind == clustermgr.EventExited }) {
			if ev.Err != nil || !h.marked(ev.Instance, ".done") {
				t.Errorf("instance %s was not drained cleanly: %v", ev.Instance, ev.Err)
			}
		}
		if err := h.m.Scale(t.Context(), registry.Spec{Name: "a"}, 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Scale after Close = %v, want ErrClosed", err)
		}
		// Closing again with a context already over kills nothing.
		ended, cancel := context.WithCancel(t.Context())
		cancel()
		for range 20 {
			if err := h.m.Close(ended); err != nil {
				t.Fatalf("Close again after a clean close = %v, want nil", err)
			}
		}
	})
	t.Run("cut short", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOptions{config: func(c *Config) { c.StopGrace = FixedGrace(time.Minute) }}, "--ignore-term", "--child")
		h.scale("a", 2)
		waitFor(t, 10*time.Second, "2 ready", func() bool { return h.m.Ready("a") == 2 })
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		if err := h.m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want the context's deadline error", err)
		}
		for _, pid := range h.pids(".pid") {
			if !reaped(pid) {
				t.Errorf("instance %d outlived Close", pid)
			}
		}
		for _, pid := range h.pids(".child") {
			if !dies(pid) {
				t.Errorf("grandchild %d outlived Close: %s", pid, procStat(pid))
			}
		}
		for _, ev := range h.waitEvents(2, time.Second, kind("a", clustermgr.EventExited)) {
			if !errors.Is(ev.Err, ErrForcedClose) {
				t.Errorf("exited Err = %v, want ErrForcedClose", ev.Err)
			}
		}
	})
}

func TestEventsDropWhenNobodyReads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noCollect: true, config: func(c *Config) { c.EventBuffer = 1 }})
	h.scale("busy", 3)
	waitFor(t, 10*time.Second, "3 ready", func() bool { return h.m.Ready("busy") == 3 })
	// 3 starting and 3 ready events into a buffer of 1.
	if d := h.m.Dropped(); d < 5 {
		t.Fatalf("Dropped = %d, want at least 5", d)
	}
}

func TestScaleRejectsBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		fn       string
		replicas int
		want     error
	}{
		{"empty name", t.Context(), "", 1, ErrInvalidScale},
		{"not a DNS label", t.Context(), "Bad_Name", 1, ErrInvalidScale},
		{"negative", t.Context(), "ok", -1, ErrInvalidScale},
		{"cancelled", cancelled, "ok", 1, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.m.Scale(tt.ctx, registry.Spec{Name: tt.fn}, tt.replicas)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Scale = %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(h.m.Instances()); n != 0 {
		t.Fatalf("%d instances after rejected scales", n)
	}
}

func TestSpawnFailureBacksOff(t *testing.T) {
	t.Parallel()
	bin := t.TempDir() + "/wavelink"
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.Binary = bin }})
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	h.scale("gone", 2)
	time.Sleep(time.Second)
	h.scale("gone", 0)
	evs, _ := h.snapshot()
	// 50ms doubling to 400ms allows 5 attempts in 1s (at 0, 50, 150, 350
	// and 750ms); a failed start ends its round, so one event each.
	if len(evs) < 2 || len(evs) > 6 {
		t.Fatalf("%d events in 1s, want 2 to 6:%s", len(evs), formatEvents(evs))
	}
	for _, ev := range evs {
		if ev.Kind != clustermgr.EventFailed || !errors.Is(ev.Err, ErrSpawn) || !errors.Is(ev.Err, os.ErrNotExist) {
			t.Fatalf("event %s %v, want failed with ErrSpawn and the missing file", ev.Kind, ev.Err)
		}
	}
	if n := len(h.m.Instances()); n != 0 {
		t.Fatalf("%d instances", n)
	}
}
