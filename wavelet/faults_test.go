package wavelet

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// A function that cannot start, and a package that cannot be unpacked, are
// refused with the reason; their invocations stay queued.
func TestBurstFaultsLeaveWorkQueued(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "broken", Package: registry.Package{RootFS: t.TempDir()},
		Command: []string{"/no-such-program"}, MemoryMB: 64, Concurrency: 1, MaxInstances: 1})
	bogus := t.TempDir()
	if err := os.WriteFile(filepath.Join(bogus, "index.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.deploy(t, registry.Spec{Name: "unpackable", Package: registry.Package{OCI: bogus},
		Command: []string{"/fn"}, MemoryMB: 64, Concurrency: 1, MaxInstances: 1})
	cfg := e.testConfig(t, "n3")
	cfg.Pool.PerFunction = -1
	e.start(t, cfg)

	e.invokeAsync(t, "broken", 2)
	r := e.burst(t, "n3", schemas.BurstRequest{Function: "broken", Count: 1})
	if r.Accepted != 0 || !strings.Contains(r.Refused, "failed to start") || !strings.Contains(r.Refused, "no-such-program") {
		t.Errorf("crashing function: reply %+v, want a refusal naming the missing command", r)
	}
	r = e.burst(t, "n3", schemas.BurstRequest{Function: "broken", Count: 1})
	if r.Accepted != 0 || !strings.Contains(r.Refused, "failed to start on this node") {
		t.Errorf("crashing function, asked again at once: reply %+v, want a refusal while it backs off", r)
	}
	// The server counts a consumer's pending invocations a moment after it
	// stores them, so wait for the count rather than read it once.
	waitFor(t, 5*time.Second, "the crashing function's 2 invocations to stay queued", func() bool { return e.pending(t, "broken") == 2 })

	e.invokeAsync(t, "unpackable", 1)
	r = e.burst(t, "n3", schemas.BurstRequest{Function: "unpackable", Count: 1})
	if r.Accepted != 0 || !strings.Contains(r.Refused, "cannot be prepared") {
		t.Errorf("bad package: reply %+v, want a refusal saying it cannot be prepared", r)
	}
	waitFor(t, 5*time.Second, "the unpackable function's invocation to stay queued", func() bool { return e.pending(t, "unpackable") == 1 })
}

// A Wavelet killed while its instances run loses no invocation: they are
// delivered again and answered once; its successor on the same state
// removes every container it left.
func TestWaveletKilledLosesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("containers need root")
	}
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "slow", Package: registry.Package{Builtin: "trace"}, MemoryMB: 64,
		Concurrency: 2, MaxInstances: 1, Timeout: registry.Duration(3 * time.Second)})
	state := t.TempDir()

	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"=wavelet", "WL_NATS="+e.URL, "WL_NODE=n4", "WL_STATE="+state, "WL_BINARY="+wavelinkBinary)
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "running" {
		t.Fatalf("the Wavelet process said %q", line)
	}
	waitFor(t, 10*time.Second, "the killed Wavelet's status", func() bool {
		_, err := e.nodeStatus("n4")
		return err == nil
	})

	ids := slowInvocations(t, e, "slow", 4)
	r := e.burst(t, "n4", schemas.BurstRequest{Function: "slow", Count: 2})
	if r.Accepted != 2 {
		t.Fatalf("reply %+v", r)
	}
	waitFor(t, 10*time.Second, "4 invocations in flight", func() bool {
		c, _ := streams.FunctionConsumer(t.Context(), e.JS, "slow")
		info, err := c.Info(t.Context())
		return err == nil && info.NumAckPending == 4
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cfg := e.testConfig(t, "n4")
	cfg.StateDir = state
	cfg.Pool.PerFunction = -1
	w := e.start(t, cfg) // cleans what the killed one left
	if n := countContainers(state); n != 0 {
		t.Errorf("%d containers left after the restart", n)
	}
	// The killed instances' invocations come again once their ack wait
	// (4 s) has passed: these instances stay idle long enough for that.
	r = e.burst(t, "n4", schemas.BurstRequest{Function: "slow", Count: 2, IdleTimeout: 10 * time.Second})
	if r.Accepted != 2 {
		t.Fatalf("reply %+v", r)
	}
	results := e.waitResults(t, ids, 60*time.Second)
	for id, res := range results {
		if res.Outcome != schemas.OutcomeOK {
			t.Errorf("%s: %+v", id, res)
		}
	}
	waitFor(t, 20*time.Second, "the instances to retire", func() bool { return len(w.Status().Running) == 0 })
}

// slowInvocations queues n trace invocations that sleep 1.5 s each.
func slowInvocations(t *testing.T, e *env, fn string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := fn + "-" + time.Now().Format("150405.000000") + "-" + string(rune('a'+i))
		inv := schemas.Invocation{ID: id, Source: "test", Type: schemas.TypeInvocation,
			Header: http.Header{"Requested_cpu": {"1500"}, "X-Trace-Mode": {"sleep"}}}
		msg := nats.NewMsg(streams.InvokeSubject(fn))
		schemas.EncodeInvocationNATS(&inv, msg)
		msg.Header.Set(streams.HeaderMsgID, id)
		if _, err := e.JS.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
