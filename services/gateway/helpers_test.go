package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// fixture is a real embedded NATS server with the topology, a registry with
// the echo function deployed, a gateway on the registry's cache, and an
// httptest server in front of it.
type fixture struct {
	env   *streamstest.Env
	reg   *registry.Registry
	cache *registry.Cache
	gw    *Gateway
	srv   *httptest.Server
	ctx   context.Context
}

type fixtureOptions struct {
	cfg      Config
	topology *streams.Topology
	specs    Specs // overrides the registry cache when set
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	env := streamstest.Start(t, streamstest.Options{Topology: o.topology})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg, err := registry.Open(ctx, env.JS)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	deploy(t, reg, "echo")
	cache, err := reg.Watch(ctx)
	if err != nil {
		t.Fatalf("watch registry: %v", err)
	}
	specs := o.specs
	if specs == nil {
		specs = cache
	}
	gw, err := New(o.cfg, env.NC, env.JS, specs)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := gw.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return &fixture{env: env, reg: reg, cache: cache, gw: gw, srv: srv, ctx: ctx}
}

func deploy(t testing.TB, reg *registry.Registry, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := reg.Deploy(ctx, registry.Spec{Name: name, Package: registry.Package{Builtin: "echo"}, Timeout: registry.Duration(5 * time.Second)}); err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
}

// waitForSpec blocks until the cache shows cond for the function, or fails.
func (f *fixture) waitForSpec(t testing.TB, name string, cond func(registry.Spec, bool) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	for {
		changed := f.cache.Changed()
		if cond(f.cache.Lookup(name)) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("spec of %s never reached the expected state", name)
		}
	}
}

// request sends a request to the fixture's server and reads the answer.
func (f *fixture) request(t testing.TB, method, path string, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	return doRequest(t, f.srv.Client(), method, f.srv.URL+path, body, header)
}

func doRequest(t testing.TB, c *http.Client, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return resp, string(b)
}

// received is one invocation the responder pulled.
type received struct {
	inv    schemas.Invocation
	header nats.Header
}

// answerFunc decides the result of one invocation; returning nil leaves it
// unanswered and unacked.
type answerFunc func(inv schemas.Invocation) *schemas.Result

// echo answers every invocation with its own data.
func echo(inv schemas.Invocation) *schemas.Result {
	return &schemas.Result{InvocationID: inv.ID, Function: "echo", Outcome: schemas.OutcomeOK, Status: 200,
		ContentType: inv.DataContentType, Data: inv.Data}
}

// responder plays an instance: it pulls fn's consumer, decodes each
// invocation, and sends the answer to its Wl-Reply subject or, without one,
// stores it in WL_RESULT; then it acks.
type responder struct {
	got  chan received
	cc   jetstream.ConsumeContext
	mu   sync.Mutex
	errs []error
}

func startResponder(t testing.TB, env *streamstest.Env, fn string, answer answerFunc) *responder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := streams.FunctionConsumer(ctx, env.JS, fn)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	r := &responder{got: make(chan received, 1024)}
	r.cc, err = cons.Consume(func(m jetstream.Msg) { r.handle(env, m, answer) }, jetstream.PullPriorityGroup(streams.PriorityGroup))
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	t.Cleanup(func() {
		r.cc.Stop()
		<-r.cc.Closed()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, err := range r.errs {
			t.Errorf("responder: %v", err)
		}
	})
	return r
}

func (r *responder) fail(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *responder) handle(env *streamstest.Env, m jetstream.Msg, answer answerFunc) {
	inv, err := schemas.DecodeInvocationNATS(m.Headers(), m.Data())
	if err != nil {
		r.fail(err)
		_ = m.Term()
		return
	}
	select {
	case r.got <- received{inv: inv, header: m.Headers()}:
	default:
	}
	res := answer(inv)
	if res == nil {
		return
	}
	out := nats.NewMsg("")
	schemas.EncodeResultNATS(res, out)
	if reply := m.Headers().Get(streams.HeaderReply); reply != "" {
		out.Subject = reply
		err = env.NC.PublishMsg(out)
	} else {
		out.Subject = streams.ResultSubject(inv.ID)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = env.JS.PublishMsg(ctx, out)
		cancel()
	}
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		r.fail(err)
	}
	_ = m.Ack()
}

// next returns the next invocation the responder pulled, or fails.
func (r *responder) next(t testing.TB) received {
	t.Helper()
	select {
	case g := <-r.got:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no invocation reached the responder")
		return received{}
	}
}

// jetstreamOn returns a JetStream context on nc.
func jetstreamOn(t testing.TB, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return js
}

// serveRecorded runs one request through h in this goroutine.
func serveRecorded(h http.Handler, method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// counterValue reads one unlabelled sample from the gateway's /metrics.
func counterValue(t testing.TB, gw *Gateway, name string) float64 {
	t.Helper()
	rec := serveRecorded(gw, http.MethodGet, "/metrics", "", nil)
	for line := range strings.Lines(rec.Body.String()) {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v
	}
	t.Fatalf("metric %s not in /metrics", name)
	return 0
}
