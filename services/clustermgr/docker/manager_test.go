package docker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// invoke sends one synchronous invocation of fn and returns the reply's
// data.
func (e *env) invoke(fn string, data string) []byte {
	e.t.Helper()
	inbox := e.nats.NC.NewInbox()
	sub, err := e.nats.NC.SubscribeSync(inbox)
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Unsubscribe()
	inv := schemas.Invocation{ID: randomHex(8), Source: "/test", Type: schemas.TypeInvocation, DataContentType: "text/plain", Data: []byte(data)}
	msg := nats.NewMsg(streams.InvokeSubject(fn))
	schemas.EncodeInvocationNATS(&inv, msg)
	msg.Header.Set(streams.HeaderReply, inbox)
	if _, err := e.nats.JS.PublishMsg(e.t.Context(), msg); err != nil {
		e.t.Fatal(err)
	}
	reply, err := sub.NextMsg(30 * time.Second)
	if err != nil {
		e.t.Fatalf("no reply from %s: %v", fn, err)
	}
	return reply.Data
}

func TestScaleUpAndDown(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("echo1")
	h := e.start(e.cfg)

	t0 := time.Now()
	h.scale(spec, 2)
	ready := h.waitEvents(2, time.Minute, kind("echo1", clustermgr.EventReady))
	t.Logf("scale-up to 2 ready: %s", time.Since(t0))
	if ready[0].Instance == ready[1].Instance {
		t.Fatalf("one instance reported ready twice: %s", formatEvents(ready))
	}
	if n := h.m.Ready("echo1"); n != 2 {
		t.Fatalf("Ready = %d, want 2", n)
	}
	cs := e.containers(e.cfg.ID)
	if len(cs) != 2 {
		t.Fatalf("%d containers, want 2", len(cs))
	}
	for _, c := range cs {
		if c.Labels[LabelFunction] != "echo1" || c.Labels[LabelInstance] == "" || c.State != "running" {
			t.Errorf("container %s: labels %v, state %s", c.ID, c.Labels, c.State)
		}
	}
	if got := string(e.invoke("echo1", "hello")); got != "hello" {
		t.Fatalf("echo replied %q", got)
	}

	h.scale(spec, 0)
	exited := h.waitEvents(2, time.Minute, kind("echo1", clustermgr.EventExited))
	for _, ev := range exited {
		if ev.Err != nil {
			t.Errorf("instance %s exited with %v, want a clean drain", ev.Instance, ev.Err)
		}
	}
	if cs := e.containers(e.cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left after scaling to 0", len(cs))
	}
	if n := h.m.Ready("echo1"); n != 0 {
		t.Fatalf("Ready = %d after scale-down", n)
	}
	h.waitEvents(2, time.Second, kind("echo1", clustermgr.EventDraining))
}

// TestAdoptAfterRestart: a manager detached from its running containers
// is followed by one with the same ID, which finds them ready, keeps them
// until its first Scale, and drains the surplus; a manager with another ID
// never touches them.
func TestAdoptAfterRestart(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("adopt")
	h1 := e.start(e.cfg)
	h1.scale(spec, 2)
	first := h1.waitEvents(2, time.Minute, kind("adopt", clustermgr.EventReady))
	h1.detach()
	if cs := e.containers(e.cfg.ID); len(cs) != 2 {
		t.Fatalf("%d containers after Detach, want 2 still running", len(cs))
	}

	// Another manager, with its own ID, sees none of them.
	other := e.cfg
	other.ID = e.cfg.ID + "-other"
	ho := e.start(other)
	ho.scale(spec, 0)

	h2 := e.start(e.cfg)
	again := h2.waitEvents(2, time.Minute, kind("adopt", clustermgr.EventReady))
	ids := map[string]bool{first[0].Instance: true, first[1].Instance: true}
	for _, ev := range again {
		if !ids[ev.Instance] {
			t.Fatalf("adopted instance %s is not one of %v", ev.Instance, ids)
		}
	}
	if n := h2.m.Ready("adopt"); n != 2 {
		t.Fatalf("Ready = %d after adoption, want 2", n)
	}
	if evs, _ := h2.snapshot(); len(evs) != 2 {
		t.Fatalf("adoption reported more than the two ready events: %s", formatEvents(evs))
	}
	h2.scale(spec, 1)
	drained := h2.waitEvents(1, time.Minute, kind("adopt", clustermgr.EventExited))
	if !ids[drained[0].Instance] || drained[0].Err != nil {
		t.Fatalf("scale-down to 1 drained %s: %v", drained[0].Instance, drained[0].Err)
	}
	if cs := e.containers(e.cfg.ID); len(cs) != 1 {
		t.Fatalf("%d containers after scaling the adopted ones to 1", len(cs))
	}
	if evs, _ := h2.snapshot(); len(h2.filter(evs, kind("adopt", clustermgr.EventStarting))) != 0 {
		t.Fatalf("a container was started though enough were adopted: %s", formatEvents(evs))
	}
	if evs, _ := ho.snapshot(); len(evs) != 0 {
		t.Fatalf("the other manager reported events about containers not its own: %s", formatEvents(evs))
	}
	ho.close()
	h2.close()
	if cs := e.containers(e.cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left after Close", len(cs))
	}
}

func (h *harness) filter(evs []clustermgr.Event, match func(clustermgr.Event) bool) []clustermgr.Event {
	var out []clustermgr.Event
	for _, ev := range evs {
		if match(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// instancePID returns the host PID of the instance process in the
// container of instance id: the child of the container's docker-init.
func (e *env) instancePID(id string) int {
	e.t.Helper()
	ci, err := e.cli.ContainerInspect(e.t.Context(), ContainerName(e.cfg.ID, id))
	if err != nil {
		e.t.Fatal(err)
	}
	init := ci.State.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", init, init))
	if err != nil {
		e.t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		e.t.Fatalf("docker-init %d has children %q, want one", init, f)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return pid
}

// TestCrashRestartedByPolicy: an instance killed from outside is restarted
// in the same container by the restart policy, and reported as exited,
// starting and ready again under the same ID.
func TestCrashRestartedByPolicy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("killing a container's process needs root")
	}
	e := newEnv(t)
	spec := e.deploy("crash")
	h := e.start(e.cfg)
	h.scale(spec, 1)
	ready := h.waitEvents(1, time.Minute, kind("crash", clustermgr.EventReady))[0]
	if err := syscall.Kill(e.instancePID(ready.Instance), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	exited := h.waitEvents(1, time.Minute, kind("crash", clustermgr.EventExited))[0]
	var ee *ExitError
	if exited.Instance != ready.Instance || !errors.Is(exited.Err, ErrUnexpectedExit) || !errors.As(exited.Err, &ee) || !ee.Restarting || ee.Code != 128+9 {
		t.Fatalf("after a crash: %s %v, want an unexpected exit with code 137, restarting", exited.Instance, exited.Err)
	}
	t0 := time.Now()
	again := h.waitEvents(2, time.Minute, kind("crash", clustermgr.EventReady))[1]
	t.Logf("restarted and ready again after %s", time.Since(t0))
	if again.Instance != ready.Instance {
		t.Fatalf("ready again as %s, want the same instance %s", again.Instance, ready.Instance)
	}
	h.waitEvents(2, time.Second, kind("crash", clustermgr.EventStarting))
	if cs := e.containers(e.cfg.ID); len(cs) != 1 || cs[0].State != "running" {
		t.Fatalf("containers after the restart: %v", cs)
	}
	if n := h.m.Ready("crash"); n != 1 {
		t.Fatalf("Ready = %d after the restart", n)
	}
}

// TestCrashLoopReplaced: an instance that fails at every start is
// restarted by the policy MaxRestarts times, then its container is removed
// and replaced by a new one, with the manager's back-off.
func TestCrashLoopReplaced(t *testing.T) {
	e := newEnv(t)
	// Not deployed: the instance exits with an error at once.
	spec := registry.Spec{Name: "missing", Package: registry.Package{Builtin: "echo"}}
	cfg := e.cfg
	cfg.MaxRestarts = 1
	h := e.start(cfg)
	h.scale(spec, 1)
	// Two runs of the first container fail, the second restarting.
	failed := h.waitEvents(3, time.Minute, kind("missing", clustermgr.EventFailed))
	var first, second *ExitError
	if !errors.As(failed[0].Err, &first) || !first.Restarting || !errors.As(failed[1].Err, &second) || second.Restarting {
		t.Fatalf("want a failure restarted by the policy, then one that is not: %s", formatEvents(failed))
	}
	if failed[0].Instance != failed[1].Instance || failed[2].Instance == failed[0].Instance {
		t.Fatalf("want two failures of one container, then one of its replacement: %s", formatEvents(failed))
	}
	starting := h.waitEvents(2, time.Minute, func(ev clustermgr.Event) bool {
		return ev.Kind == clustermgr.EventStarting && ev.Instance != failed[0].Instance
	})
	_ = starting
	h.scale(spec, 0)
	h.close()
	if cs := e.containers(e.cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left", len(cs))
	}
}
