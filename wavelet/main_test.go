package wavelet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
	"github.com/wavelink/wavelink/wavelet/poolpolicy"
	"github.com/wavelink/wavelink/wavelet/sandbox"
)

// wavelinkBinary is the WaveLink binary built for these tests: emergency
// instances run the real instance runtime.
var wavelinkBinary string

func TestMain(m *testing.M) {
	sandbox.Init()
	if os.Getenv(roleEnv) == "wavelet" {
		os.Exit(runWaveletProcess())
	}
	dir, err := os.MkdirTemp("", "wavelet-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wavelinkBinary = filepath.Join(dir, "wavelink")
	build := exec.Command("go", "build", "-o", wavelinkBinary, "github.com/wavelink/wavelink/cmd/wavelink")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the wavelink binary:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a NATS server with the topology, a registry and its cache.
type env struct {
	*streamstest.Env
	reg   *registry.Registry
	specs *registry.Cache
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := streamstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg, err := registry.Open(ctx, e.JS)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := reg.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &env{Env: e, reg: reg, specs: specs}
}

// deploy deploys spec and waits until the cache has it.
func (e *env) deploy(t testing.TB, spec registry.Spec) registry.Spec {
	t.Helper()
	s, err := e.reg.Deploy(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the spec in the cache", func() bool {
		got, ok := e.specs.Lookup(s.Name)
		return ok && specKey(got) == specKey(s)
	})
	return s
}

// testConfig is a Wavelet config for tests: the built binary, containers.
func (e *env) testConfig(t testing.TB, node string) Config {
	return Config{
		Node: node, NATSURL: e.URL, StateDir: t.TempDir(), Runtime: RuntimeContainers,
		Binary: wavelinkBinary, Slots: 8, MemoryMB: 4096, Generic: -1,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	}
}

// start runs a Wavelet until the test ends, and checks then that it left
// no container behind.
func (e *env) start(t testing.TB, cfg Config) *Wavelet {
	t.Helper()
	if os.Geteuid() != 0 && cfg.Runtime == RuntimeContainers {
		t.Skip("containers need root")
	}
	w, err := New(cfg, e.NC, e.JS, e.specs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the Wavelet did not get ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the Wavelet did not stop")
		}
		assertNoContainers(t, w.cfg.StateDir)
		if w.containers {
			parent := cgroupParent(w.cfg)
			for _, h := range []string{"memory", "pids", "cpu", "unified"} {
				if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", h, parent)); err == nil {
					t.Errorf("cgroup %s left in %s", parent, h)
				}
			}
		}
	})
	return w
}

// assertNoContainers fails if a container's state is left in stateDir.
func assertNoContainers(t testing.TB, stateDir string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(stateDir, "containers"))
	for _, e := range entries {
		t.Errorf("container %s left behind", e.Name())
	}
}

// nodeStatus reads node's status from wl_nodes.
func (e *env) nodeStatus(node string) (schemas.NodeStatus, error) {
	kv, err := e.JS.KeyValue(context.Background(), streams.BucketNodes)
	if err != nil {
		return schemas.NodeStatus{}, err
	}
	entry, err := kv.Get(context.Background(), node)
	if err != nil {
		return schemas.NodeStatus{}, err
	}
	return schemas.DecodeNodeStatusJSON(entry.Value())
}

// burst asks node for count instances of fn and returns the reply, or the
// refusal header's text as Refused for a request it could not read.
func (e *env) burst(t testing.TB, node string, req schemas.BurstRequest) schemas.BurstReply {
	t.Helper()
	msg := nats.NewMsg(streams.BurstSubject(node))
	if err := schemas.EncodeControlNATS(schemas.TypeBurst, "test", fmt.Sprintf("b-%d", time.Now().UnixNano()), req, msg); err != nil {
		t.Fatal(err)
	}
	return e.request(t, msg)
}

func (e *env) request(t testing.TB, msg *nats.Msg) schemas.BurstReply {
	t.Helper()
	resp, err := e.NC.RequestMsg(msg, 30*time.Second)
	if err != nil {
		t.Fatalf("burst request: %v", err)
	}
	if why := resp.Header.Get(streams.HeaderRefused); why != "" {
		return schemas.BurstReply{Refused: why}
	}
	r, err := schemas.DecodeBurstReply(resp.Data)
	if err != nil {
		t.Fatalf("burst reply %q: %v", resp.Data, err)
	}
	return r
}

// invokeAsync queues n invocations of fn whose results go to WL_RESULT,
// and returns their ids.
func (e *env) invokeAsync(t *testing.T, fn string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d-%d", fn, time.Now().UnixNano(), i)
		inv := schemas.Invocation{ID: id, Source: "test", Type: schemas.TypeInvocation, Data: []byte("hello " + id)}
		msg := nats.NewMsg(streams.InvokeSubject(fn))
		schemas.EncodeInvocationNATS(&inv, msg)
		msg.Header.Set(streams.HeaderMsgID, id)
		if _, err := e.JS.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// waitResults waits for a result of every id and returns them by id.
func (e *env) waitResults(t *testing.T, ids []string, timeout time.Duration) map[string]schemas.Result {
	t.Helper()
	out := map[string]schemas.Result{}
	deadline := time.Now().Add(timeout)
	stream, err := e.JS.Stream(context.Background(), streams.StreamResult)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		for {
			m, err := stream.GetLastMsgForSubject(context.Background(), streams.ResultSubject(id))
			if err == nil {
				r, err := schemas.DecodeResultNATS(nats.Header(m.Header), m.Data)
				if err != nil {
					t.Fatal(err)
				}
				out[id] = r
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no result for %s after %s (%d of %d answered)", id, timeout, len(out), len(ids))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return out
}

// pending returns how many invocations of fn wait undelivered.
func (e *env) pending(t *testing.T, fn string) uint64 {
	t.Helper()
	c, err := streams.FunctionConsumer(context.Background(), e.JS, fn)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumPending + uint64(info.NumAckPending)
}

func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func natsMsg(subject string, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = data
	return m
}

func readDir(p string) ([]os.DirEntry, error) { return os.ReadDir(p) }

// roleEnv makes the test binary run a Wavelet in its own process (for the
// test that kills one), configured by the variables below.
const roleEnv = "WL_WAVELET_TEST_ROLE"

// runWaveletProcess runs a Wavelet on WL_NATS, node WL_NODE, state
// WL_STATE, binary WL_BINARY until killed; it prints "running" once its
// status is written.
func runWaveletProcess() int {
	nc, err := nats.Connect(os.Getenv("WL_NATS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg, err := registry.Open(ctx, js)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	specs, err := reg.Watch(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w, err := New(Config{Node: os.Getenv("WL_NODE"), NATSURL: os.Getenv("WL_NATS"), StateDir: os.Getenv("WL_STATE"),
		Runtime: RuntimeContainers, Binary: os.Getenv("WL_BINARY"), Slots: 8, MemoryMB: 4096,
		Pool: poolpolicy.Params{PerFunction: -1}, Generic: -1, Logger: zerolog.New(os.Stderr)}, nc, js, specs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("running")
	return map[bool]int{true: 0, false: 1}[w.Run(ctx) == nil]
}
