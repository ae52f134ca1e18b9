package wavelet

import (
	"slices"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
)

// A function that bursts gets parked instances; the next burst takes them,
// they serve, and once the function stops bursting the pool is released.
func TestPoolFollowsBursts(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	cfg := e.testConfig(t, "n5")
	cfg.StatusEvery = 100 * time.Millisecond
	cfg.Pool.Window = 3 * time.Second
	w := e.start(t, cfg)

	if r := e.burst(t, "n5", schemas.BurstRequest{Function: "echo", Count: 2}); r.Accepted != 2 {
		t.Fatalf("first burst: %+v", r)
	}
	waitFor(t, 15*time.Second, "two parked instances", func() bool { return w.Status().Pool["echo"] == 2 })
	st, err := e.nodeStatus("n5")
	waitFor(t, 5*time.Second, "the pool in wl_nodes", func() bool {
		st, err = e.nodeStatus("n5")
		return err == nil && st.Pool["echo"] == 2
	})
	w.mu.Lock()
	var pooled []string
	for _, in := range w.pool["echo"] {
		pooled = append(pooled, in.id)
	}
	w.mu.Unlock()

	ids := e.invokeAsync(t, "echo", 4)
	r := e.burst(t, "n5", schemas.BurstRequest{Function: "echo", Count: 2})
	if r.Accepted != 2 {
		t.Fatalf("second burst: %+v", r)
	}
	for _, id := range r.Instances {
		if !slices.Contains(pooled, id) {
			t.Errorf("instance %s did not come from the pool %v", id, pooled)
		}
	}
	e.waitResults(t, ids, 30*time.Second)

	// No more bursts: once the window has passed, the pool is released.
	waitFor(t, 20*time.Second, "the pool to be released", func() bool {
		s := w.Status()
		return len(s.Pool) == 0 && len(s.Running) == 0 && s.Slots.Free == cfg.Slots
	})
}

// Generic instances wait connected, with no function; a burst of a
// built-in function with no pool takes them, gives them the function's
// memory limit and function, and they serve; the Wavelet makes new ones.
func TestGenericInstancesServeAnyBuiltin(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	trace := echoSpec("tracer")
	trace.Package.Builtin = "trace"
	e.deploy(t, trace)
	cfg := e.testConfig(t, "n7")
	cfg.StatusEvery, cfg.Generic, cfg.Pool.PerFunction = 50*time.Millisecond, 2, -1
	w := e.start(t, cfg)
	waitFor(t, 15*time.Second, "two generic instances", func() bool { return w.Status().Generic == 2 })
	st, err := e.nodeStatus("n7")
	waitFor(t, 5*time.Second, "generic instances in wl_nodes", func() bool {
		st, err = e.nodeStatus("n7")
		return err == nil && st.Generic == 2
	})
	w.mu.Lock()
	var generic []string
	for _, in := range w.generics {
		generic = append(generic, in.id)
	}
	w.mu.Unlock()

	echoIDs := e.invokeAsync(t, "echo", 2)
	traceIDs := e.invokeAsync(t, "tracer", 2)
	r1 := e.burst(t, "n7", schemas.BurstRequest{Function: "echo", Count: 1})
	r2 := e.burst(t, "n7", schemas.BurstRequest{Function: "tracer", Count: 1})
	for _, r := range []schemas.BurstReply{r1, r2} {
		if r.Accepted != 1 || !slices.Contains(generic, r.Instances[0]) {
			t.Fatalf("reply %+v, want one of the generic instances %v", r, generic)
		}
	}
	for id, res := range e.waitResults(t, append(echoIDs, traceIDs...), 30*time.Second) {
		if res.Outcome != schemas.OutcomeOK || res.Track != "emergency" {
			t.Errorf("%s: %+v", id, res)
		}
	}
	waitFor(t, 15*time.Second, "new generic instances", func() bool { return w.Status().Generic == 2 })
}
