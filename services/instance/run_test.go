package instance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/instance/builtin"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

func echoSpec(name string) registry.Spec {
	return registry.Spec{Name: name, Package: registry.Package{Builtin: "echo"}, Concurrency: 4, Timeout: registry.Duration(5 * time.Second)}
}

func TestSyncEchoReplies(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	done := subscribeDone(t, e, "echo")
	startRun(t, e, Config{Function: "echo", ID: "inst-a", Track: TrackRegular})

	c := newCaller(t, e)
	publish(t, e, invocation("echo", "inv-1", []byte("hello"), nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	want := schemas.Result{InvocationID: "inv-1", Function: "echo", Outcome: schemas.OutcomeOK, Status: 200,
		Instance: "inst-a", Track: TrackRegular, Attempt: 1, ContentType: "text/plain"}
	if got := comparable(res); !reflect.DeepEqual(got, want) {
		t.Errorf("result %+v\nwant   %+v", got, want)
	}
	if string(res.Data) != "hello" {
		t.Errorf("data %q, want hello", res.Data)
	}
	note, noteMsg := nextCompletion(t, done)
	if note.InvocationID != "inv-1" || note.Outcome != schemas.OutcomeOK || len(noteMsg.Data) != 0 {
		t.Errorf("completion %+v with %d bytes of data", comparable(note), len(noteMsg.Data))
	}
	if len(noteMsg.Header) > 4 {
		t.Errorf("completion carries %d headers, want the short form: %v", len(noteMsg.Header), noteMsg.Header)
	}
	eventually(t, "acked", func() bool { return invokeQueued(t, e, "echo") == 0 })
}

// comparable is a result without its data, time and duration.
func comparable(r schemas.Result) schemas.Result {
	r.Data, r.Time, r.Duration = nil, time.Time{}, 0
	return r
}

func TestAsyncResultLandsInWLResult(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	done := subscribeDone(t, e, "echo")
	startRun(t, e, Config{Function: "echo", Track: TrackEmergency})

	id := "async/1 with spaces" // not a subject token: the result subject escapes it
	publish(t, e, invocation("echo", id, []byte(`{"n":1}`), nil, ""))
	note, _ := nextCompletion(t, done)
	if note.InvocationID != id {
		t.Fatalf("completion for %q, want %q", note.InvocationID, id)
	}
	res, m := storedResult(t, e, id)
	if res.Outcome != schemas.OutcomeOK || string(res.Data) != `{"n":1}` || res.Track != TrackEmergency {
		t.Errorf("stored result %+v data %q", comparable(res), res.Data)
	}
	if got := m.Header.Get(streams.HeaderMsgID); got != id {
		t.Errorf("Nats-Msg-Id %q, want %q", got, id)
	}
	eventually(t, "acked", func() bool { return invokeQueued(t, e, "echo") == 0 })
}

// tracker wraps a handler and records how many calls run at once and in
// what order calls start and end. With gate set, calls wait for it to be
// closed before they go on to the handler.
type tracker struct {
	next http.Handler
	gate chan struct{}

	mu       sync.Mutex
	running  int
	maxSeen  int
	events   []string
	starting atomic.Int64
}

func (tr *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tr.mu.Lock()
	tr.running++
	tr.maxSeen = max(tr.maxSeen, tr.running)
	tr.events = append(tr.events, "start")
	tr.mu.Unlock()
	tr.starting.Add(1)
	defer func() {
		tr.mu.Lock()
		tr.running--
		tr.events = append(tr.events, "end")
		tr.mu.Unlock()
	}()
	if tr.gate != nil {
		select {
		case <-tr.gate:
		case <-r.Context().Done():
			return
		}
	}
	tr.next.ServeHTTP(w, r)
}

func TestConcurrencyLimitMakesTwoRounds(t *testing.T) {
	const n = 3
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "trace", Package: registry.Package{Builtin: "trace"}, Concurrency: n, Timeout: registry.Duration(5 * time.Second)})
	h, _ := builtin.Lookup("trace")
	tr := &tracker{next: h, gate: make(chan struct{})}
	done := subscribeDone(t, e, "trace")
	startRuntime(t, e, spec, &handlerFunction{name: "trace", handler: tr})

	for i := range n + 1 {
		publish(t, e, invocation("trace", fmt.Sprintf("c-%d", i), nil,
			map[string]string{builtin.HeaderRequestedCPU: "200", builtin.HeaderTraceMode: "sleep"}, ""))
	}
	// The first n calls are held at the gate, however slowly they arrive;
	// the last must not start while they run.
	eventually(t, "the first round running", func() bool { return tr.starting.Load() == n })
	time.Sleep(100 * time.Millisecond)
	if got := tr.starting.Load(); got != n {
		t.Errorf("%d calls started while %d ran, want %d", got, n, n)
	}
	close(tr.gate)
	for range n + 1 {
		if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeOK {
			t.Fatalf("completion %+v", comparable(note))
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.maxSeen != n {
		t.Errorf("%d calls ran at once, want the concurrency %d", tr.maxSeen, n)
	}
	// Two rounds: the first n calls start before any ends, and the last
	// starts only after one has ended.
	starts, firstEnd, lastStart := 0, -1, -1
	for i, ev := range tr.events {
		if ev == "start" {
			starts++
			lastStart = i
		} else if firstEnd < 0 {
			firstEnd = i
		}
	}
	if starts != n+1 || lastStart < firstEnd {
		t.Errorf("events %v: want %d starts, the last after the first end", tr.events, n+1)
	}
}

func TestFailingFunctionIsRetriedThenDeadLettered(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "bad", Package: registry.Package{Builtin: "echo"}, MaxDeliver: 3, Timeout: registry.Duration(5 * time.Second)})
	var calls atomic.Int64
	fn := handlerFn("bad", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("  boom:\nthe disk\tis full  " + strings.Repeat("x", 2000)))
	})
	done := subscribeDone(t, e, "bad")
	startRuntime(t, e, spec, fn)

	c := newCaller(t, e)
	publish(t, e, invocation("bad", "will-fail", []byte("in"), nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	if res.Outcome != schemas.OutcomeError || res.Status != 500 || res.Attempt != 3 {
		t.Errorf("result %+v, want outcome error, status 500, attempt 3", comparable(res))
	}
	wantPrefix := "function answered 500: boom: the disk is full xxx"
	if !strings.HasPrefix(res.Error, wantPrefix) || len(res.Error) > len("function answered 500: ")+1024 {
		t.Errorf("error %q (%d bytes): want it to start %q and hold at most 1 KiB of the body", res.Error, len(res.Error), wantPrefix)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("function called %d times, want MaxDeliver = 3", got)
	}
	if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeError {
		t.Errorf("completion %+v", comparable(note))
	}
	if err := noMore(c.sub); err != nil {
		t.Errorf("the caller got more than one answer: %v", err)
	}
	dl := deadLetter(t, e, "bad")
	if got := dl.Header.Get(streams.HeaderLastError); got != res.Error {
		t.Errorf("dead letter's last error %q, want the result's %q", got, res.Error)
	}
	if got := dl.Header.Get(streams.HeaderDeliveries); got != "3" {
		t.Errorf("dead letter's deliveries %q, want 3", got)
	}
	if !bytes.Equal(dl.Data, []byte("in")) || dl.Header.Get(schemas.HeaderID) != "will-fail" {
		t.Errorf("dead letter %q %v is not the invocation", dl.Data, dl.Header)
	}
	eventually(t, "removed from WL_INVOKE", func() bool { return invokeQueued(t, e, "bad") == 0 })
}

func TestPanickingFunctionIsACrash(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "panicky", Package: registry.Package{Builtin: "echo"}, MaxDeliver: 2, Timeout: registry.Duration(5 * time.Second)})
	var calls atomic.Int64
	startRuntime(t, e, spec, handlerFn("panicky", func(http.ResponseWriter, *http.Request) {
		calls.Add(1)
		panic("kaput")
	}))
	c := newCaller(t, e)
	publish(t, e, invocation("panicky", "p-1", nil, nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	if res.Outcome != schemas.OutcomeCrash || res.Status != 0 || !strings.Contains(res.Error, "kaput") || res.Attempt != 2 {
		t.Errorf("result %+v, want a crash naming the panic on attempt 2", comparable(res))
	}
	if calls.Load() != 2 {
		t.Errorf("called %d times, want 2", calls.Load())
	}
}

func TestTimeoutTerminates(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "slow", Package: registry.Package{Builtin: "trace"}, MaxDeliver: 3, Timeout: registry.Duration(300 * time.Millisecond)})
	done := subscribeDone(t, e, "slow")
	startRun(t, e, Config{Function: "slow"})

	c := newCaller(t, e)
	publish(t, e, invocation("slow", "t-1", nil,
		map[string]string{builtin.HeaderRequestedCPU: "20000", builtin.HeaderTraceMode: "sleep"}, c.inbox))
	res, _ := nextResult(t, c.sub)
	want := schemas.Result{InvocationID: "t-1", Function: "slow", Outcome: schemas.OutcomeTimeout,
		Error: "timed out after 300ms", Instance: "test-1", Track: TrackRegular, Attempt: 1}
	if got := comparable(res); !reflect.DeepEqual(got, want) {
		t.Errorf("result %+v\nwant   %+v", got, want)
	}
	if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeTimeout {
		t.Errorf("completion %+v", comparable(note))
	}
	if got := deadLetter(t, e, "slow").Header.Get(streams.HeaderLastError); got != "timed out after 300ms" {
		t.Errorf("dead letter's last error %q", got)
	}
	eventually(t, "removed from WL_INVOKE", func() bool { return invokeQueued(t, e, "slow") == 0 })
	if info := consumerInfo(t, e, "slow"); info.NumRedelivered != 0 {
		t.Errorf("%d redelivered after a timeout, want 0", info.NumRedelivered)
	}
}

func TestCancelFinishesHeldInvocations(t *testing.T) {
	const n = 4
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "work", Package: registry.Package{Builtin: "trace"}, Concurrency: n, Timeout: registry.Duration(5 * time.Second)})
	h, _ := builtin.Lookup("trace")
	tr := &tracker{next: h}
	inst := startRuntime(t, e, spec, &handlerFunction{name: "trace", handler: tr})

	for i := range n {
		publish(t, e, invocation("work", fmt.Sprintf("w-%d", i), nil,
			map[string]string{builtin.HeaderRequestedCPU: "300", builtin.HeaderTraceMode: "sleep"}, ""))
	}
	// Wait until the instance holds them all: the server counts an
	// invocation as delivered (and ack-pending) before it reaches the
	// instance, and one still on its way when the instance unsubscribes
	// comes back only after the ack wait.
	eventually(t, "all held", func() bool { return tr.starting.Load() == n })
	if err := inst.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i := range n { // stored before Run returned
		if res, _ := storedResult(t, e, fmt.Sprintf("w-%d", i)); res.Outcome != schemas.OutcomeOK {
			t.Errorf("result %+v", comparable(res))
		}
	}
	eventually(t, "all acked", func() bool {
		info := consumerInfo(t, e, "work")
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	if info := consumerInfo(t, e, "work"); info.NumRedelivered != 0 {
		t.Errorf("%d redelivered", info.NumRedelivered)
	}
	if got := invokeQueued(t, e, "work"); got != 0 {
		t.Errorf("%d invocations left in WL_INVOKE", got)
	}
}

func TestUndecodableMessageIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	done := subscribeDone(t, e, "echo")
	startRun(t, e, Config{Function: "echo"})

	c := newCaller(t, e)
	msg := nats.NewMsg(streams.InvokeSubject("echo"))
	msg.Header.Set("Ce-Id", "broken-1")
	msg.Header.Set("ce-specversion", "0.3")
	msg.Header.Set("wl-reply", c.inbox)
	msg.Data = []byte("garbage")
	publish(t, e, msg)

	res, _ := nextResult(t, c.sub)
	if res.Outcome != schemas.OutcomeError || res.InvocationID != "broken-1" ||
		!strings.Contains(res.Error, "undecodable") || !strings.Contains(res.Error, "specversion") {
		t.Errorf("answer %+v: want an error naming specversion", comparable(res))
	}
	if note, _ := nextCompletion(t, done); note.InvocationID != "broken-1" {
		t.Errorf("completion %+v", comparable(note))
	}
	dl := deadLetter(t, e, "echo")
	if got := dl.Header.Get(streams.HeaderLastError); got != res.Error {
		t.Errorf("dead letter's last error %q, want %q", got, res.Error)
	}
	if string(dl.Data) != "garbage" || dl.Header.Get(streams.HeaderReply) != "" {
		t.Errorf("dead letter %q %v", dl.Data, dl.Header)
	}
	eventually(t, "removed from WL_INVOKE", func() bool { return invokeQueued(t, e, "echo") == 0 })
}

// An emergency instance takes what waits when it starts; after that, a
// regular instance with a pull waiting is served first.
func TestEmergencyDefersToRegular(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	publish(t, e, invocation("echo", "w-0", nil, nil, ""))
	publish(t, e, invocation("echo", "w-1", nil, nil, ""))
	startRun(t, e, Config{Function: "echo", ID: "em-1", Track: TrackEmergency})
	for _, id := range []string{"w-0", "w-1"} {
		res := awaitResult(t, e, id)
		if res.Instance != "em-1" {
			t.Fatalf("waiting invocation %s served by %s, want the emergency instance started for it", id, res.Instance)
		}
	}
	startRun(t, e, Config{Function: "echo", ID: "reg-1", Track: TrackRegular})
	eventually(t, "both instances pulling", func() bool { return consumerInfo(t, e, "echo").NumWaiting == 2 })
	for i := range 10 {
		id := fmt.Sprintf("r-%d", i)
		publish(t, e, invocation("echo", id, nil, nil, ""))
		if res := awaitResult(t, e, id); res.Instance != "reg-1" {
			t.Fatalf("%s served by %s while the regular instance had free slots", id, res.Instance)
		}
	}
}

// Alone, an emergency instance serves each invocation as it comes.
func TestEmergencyAloneServes(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	startRun(t, e, Config{Function: "echo", ID: "em-1", Track: TrackEmergency})
	for _, id := range []string{"lone-1", "lone-2"} {
		publish(t, e, invocation("echo", id, nil, nil, ""))
		if res := awaitResult(t, e, id); res.Instance != "em-1" {
			t.Fatalf("served by %s", res.Instance)
		}
	}
}

func TestRunRejectsBadSetup(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"invalid config", Config{Function: "Echo!", ID: "x", Track: TrackRegular}, ErrInvalidConfig},
		{"not deployed", Config{Function: "ghost", ID: "x", Track: TrackRegular}, registry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Run(testCtx(t), e.NC, e.JS, tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Run: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("no connection", func(t *testing.T) {
		err := Run(testCtx(t), nil, nil, Config{Function: "echo", ID: "x", Track: TrackRegular})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("Run: %v", err)
		}
	})
}

// The consumer's ack wait is cut to 300ms here, well below the calls' 700ms:
// only the runtime's InProgress while a call runs keeps the server from
// redelivering.
func TestInProgressKeepsLongInvocations(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "long", Package: registry.Package{Builtin: "echo"}, Concurrency: 1, Timeout: registry.Duration(5 * time.Second)})
	shortenAckWait(t, e, spec, ackWait)
	var calls atomic.Int64
	fn := handlerFn("long", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(700 * time.Millisecond)
	})
	done := subscribeDone(t, e, "long")
	startRuntime(t, e, spec, fn, func(r *runtime) { r.progress = progressInterval(ackWait) })

	publish(t, e, invocation("long", "l-1", nil, nil, ""))
	publish(t, e, invocation("long", "l-2", nil, nil, ""))
	for range 2 {
		if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeOK {
			t.Fatalf("completion %+v", comparable(note))
		}
	}
	if err := noMore(done); err != nil {
		t.Errorf("a redelivery ran again: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("%d calls for 2 invocations", got)
	}
	if info := consumerInfo(t, e, "long"); info.NumRedelivered != 0 {
		t.Errorf("%d redelivered while in progress", info.NumRedelivered)
	}
}

// slowStore delays every JetStream publish of the runtime (results and dead
// letters), as a busy server would.
type slowStore struct {
	jetstream.JetStream
	delay time.Duration
}

func (s slowStore) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	time.Sleep(s.delay)
	return s.JetStream.PublishMsg(ctx, m, opts...)
}

// Storing the result here takes 700ms, well past the 300ms ack wait: the
// runtime must keep telling the server the invocation is in progress until
// it is settled, or the server hands it out again and it runs twice.
func TestInProgressUntilTheResultIsStored(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "slowstore", Package: registry.Package{Builtin: "echo"}, Concurrency: 2, Timeout: registry.Duration(5 * time.Second)})
	shortenAckWait(t, e, spec, ackWait)
	var calls atomic.Int64
	fn := handlerFn("slowstore", func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	done := subscribeDone(t, e, "slowstore")
	startRuntime(t, e, spec, fn, func(r *runtime) {
		r.progress = progressInterval(ackWait)
		r.js = slowStore{JetStream: r.js, delay: 700 * time.Millisecond}
	})

	publish(t, e, invocation("slowstore", "s-1", nil, nil, ""))
	if note, _ := nextCompletion(t, done); note.Outcome != schemas.OutcomeOK {
		t.Fatalf("completion %+v", comparable(note))
	}
	if err := noMore(done); err != nil {
		t.Errorf("a redelivery ran again: %v", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("%d calls for 1 invocation", got)
	}
	if info := consumerInfo(t, e, "slowstore"); info.NumRedelivered != 0 {
		t.Errorf("%d redelivered while its result was being stored", info.NumRedelivered)
	}
}

func TestAnswerLimit(t *testing.T) {
	tests := []struct {
		name       string
		maxPayload int64
		want       int
	}{
		{"default server", 8 << 20, 8<<20 - resultHeadroom},
		{"tiny server", 1 << 10, 1 << 10},
		// A server allowing 64 MB messages must not let an answer cut at
		// the read limit pass for a whole one.
		{"above the read limit", 64 << 20, maxAnswerRead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := answerLimit(tc.maxPayload); got != tc.want {
				t.Fatalf("answerLimit(%d) = %d, want %d", tc.maxPayload, got, tc.want)
			}
		})
	}
	cut := attempt{status: 200, body: make([]byte, maxAnswerRead+1), maxAnswer: answerLimit(64 << 20)}
	if d := decide(cut, 1, 1); d.settle != settleTerm || d.outcome != schemas.OutcomeError {
		t.Fatalf("an answer cut at the read limit: %+v, want an error", d)
	}
}

// When the consume loop ends by itself (here its connection is closed; a
// pull the server refuses ends it too), the instance can take no more work
// and must say so, not wait for its context.
func TestInstanceEndsWhenConsumingStops(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy(t, echoSpec("echo"))
	nc, err := e.Server.Connect("instance")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := streams.FunctionConsumer(testCtx(t), js, "echo")
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	log, _ := testLogger(t)
	inst := startWith(t, func(ctx context.Context, ready func()) error {
		cfg := Config{Function: "echo", ID: "test-1", Track: TrackRegular, Logger: log, Ready: ready}
		return newRuntime(nc, js, spec, cfg, handlerFn("echo", func(http.ResponseWriter, *http.Request) {}), log).serve(ctx, cons)
	})
	nc.Close()
	if err := inst.wait(t); !errors.Is(err, ErrConsumer) {
		t.Fatalf("serve: %v, want ErrConsumer", err)
	}
}

// A saturated instance must not hold invocations it has no slot for: their
// ack wait would run out unrenewed and the server would hand them out again,
// to run twice. Calls here outlast the ack wait (as calls of functions with
// timeouts past the 30 s cap do), and eight invocations queue for two slots.
func TestSaturatedInstanceRunsEachInvocationOnce(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "trace", Package: registry.Package{Builtin: "trace"}, Concurrency: 2, Timeout: registry.Duration(3 * time.Second)})
	// Shorten the ack wait below the calls' run time, as the cap does for
	// long timeouts; running calls keep it renewed every 150 ms.
	shortenAckWait(t, e, spec, 500*time.Millisecond)
	done := subscribeDone(t, e, "trace")
	h, _ := builtin.Lookup("trace")
	startRuntime(t, e, spec, &handlerFunction{name: "trace", handler: h}, func(r *runtime) { r.progress = 150 * time.Millisecond })
	const n = 8
	for i := range n {
		publish(t, e, invocation("trace", fmt.Sprintf("s-%d", i), nil,
			map[string]string{builtin.HeaderRequestedCPU: "700", builtin.HeaderTraceMode: "sleep"}, ""))
	}
	runs := map[string]int{}
	for range n {
		note, _ := nextCompletion(t, done)
		if note.Outcome != schemas.OutcomeOK {
			t.Fatalf("completion %+v", comparable(note))
		}
		runs[note.InvocationID]++
	}
	// Anything redelivered would complete again within another call.
	if m, err := done.NextMsg(time.Second); err == nil {
		t.Fatalf("an invocation ran twice: %v (completions so far %v)", m.Header, runs)
	}
	if len(runs) != n {
		t.Fatalf("completions %v: want each of %d invocations once", runs, n)
	}
	if info := consumerInfo(t, e, "trace"); info.NumRedelivered != 0 {
		t.Fatalf("%d invocations were redelivered", info.NumRedelivered)
	}
}

// The consumer allows one delivery beyond the spec's maxDeliver: when the
// last allowed delivery got no answer (its instance died), the extra one
// dead-letters the invocation without running it again.
func TestDeliveryBeyondTheLimitIsDeadLetteredUnrun(t *testing.T) {
	e := newEnv(t)
	// A 200 ms timeout gives a 1.2 s ack wait.
	spec := e.deploy(t, registry.Spec{Name: "once", Package: registry.Package{Builtin: "echo"}, MaxDeliver: 1, Timeout: registry.Duration(200 * time.Millisecond)})
	publish(t, e, invocation("once", "lost-once", []byte("x"), nil, ""))
	// An instance takes the only allowed delivery and dies without a word.
	cons, err := streams.FunctionConsumer(testCtx(t), e.JS, "once")
	if err != nil {
		t.Fatal(err)
	}
	b, err := cons.Fetch(1, jetstream.FetchPriorityGroup(streams.PriorityGroup))
	if err != nil {
		t.Fatal(err)
	}
	for range b.Messages() {
	}
	var calls atomic.Int32
	startRuntime(t, e, spec, handlerFn("once", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte("ran"))
	}))
	eventually(t, "dead-lettered", func() bool { return invokeQueued(t, e, "once") == 0 })
	res, _ := storedResult(t, e, "lost-once")
	if res.Outcome != schemas.OutcomeCrash || !strings.Contains(res.Error, "no answer from delivery 1 of 1") {
		t.Fatalf("result %+v: want a crash naming the unanswered delivery", comparable(res))
	}
	if dl := deadLetter(t, e, "once"); dl.Header.Get(streams.HeaderLastError) != res.Error {
		t.Fatalf("dead letter's error %q, want %q", dl.Header.Get(streams.HeaderLastError), res.Error)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the function ran %d times on the extra delivery, want 0", n)
	}
}
