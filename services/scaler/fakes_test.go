package scaler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler/policy"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// t0 is where every fake clock starts.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// wait bounds every wait for something asynchronous (a NATS delivery); it
// guards against hangs and is not a timing requirement.
const wait = 10 * time.Second

// fakeClock is stepped by the test. Its tickers fire only when told.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
	made    chan struct{} // receives once per NewTicker
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0, made: make(chan struct{}, 8)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func (c *fakeClock) NewTicker(time.Duration) Ticker {
	t := &fakeTicker{c: make(chan time.Time, 1)}
	c.mu.Lock()
	c.tickers = append(c.tickers, t)
	c.mu.Unlock()
	c.made <- struct{}{}
	return t
}

type fakeTicker struct {
	c       chan time.Time
	stopped atomic.Bool
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }
func (t *fakeTicker) Stop()               { t.stopped.Store(true) }

// scaleCall is one Scale the fake manager received.
type scaleCall struct {
	fn string
	n  int
}

// fakeManager records Scale calls. Its ready counts follow the last Scale
// when follow is set, else stay as set.
type fakeManager struct {
	mu     sync.Mutex
	calls  []scaleCall
	ready  map[string]int
	follow bool
	fail   map[string]error // Scale of these functions fails
	called chan scaleCall
}

func newFakeManager(follow bool) *fakeManager {
	return &fakeManager{ready: map[string]int{}, follow: follow, fail: map[string]error{}, called: make(chan scaleCall, 4096)}
}

var _ clustermgr.Manager = (*fakeManager)(nil)

func (m *fakeManager) Scale(ctx context.Context, spec registry.Spec, n int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail[spec.Name]; err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("negative count %d", n)
	}
	c := scaleCall{spec.Name, n}
	m.calls = append(m.calls, c)
	if m.follow {
		m.ready[spec.Name] = n
	}
	select {
	case m.called <- c:
	default:
	}
	return nil
}

func (m *fakeManager) Ready(fn string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ready[fn]
}

func (m *fakeManager) Events() <-chan clustermgr.Event { return nil }

func (m *fakeManager) setReady(fn string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready[fn] = n
}

func (m *fakeManager) setFail(fn string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		delete(m.fail, fn)
		return
	}
	m.fail[fn] = err
}

// callsFor returns the counts asked for fn, in order.
func (m *fakeManager) callsFor(fn string) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, c := range m.calls {
		if c.fn == fn {
			out = append(out, c.n)
		}
	}
	return out
}

func (m *fakeManager) lastFor(fn string) (int, bool) {
	calls := m.callsFor(fn)
	if len(calls) == 0 {
		return 0, false
	}
	return calls[len(calls)-1], true
}

// awaitScale waits for a Scale of fn and returns its count.
func (m *fakeManager) awaitScale(t *testing.T, fn string) int {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case c := <-m.called:
			if c.fn == fn {
				return c.n
			}
		case <-deadline:
			t.Fatalf("no Scale of %s within %s", fn, wait)
		}
	}
}

// staticSpecs is a list of specs the test changes.
type staticSpecs struct {
	mu    sync.Mutex
	specs []registry.Spec
}

func (s *staticSpecs) All() []registry.Spec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.specs)
}

func (s *staticSpecs) set(specs ...registry.Spec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.specs = specs
}

// countingJS counts consumer lookups (the scaler's queue reads) on a real
// JetStream context.
type countingJS struct {
	jetstream.JetStream
	lookups atomic.Int64
}

func (c *countingJS) Consumer(ctx context.Context, stream, name string) (jetstream.Consumer, error) {
	c.lookups.Add(1)
	return c.JetStream.Consumer(ctx, stream, name)
}

// harness is a real embedded NATS server with the topology, a registry, a
// fake clock and a fake manager.
type harness struct {
	t     *testing.T
	env   *streamstest.Env
	reg   *registry.Registry
	clock *fakeClock
	mgr   *fakeManager
	ctx   context.Context
	// prom holds the metrics of the Scaler newScaler made last.
	prom *prometheus.Registry
	// statusSeq numbers the node statuses putStatus writes.
	statusSeq int
}

func newHarness(t *testing.T, follow bool) *harness {
	t.Helper()
	env := streamstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg, err := registry.Open(ctx, env.JS)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, env: env, reg: reg, clock: newFakeClock(), mgr: newFakeManager(follow), ctx: ctx}
}

// deploy deploys a built-in echo function with the given bounds.
func (h *harness) deploy(name string, concurrency, minN, maxN int) registry.Spec {
	h.t.Helper()
	s, err := h.reg.Deploy(h.ctx, registry.Spec{
		Name: name, Package: registry.Package{Builtin: "echo"},
		Concurrency: concurrency, MinInstances: minN, MaxInstances: maxN,
	})
	if err != nil {
		h.t.Fatalf("deploy %s: %v", name, err)
	}
	return s
}

// cache watches the registry until the test ends.
func (h *harness) cache() *registry.Cache {
	h.t.Helper()
	c, err := h.reg.Watch(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// config is the regular track alone, as the tests of the async decider
// want it; tests of the other modes set Mode.
func (h *harness) config() Config {
	return Config{Mode: ModeAsync, Clock: h.clock, IdleSweep: -1}
}

// newScaler makes a Scaler on the harness.
func (h *harness) newScaler(cfg Config, specs Specs) *Scaler {
	h.t.Helper()
	if cfg.Registerer == nil {
		h.prom = prometheus.NewRegistry()
		cfg.Registerer = h.prom
	}
	s, err := New(cfg, h.env.NC, h.env.JS, specs, h.mgr)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// run starts s.Run and waits until its subscriptions are live (it makes its
// ticker after subscribing). Run is stopped and awaited when the test ends.
func (h *harness) run(s *Scaler) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(h.ctx)
	var runErr error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		runErr = s.Run(ctx)
	}()
	h.t.Cleanup(func() {
		cancel()
		<-finished
		if runErr != nil {
			h.t.Errorf("Run: %v", runErr)
		}
	})
	select {
	case <-h.clock.made:
	case <-finished:
		h.t.Fatal("Run ended early")
	case <-time.After(wait):
		h.t.Fatal("Run did not start")
	}
}

// invoke publishes n invocations of fn as binary CloudEvents.
func (h *harness) invoke(fn string, n int) {
	h.t.Helper()
	for i := range n {
		id := fn + "-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		msg := nats.NewMsg(streams.InvokeSubject(fn))
		msg.Header.Set(streams.HeaderMsgID, id)
		schemas.EncodeInvocationNATS(&schemas.Invocation{
			ID: id, Source: "/test", Type: schemas.TypeInvocation, Data: []byte("{}"),
		}, msg)
		if _, err := h.env.JS.PublishMsg(h.ctx, msg); err != nil {
			h.t.Fatalf("publish invocation of %s: %v", fn, err)
		}
	}
}

// serve acts as an instance: it takes n invocations of fn, acks each and
// publishes its completion notice.
func (h *harness) serve(fn string, n int) {
	h.t.Helper()
	c, err := streams.FunctionConsumer(h.ctx, h.env.JS, fn)
	if err != nil {
		h.t.Fatal(err)
	}
	got := 0
	for got < n {
		batch, err := c.Fetch(n-got, jetstream.FetchMaxWait(wait), jetstream.FetchPriorityGroup(streams.PriorityGroup))
		if err != nil {
			h.t.Fatalf("fetch %s: %v", fn, err)
		}
		for m := range batch.Messages() {
			if err := m.DoubleAck(h.ctx); err != nil {
				h.t.Fatalf("ack: %v", err)
			}
			if err := h.env.NC.Publish(streams.DoneSubject(fn), nil); err != nil {
				h.t.Fatal(err)
			}
			got++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			h.t.Fatalf("fetch %s: %v", fn, err)
		}
	}
}

// awaitCounts waits until the scaler has counted at least these arrivals
// and completions of fn since the last tick.
func (h *harness) awaitCounts(s *Scaler, fn string, arrivals, completions int64) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if c, ok := s.signals.lookup(fn); ok && c.arrivals.Load() >= arrivals && c.completions.Load() >= completions {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the scaler did not count %d arrivals and %d completions of %s within %s", arrivals, completions, fn, wait)
		}
		time.Sleep(time.Millisecond)
	}
}

// tick advances the fake clock by d and runs one tick.
func (h *harness) tick(s *Scaler, d time.Duration) error {
	return s.Tick(h.ctx, h.clock.Advance(d))
}

func shortParams() policy.Params {
	p := policy.DefaultParams()
	p.StableWindow = 10 * time.Second
	p.PanicWindow = 2 * time.Second
	p.ScaleToZeroGrace = 30 * time.Second
	return p
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// metricValue reads a gauge or counter from reg: the series of name whose
// function label is fn, or the unlabelled one when fn is "".
func metricValue(t *testing.T, reg prometheus.Gatherer, name, fn string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "function" {
					label = l.GetValue()
				}
			}
			if label != fn {
				continue
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue(), true
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue(), true
			}
		}
	}
	return 0, false
}

// seriesCount is how many series of name reg holds.
func seriesCount(t *testing.T, reg prometheus.Gatherer, name string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}
