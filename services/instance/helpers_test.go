package instance

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// wait bounds every wait of these tests.
const wait = 10 * time.Second

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger returns a logger whose output is shown if the test fails.
func testLogger(t testing.TB) (zerolog.Logger, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("instance logs:\n%s", buf.String())
		}
	})
	return zerolog.New(buf).With().Timestamp().Logger(), buf
}

type env struct {
	*streamstest.Env
	reg *registry.Registry
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := streamstest.Start(t)
	reg, err := registry.Open(testCtx(t), e.JS)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	return &env{Env: e, reg: reg}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) deploy(t testing.TB, s registry.Spec) registry.Spec {
	t.Helper()
	s, err := e.reg.Deploy(testCtx(t), s)
	if err != nil {
		t.Fatalf("deploy %s: %v", s.Name, err)
	}
	return s
}

// running is an instance started by a test.
type running struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the instance has returned
	err    error         // what it returned
	logs   *syncBuffer
}

// wait waits for the instance to return by itself and returns what it
// returned.
func (r *running) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(wait):
		t.Fatal("instance did not return")
		return nil
	}
}

// stop cancels the instance and returns what it returned.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	return r.wait(t)
}

// startWith runs start in the background until ready is called, and stops
// it when the test ends.
func startWith(t testing.TB, start func(ctx context.Context, ready func()) error) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(r.done)
		r.err = start(ctx, func() { once.Do(func() { close(ready) }) })
	}()
	select {
	case <-ready:
	case <-r.done:
		cancel()
		t.Fatalf("instance ended before it was ready: %v", r.err)
	case <-time.After(wait):
		cancel()
		t.Fatal("instance not ready")
	}
	t.Cleanup(func() { _ = r.stop(t) })
	return r
}

// startRun runs the public Run.
func startRun(t testing.TB, e *env, cfg Config) *running {
	t.Helper()
	if cfg.ID == "" {
		cfg.ID = "test-1"
	}
	if cfg.Track == "" {
		cfg.Track = TrackRegular
	}
	var logs *syncBuffer
	cfg.Logger, logs = testLogger(t)
	r := startWith(t, func(ctx context.Context, ready func()) error {
		cfg.Ready = ready
		return Run(ctx, e.NC, e.JS, cfg)
	})
	r.logs = logs
	return r
}

// startRuntime runs the runtime around a function given by the test; edit,
// if given, changes the runtime before it starts.
func startRuntime(t testing.TB, e *env, spec registry.Spec, fn function, edit ...func(*runtime)) *running {
	t.Helper()
	log, logs := testLogger(t)
	cfg := Config{Function: spec.Name, ID: "test-1", Track: TrackRegular, Logger: log}
	cons, err := streams.FunctionConsumer(testCtx(t), e.JS, spec.Name)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	r := startWith(t, func(ctx context.Context, ready func()) error {
		cfg.Ready = ready
		r := newRuntime(e.NC, e.JS, spec, cfg, fn, log)
		for _, f := range edit {
			f(r)
		}
		return r.serve(ctx, cons)
	})
	r.logs = logs
	return r
}

// invocation makes a message for an invocation of fn with the given id,
// data and plain headers; reply, if set, makes it synchronous.
func invocation(fn, id string, data []byte, headers map[string]string, reply string) *nats.Msg {
	inv := schemas.Invocation{ID: id, Source: "/test", Type: schemas.TypeInvocation, DataContentType: "text/plain", Data: data}
	if len(headers) > 0 {
		inv.Header = http.Header{}
		for k, v := range headers {
			inv.Header[k] = []string{v}
		}
	}
	msg := nats.NewMsg(streams.InvokeSubject(fn))
	schemas.EncodeInvocationNATS(&inv, msg)
	if reply != "" {
		msg.Header.Set(streams.HeaderReply, reply)
	}
	return msg
}

func publish(t testing.TB, e *env, msg *nats.Msg) {
	t.Helper()
	if _, err := e.JS.PublishMsg(testCtx(t), msg); err != nil {
		t.Fatalf("publish to %s: %v", msg.Subject, err)
	}
}

// caller is a sync caller's reply subscription.
type caller struct {
	inbox string
	sub   *nats.Subscription
}

func newCaller(t testing.TB, e *env) *caller {
	t.Helper()
	inbox := e.NC.NewInbox()
	sub, err := e.NC.SubscribeSync(inbox)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return &caller{inbox: inbox, sub: sub}
}

// next waits for the next result on sub.
func nextResult(t testing.TB, sub *nats.Subscription) (schemas.Result, *nats.Msg) {
	t.Helper()
	m, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no result on %s: %v", sub.Subject, err)
	}
	r, err := schemas.DecodeResultNATS(m.Header, m.Data)
	if err != nil {
		t.Fatalf("result on %s: %v", sub.Subject, err)
	}
	return r, m
}

// nextCompletion waits for the next completion notice on sub.
func nextCompletion(t testing.TB, sub *nats.Subscription) (schemas.Result, *nats.Msg) {
	t.Helper()
	m, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no completion on %s: %v", sub.Subject, err)
	}
	r, err := schemas.DecodeCompletionNATS(m.Header)
	if err != nil {
		t.Fatalf("completion on %s: %v", sub.Subject, err)
	}
	return r, m
}

// subscribeDone subscribes to fn's completion notices.
func subscribeDone(t testing.TB, e *env, fn string) *nats.Subscription {
	t.Helper()
	sub, err := e.NC.SubscribeSync(streams.DoneSubject(fn))
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := e.NC.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return sub
}

// deadLetter returns fn's last dead letter.
func deadLetter(t testing.TB, e *env, fn string) *jetstream.RawStreamMsg {
	t.Helper()
	st, err := e.JS.Stream(testCtx(t), streams.StreamDLQ)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	m, err := st.GetLastMsgForSubject(testCtx(t), streams.DLQSubject(fn))
	if err != nil {
		t.Fatalf("dead letter of %s: %v", fn, err)
	}
	return m
}

// storedResult returns the async result of invocation id from WL_RESULT.
func storedResult(t testing.TB, e *env, id string) (schemas.Result, *jetstream.RawStreamMsg) {
	t.Helper()
	st, err := e.JS.Stream(testCtx(t), streams.StreamResult)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	m, err := st.GetLastMsgForSubject(testCtx(t), streams.ResultSubject(id))
	if err != nil {
		t.Fatalf("result of %s: %v", id, err)
	}
	r, err := schemas.DecodeResultNATS(m.Header, m.Data)
	if err != nil {
		t.Fatalf("result of %s: %v", id, err)
	}
	return r, m
}

// invokeQueued counts fn's invocations still stored in WL_INVOKE.
func invokeQueued(t testing.TB, e *env, fn string) uint64 {
	t.Helper()
	st, err := e.JS.Stream(testCtx(t), streams.StreamInvoke)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	info, err := st.Info(testCtx(t), jetstream.WithSubjectFilter(streams.InvokeSubject(fn)))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Subjects[streams.InvokeSubject(fn)]
}

func consumerInfo(t testing.TB, e *env, fn string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := streams.FunctionConsumer(testCtx(t), e.JS, fn)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := c.Info(testCtx(t))
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info
}

// eventually polls cond until it holds or the wait ends.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %s", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handlerFn is a function made of a test handler, called in process like
// the built-ins.
func handlerFn(name string, h http.HandlerFunc) function {
	return &handlerFunction{name: name, handler: h}
}

// noMore reports an error unless sub has nothing more within a moment.
func noMore(sub *nats.Subscription) error {
	m, err := sub.NextMsg(100 * time.Millisecond)
	if errors.Is(err, nats.ErrTimeout) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.New("unexpected message on " + m.Subject)
}

// shortenAckWait sets the function consumer's ack wait to d, below what the
// spec would give, so tests can outlast it quickly.
func shortenAckWait(t testing.TB, e *env, spec registry.Spec, d time.Duration) {
	t.Helper()
	cfg, err := spec.ConsumerParams().Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AckWait = d
	if _, err := e.JS.UpdateConsumer(testCtx(t), streams.StreamInvoke, cfg); err != nil {
		t.Fatalf("shorten the ack wait: %v", err)
	}
}

// awaitResult waits for the async result of invocation id.
func awaitResult(t testing.TB, e *env, id string) schemas.Result {
	t.Helper()
	st, err := e.JS.Stream(testCtx(t), streams.StreamResult)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	eventually(t, "the result of "+id, func() bool {
		_, err := st.GetLastMsgForSubject(testCtx(t), streams.ResultSubject(id))
		return err == nil
	})
	r, _ := storedResult(t, e, id)
	return r
}
