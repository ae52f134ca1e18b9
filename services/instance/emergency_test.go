package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/instance/builtin"
	"github.com/wavelink/wavelink/services/registry"
)

// What an emergency instance needs beyond a regular one: to retire by
// itself (idle, or at the end of its lifetime) without losing or repeating
// work, and to run a package already unpacked in its container.

// sleepFor is the headers of a trace invocation that sleeps ms.
func sleepFor(ms int) map[string]string {
	return map[string]string{builtin.HeaderRequestedCPU: fmt.Sprint(ms), builtin.HeaderTraceMode: "sleep"}
}

// returned reports whether the instance has returned.
func (r *running) returned() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func TestIdleExitRetires(t *testing.T) {
	const idleExit = 300 * time.Millisecond
	tests := []struct {
		name   string
		queued int // invocations waiting before the instance starts
	}{
		{"with nothing to do", 0},
		{"after serving what waited", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.deploy(t, echoSpec("echo"))
			done := subscribeDone(t, e, "echo")
			for i := range tc.queued {
				publish(t, e, invocation("echo", fmt.Sprintf("q-%d", i), []byte("x"), nil, ""))
			}
			before := time.Now()
			inst := startRun(t, e, Config{Function: "echo", ID: "em-1", Track: TrackEmergency, IdleExit: idleExit})
			if err := inst.wait(t); err != nil {
				t.Fatalf("Run: %v, want nil", err)
			}
			if took := time.Since(before); took < idleExit {
				t.Errorf("retired after %s, before its idle exit of %s", took, idleExit)
			}
			for range tc.queued {
				if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeOK {
					t.Errorf("completion %+v", comparable(note))
				}
			}
			for i := range tc.queued {
				if res, _ := storedResult(t, e, fmt.Sprintf("q-%d", i)); res.Outcome != schemas.OutcomeOK || res.Track != TrackEmergency {
					t.Errorf("result %+v", comparable(res))
				}
			}
			if info := consumerInfo(t, e, "echo"); info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
				t.Errorf("consumer after retiring: pending %d, ack pending %d, redelivered %d",
					info.NumPending, info.NumAckPending, info.NumRedelivered)
			}
			if got := invokeQueued(t, e, "echo"); got != 0 {
				t.Errorf("%d invocations left in WL_INVOKE", got)
			}
			if logs := inst.logs.String(); !strings.Contains(logs, `"reason":"idle"`) || !strings.Contains(logs, "instance retiring: idle") {
				t.Errorf("the retirement is not logged with its reason")
			}
		})
	}
}

// Each call here outlasts the idle exit several times, and six wait for
// two slots: the instance must serve them all before it counts as idle.
func TestIdleExitServesQueuedWorkFirst(t *testing.T) {
	const n = 6
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "trace", Package: registry.Package{Builtin: "trace"}, Concurrency: 2, Timeout: registry.Duration(5 * time.Second)})
	done := subscribeDone(t, e, "trace")
	for i := range n {
		publish(t, e, invocation("trace", fmt.Sprintf("w-%d", i), nil, sleepFor(300), ""))
	}
	h, _ := builtin.Lookup("trace")
	tr := &tracker{next: h}
	inst := startRuntime(t, e, spec, &handlerFunction{name: "trace", handler: tr}, func(r *runtime) {
		r.cfg.Track, r.cfg.IdleExit = TrackEmergency, 100*time.Millisecond
	})
	if err := inst.wait(t); err != nil {
		t.Fatalf("serve: %v, want nil", err)
	}
	runs := map[string]int{}
	for range n {
		note, _ := nextCompletion(t, done)
		if note.Outcome != schemas.OutcomeOK {
			t.Fatalf("completion %+v", comparable(note))
		}
		runs[note.InvocationID]++
	}
	if err := noMore(done); err != nil {
		t.Errorf("more completions than invocations: %v", err)
	}
	if len(runs) != n || tr.starting.Load() != n {
		t.Errorf("completions %v and %d calls: want each of %d invocations once", runs, tr.starting.Load(), n)
	}
	if got := invokeQueued(t, e, "trace"); got != 0 {
		t.Errorf("retired with %d invocations left in WL_INVOKE", got)
	}
	if info := consumerInfo(t, e, "trace"); info.NumRedelivered != 0 || info.NumAckPending != 0 {
		t.Errorf("redelivered %d, ack pending %d", info.NumRedelivered, info.NumAckPending)
	}
	if !strings.Contains(inst.logs.String(), `"reason":"idle"`) {
		t.Errorf("the retirement is not logged as idle")
	}
}

// At the end of its lifetime a busy instance stops taking work but
// finishes what it holds; what arrives later waits for another instance,
// which runs it once.
func TestMaxLifetimeFinishesHeldWork(t *testing.T) {
	const lifetime = time.Second
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "work", Package: registry.Package{Builtin: "echo"}, Concurrency: 2, Timeout: registry.Duration(10 * time.Second)})
	done := subscribeDone(t, e, "work")
	h, _ := builtin.Lookup("echo")
	tr := &tracker{next: h, gate: make(chan struct{})}
	publish(t, e, invocation("work", "l-0", []byte("a"), nil, ""))
	publish(t, e, invocation("work", "l-1", []byte("b"), nil, ""))
	inst := startRuntime(t, e, spec, &handlerFunction{name: "echo", handler: tr}, func(r *runtime) {
		r.cfg.Track, r.cfg.MaxLifetime = TrackEmergency, lifetime
	})
	eventually(t, "both invocations held", func() bool { return tr.starting.Load() == 2 })
	eventually(t, "retiring at the end of the lifetime", func() bool {
		return strings.Contains(inst.logs.String(), "instance retiring: max lifetime reached")
	})
	if inst.returned() {
		t.Fatalf("returned while holding invocations: %v", inst.err)
	}
	if !strings.Contains(inst.logs.String(), `"reason":"lifetime"`) {
		t.Errorf("the retirement's reason is not logged")
	}
	// Work arriving now is no longer taken.
	publish(t, e, invocation("work", "l-2", []byte("c"), nil, ""))
	publish(t, e, invocation("work", "l-3", []byte("d"), nil, ""))
	for range 20 {
		info := consumerInfo(t, e, "work")
		if info.NumAckPending != 2 || tr.starting.Load() != 2 {
			t.Fatalf("a retiring instance took more work: ack pending %d, calls %d", info.NumAckPending, tr.starting.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(tr.gate)
	if err := inst.wait(t); err != nil {
		t.Fatalf("serve: %v, want nil", err)
	}
	for _, id := range []string{"l-0", "l-1"} { // stored before it returned
		if res, _ := storedResult(t, e, id); res.Outcome != schemas.OutcomeOK {
			t.Errorf("result %+v", comparable(res))
		}
	}
	if got := invokeQueued(t, e, "work"); got != 2 {
		t.Fatalf("%d invocations in WL_INVOKE after the retirement, want the 2 that came late", got)
	}
	// Another instance takes what came late.
	startRuntime(t, e, spec, &handlerFunction{name: "echo", handler: tr})
	runs := map[string]int{}
	for range 4 {
		note, _ := nextCompletion(t, done)
		if note.Outcome != schemas.OutcomeOK {
			t.Fatalf("completion %+v", comparable(note))
		}
		runs[note.InvocationID]++
	}
	if err := noMore(done); err != nil {
		t.Errorf("an invocation ran twice: %v (completions %v)", err, runs)
	}
	if len(runs) != 4 || tr.starting.Load() != 4 {
		t.Errorf("completions %v and %d calls: want each of 4 invocations once", runs, tr.starting.Load())
	}
	eventually(t, "all acked", func() bool { return invokeQueued(t, e, "work") == 0 })
	if info := consumerInfo(t, e, "work"); info.NumRedelivered != 0 {
		t.Errorf("%d redelivered", info.NumRedelivered)
	}
}

// With RootFS the package is taken as already unpacked there: the spec's
// OCI layout does not exist and no work folder is given, so unpacking it
// would fail.
func TestRootFSRunsWithoutUnpacking(t *testing.T) {
	root := fnRootFS(t)
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{OCI: filepath.Join(t.TempDir(), "no-such-layout"), Ref: "v1"},
		Command: []string{"/bin/fnserver"}, Env: map[string]string{"GREETING": "hi"}, Concurrency: 2, Timeout: registry.Duration(5 * time.Second)})
	startRun(t, e, Config{Function: "pkg", ID: "em-1", Track: TrackEmergency, RootFS: root})

	c := newCaller(t, e)
	publish(t, e, invocation("pkg", "r-1", []byte("payload"), nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	r := decodeFn(t, res)
	if r.Body != "payload" || r.Cwd != root || r.Env != "hi" {
		t.Errorf("answer %+v: want the body, the working directory %s and the spec's environment", r, root)
	}
}

func TestRootFSProblems(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{OCI: "/no/such/layout"}, Command: []string{"/bin/fnserver"},
		Timeout: registry.Duration(5 * time.Second)})
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("ignored for a built-in", func(t *testing.T) {
		startRun(t, e, Config{Function: "echo", Track: TrackEmergency, RootFS: "/no/such/folder"})
		c := newCaller(t, e)
		publish(t, e, invocation("echo", "b-1", []byte("hi"), nil, c.inbox))
		if res, _ := nextResult(t, c.sub); res.Outcome != schemas.OutcomeOK || string(res.Data) != "hi" {
			t.Errorf("result %+v data %q", comparable(res), res.Data)
		}
	})
	for _, tc := range []struct{ name, rootfs string }{
		{"missing folder", "/no/such/folder"},
		{"a file", file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Run(testCtx(t), e.NC, e.JS, Config{Function: "pkg", ID: "x", Track: TrackEmergency, RootFS: tc.rootfs})
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "rootFS:") {
				t.Fatalf("Run: %v, want ErrInvalidConfig naming rootFS", err)
			}
		})
	}
}
