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
