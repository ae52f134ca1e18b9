package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// testIDPrefix starts the manager ID of every manager a test makes, so
// that what they leave behind can be found and removed.
const testIDPrefix = "wltest-"

// binaryEnv names a prebuilt WaveLink binary to use instead of building
// one.
const binaryEnv = "WAVELINK_TEST_BINARY"

// daemon is what the integration tests share: a client, and the instance
// image built once from a static WaveLink binary.
var daemon struct {
	once  sync.Once
	skip  string // why the integration tests skip
	err   error  // why they fail
	cli   *client.Client
	image string
	// images lists every image the tests built, removed at the end.
	images []string
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupDaemon()
	os.Exit(code)
}

// needDaemon returns the shared client and image, skipping the test when
// the Docker daemon is unreachable.
func needDaemon(t testing.TB) (*client.Client, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test against the Docker daemon")
	}
	daemon.once.Do(setupDaemon)
	if daemon.skip != "" {
		t.Skip(daemon.skip)
	}
	if daemon.err != nil {
		t.Fatal(daemon.err)
	}
	return daemon.cli, daemon.image
}

func setupDaemon() {
	cli, err := NewClient()
	if err != nil {
		daemon.skip = fmt.Sprintf("no Docker client: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		daemon.skip = fmt.Sprintf("Docker daemon unreachable (%v): skipping the tests against it", err)
		_ = cli.Close()
		return
	}
	daemon.cli = cli
	dir, err := os.MkdirTemp("", "wl-docker-test-")
	if err != nil {
		daemon.err = err
		return
	}
	daemon.dir = dir
	bin := os.Getenv(binaryEnv)
	if bin == "" {
		bin = filepath.Join(dir, "wavelink")
		if daemon.err = buildStatic(bin); daemon.err != nil {
			return
		}
	}
	tag := "wavelink-test-instance:" + randomHex(4)
	bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer bcancel()
	if err := BuildImage(bctx, cli, bin, tag); err != nil {
		daemon.err = fmt.Errorf("BuildImage: %w", err)
		return
	}
	daemon.images = append(daemon.images, tag)
	daemon.image = tag
}

// buildStatic builds ./cmd/wavelink as a static binary. The binary needs
// cgo (libcontainer), so it is linked statically against the C library
// rather than built with CGO_ENABLED=0.
func buildStatic(out string) error {
	cmd := exec.Command("go", "build", "-tags", "netgo,osusergo",
		"-ldflags", "-s -w -linkmode external -extldflags -static",
		"-o", out, "github.com/wavelink/wavelink/cmd/wavelink")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build a static wavelink binary: %v\n%s", err, b)
	}
	return nil
}

// cleanupDaemon removes every container a test manager left and every
// image the tests built.
func cleanupDaemon() {
	cli := daemon.cli
	if cli == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left := removeTestContainers(ctx, cli, "")
	if left > 0 {
		fmt.Fprintf(os.Stderr, "clustermgr/docker tests: removed %d containers left behind\n", left)
	}
	for _, img := range daemon.images {
		if _, err := cli.ImageRemove(ctx, img, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			fmt.Fprintf(os.Stderr, "clustermgr/docker tests: remove image %s: %v\n", img, err)
		}
	}
	if daemon.dir != "" {
		_ = os.RemoveAll(daemon.dir)
	}
	_ = cli.Close()
}

// removeTestContainers removes the containers of test managers (of the
// one manager id, when set) and returns how many there were.
func removeTestContainers(ctx context.Context, cli *client.Client, id string) int {
	f := filters.NewArgs(filters.Arg("label", LabelManager))
	if id != "" {
		f = filters.NewArgs(filters.Arg("label", LabelManager+"="+id))
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return 0
	}
	n := 0
	for _, c := range cs {
		if strings.HasPrefix(c.Labels[LabelManager], testIDPrefix) {
			_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			n++
		}
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one integration test's world: a NATS server with the topology,
// a registry, and the config of a manager with a test ID.
type env struct {
	t    testing.TB
	cli  *client.Client
	cfg  Config
	nats *streamstest.Env
	reg  *registry.Registry
}

func newEnv(t testing.TB) *env {
	t.Helper()
	cli, img := needDaemon(t)
	e := streamstest.Start(t)
	reg, err := registry.Open(t.Context(), e.JS)
	if err != nil {
		t.Fatal(err)
	}
	id := testIDPrefix + randomHex(4)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if n := removeTestContainers(ctx, cli, id); n > 0 {
			t.Errorf("%d containers of manager %s were left behind", n, id)
		}
	})
	return &env{t: t, cli: cli, nats: e, reg: reg, cfg: Config{
		Client:         cli,
		ID:             id,
		Image:          img,
		NATSURL:        e.URL,
		NanoCPUs:       5e8,
		ExtraArgs:      []string{"--log-format", "json"},
		StartTimeout:   30 * time.Second,
		StopGrace:      FixedGrace(15 * time.Second), // a drain under a loaded machine (CI) can take seconds
		RestartBackoff: clustermgr.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond, Reset: 30 * time.Second},
		Logger:         zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel),
	}}
}

// deploy stores an echo function named fn and returns its spec.
func (e *env) deploy(fn string) registry.Spec {
	e.t.Helper()
	s, err := e.reg.Deploy(e.t.Context(), registry.Spec{Name: fn, Package: registry.Package{Builtin: "echo"}, MemoryMB: 64})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// harness runs a Manager and collects its events.
type harness struct {
	t testing.TB
	m *Manager

	mu        sync.Mutex
	events    []clustermgr.Event
	changed   chan struct{}
	collected chan struct{}
	ended     bool
}

// start makes a manager from cfg; at the end of the test it is closed
// unless the test ended it.
func (e *env) start(cfg Config) *harness {
	e.t.Helper()
	m, err := New(e.t.Context(), cfg)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	h := &harness{t: e.t, m: m, changed: make(chan struct{}), collected: make(chan struct{})}
	go h.collect()
	e.t.Cleanup(func() {
		if !h.ended {
			h.close()
		}
	})
	return h
}

func (h *harness) collect() {
	defer close(h.collected)
	for ev := range h.m.Events() {
		h.t.Logf("event: %s", formatEvents([]clustermgr.Event{ev}))
		h.mu.Lock()
		h.events = append(h.events, ev)
		close(h.changed)
		h.changed = make(chan struct{})
		h.mu.Unlock()
	}
}

// close closes the manager and waits for Events to be closed.
func (h *harness) close() {
	h.t.Helper()
	h.ended = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.m.Close(ctx); err != nil {
		h.t.Errorf("Close: %v", err)
	}
	h.waitCollected()
	if ins := h.m.Instances(); len(ins) != 0 {
		h.t.Errorf("instances left after Close: %v", ins)
	}
}

// detach detaches the manager and waits for Events to be closed.
func (h *harness) detach() {
	h.t.Helper()
	h.ended = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.m.Detach(ctx); err != nil {
		h.t.Errorf("Detach: %v", err)
	}
	h.waitCollected()
}

func (h *harness) waitCollected() {
	h.t.Helper()
	select {
	case <-h.collected:
	case <-time.After(10 * time.Second):
		h.t.Error("Events was not closed")
	}
}

func (h *harness) scale(spec registry.Spec, n int) {
	h.t.Helper()
	if err := h.m.Scale(h.t.Context(), spec, n); err != nil {
		h.t.Fatalf("Scale(%s, %d): %v", spec.Name, n, err)
	}
}

func (h *harness) snapshot() ([]clustermgr.Event, chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]clustermgr.Event(nil), h.events...), h.changed
}

// waitEvents waits until at least n events match and returns all that
// match.
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

// containers lists the containers of manager id, running or not.
func (e *env) containers(id string) []container.Summary {
	e.t.Helper()
	cs, err := e.cli.ContainerList(e.t.Context(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", LabelManager+"="+id))})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}
