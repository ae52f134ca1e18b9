package wavelet

import (
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
)

func echoSpec(name string) registry.Spec {
	return registry.Spec{Name: name, Package: registry.Package{Builtin: "echo"}, MemoryMB: 64, Concurrency: 2, MaxInstances: 1}
}

// A burst starts emergency instances in containers; they serve what waits
// and retire once idle, leaving nothing behind.
func TestBurstServesAndRetires(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	cfg := e.testConfig(t, "n1")
	cfg.Pool.PerFunction = -1
	w := e.start(t, cfg)
	if w.Mode() != "libcontainer" {
		t.Fatalf("mode %s, want libcontainer", w.Mode())
	}
	ids := e.invokeAsync(t, "echo", 6)
	r := e.burst(t, "n1", schemas.BurstRequest{Function: "echo", Count: 2})
	if r.Accepted != 2 || len(r.Instances) != 2 || r.Refused != "" {
		t.Fatalf("reply %+v, want 2 accepted", r)
	}
	results := e.waitResults(t, ids, 30*time.Second)
	for id, res := range results {
		if res.Track != "emergency" || !strings.Contains(string(res.Data), id) {
			t.Errorf("result of %s: track %q body %q", id, res.Track, res.Data)
		}
	}
	st, err := e.nodeStatus("n1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != "libcontainer" || st.Slots.Total != 8 {
		t.Errorf("node status %+v", st)
	}
	// Idle for a second, they retire; the Wavelet removes their containers.
	waitFor(t, 15*time.Second, "the instances to retire", func() bool {
		s := w.Status()
		return len(s.Running) == 0 && s.Slots.Free == 8
	})
	waitFor(t, 5*time.Second, "their containers to be removed", func() bool {
		return countContainers(w.cfg.StateDir) == 0
	})
	if n := e.pending(t, "echo"); n != 0 {
		t.Errorf("%d invocations left", n)
	}
}

func TestBurstRefusals(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	big := echoSpec("big")
	big.MemoryMB = 3000
	e.deploy(t, big)
	cfg := e.testConfig(t, "n2")
	cfg.Slots, cfg.MemoryMB, cfg.Pool.PerFunction = 2, 2048, -1
	e.start(t, cfg)

	cases := []struct {
		name     string
		req      schemas.BurstRequest
		accepted int
		refused  string
	}{
		{"unknown function", schemas.BurstRequest{Function: "nope", Count: 1}, 0, `unknown function "nope"`},
		{"node out of memory", schemas.BurstRequest{Function: "big", Count: 1}, 0, "node out of memory"},
		{"node full", schemas.BurstRequest{Function: "echo", Count: 3}, 2, "node full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.burst(t, "n2", c.req)
			if r.Accepted != c.accepted || !strings.Contains(r.Refused, c.refused) {
				t.Errorf("reply %+v, want %d accepted and a refusal with %q", r, c.accepted, c.refused)
			}
		})
	}
	t.Run("unreadable request", func(t *testing.T) {
		msg := natsMsg("wl.wavelet.n2.burst", []byte(`{"function":"echo","count":0}`))
		r := e.request(t, msg)
		if !strings.Contains(r.Refused, "bad burst request") {
			t.Errorf("reply %+v", r)
		}
	})
}

func countContainers(stateDir string) int {
	entries, _ := readDir(stateDir + "/containers")
	return len(entries)
}

// Where containers cannot be made, emergency instances run as plain
// processes and serve the same way.
func TestProcessRuntimeServes(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	cfg := e.testConfig(t, "n6")
	cfg.Runtime, cfg.Pool.PerFunction = RuntimeProcesses, -1
	w := e.start(t, cfg)
	if w.Mode() != "process" {
		t.Fatalf("mode %s, want process", w.Mode())
	}
	ids := e.invokeAsync(t, "echo", 3)
	if r := e.burst(t, "n6", schemas.BurstRequest{Function: "echo", Count: 1}); r.Accepted != 1 {
		t.Fatalf("reply %+v", r)
	}
	for id, res := range e.waitResults(t, ids, 30*time.Second) {
		if res.Track != "emergency" {
			t.Errorf("%s served by track %q", id, res.Track)
		}
	}
	waitFor(t, 15*time.Second, "the instance to retire", func() bool { return len(w.Status().Running) == 0 })
}
