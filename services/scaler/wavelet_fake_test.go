package scaler

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// fakeWavelet answers burst requests on one node's subject as answer says,
// and records them.
type fakeWavelet struct {
	node   string
	answer func(req schemas.BurstRequest) (accepted int, refused string)
	mu     sync.Mutex
	reqs   []schemas.BurstRequest
	got    chan schemas.BurstRequest
}

// acceptAll accepts every instance asked for.
func acceptAll(req schemas.BurstRequest) (int, string) { return req.Count, "" }

// refuseAll accepts none.
func refuseAll(schemas.BurstRequest) (int, string) { return 0, "no free slots" }

// wavelet starts a fake Wavelet for node on the harness's server. It stops
// when the test ends.
func (h *harness) wavelet(node string, answer func(schemas.BurstRequest) (int, string)) *fakeWavelet {
	h.t.Helper()
	w := &fakeWavelet{node: node, answer: answer, got: make(chan schemas.BurstRequest, 1024)}
	sub, err := h.env.NC.Subscribe(streams.BurstSubject(node), func(m *nats.Msg) {
		req, err := schemas.DecodeBurstNATS(m.Header, m.Data)
		if err != nil {
			h.t.Errorf("fake Wavelet %s: bad burst request: %v", node, err)
			return
		}
		n, why := w.answer(req)
		b, err := schemas.EncodeBurstReply(schemas.BurstReply{Node: node, Function: req.Function, Accepted: n, Refused: why})
		if err != nil {
			h.t.Errorf("fake Wavelet %s: %v", node, err)
			return
		}
		w.mu.Lock()
		w.reqs = append(w.reqs, req)
		w.mu.Unlock()
		_ = m.Respond(b)
		w.got <- req
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = sub.Unsubscribe() })
	return w
}

// requests returns the burst requests received so far.
func (w *fakeWavelet) requests() []schemas.BurstRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]schemas.BurstRequest(nil), w.reqs...)
}

// asked is how many instances of fn were asked for so far.
func (w *fakeWavelet) asked(fn string) int {
	n := 0
	for _, r := range w.requests() {
		if r.Function == fn {
			n += r.Count
		}
	}
	return n
}

// await waits for the next burst request.
func (w *fakeWavelet) await(t *testing.T) schemas.BurstRequest {
	t.Helper()
	select {
	case r := <-w.got:
		return r
	case <-time.After(wait):
		t.Fatalf("no burst request on %s within %s", w.node, wait)
		return schemas.BurstRequest{}
	}
}

// status is a node status with free slots and memory and the given pool.
func status(node string, at time.Time, slots, memMB int, running, pool map[string]int) schemas.NodeStatus {
	return schemas.NodeStatus{
		Node: node, Time: at.UTC(), Mode: schemas.ModeProcess,
		Slots:    schemas.Capacity{Total: slots, Free: slots},
		MemoryMB: schemas.Capacity{Total: memMB, Free: memMB},
		Running:  running, Pool: pool,
	}
}

// putStatus writes a node status into wl_nodes, as a Wavelet does, and
// waits until s has it.
func (h *harness) putStatus(s *Scaler, st schemas.NodeStatus) {
	h.t.Helper()
	kv, err := h.env.JS.KeyValue(h.ctx, streams.BucketNodes)
	if err != nil {
		h.t.Fatal(err)
	}
	h.statusSeq++
	b, err := schemas.EncodeNodeStatusJSON("/wavelet/"+st.Node, st.Node+"-"+strconv.Itoa(h.statusSeq), st)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := kv.Put(h.ctx, st.Node, b); err != nil {
		h.t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for {
		s.fleet.mu.Lock()
		v := s.fleet.nodes[st.Node]
		seen := v != nil && reflect.DeepEqual(v.status, st)
		s.fleet.mu.Unlock()
		if seen {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the scaler did not see the status of %s within %s", st.Node, wait)
		}
		time.Sleep(time.Millisecond)
	}
}

// awaitMetric waits until a counter of fn reaches want.
func (h *harness) awaitMetric(name, fn string, want float64) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if got, _ := metricValue(h.t, h.prom, name, fn); got >= want {
			return
		}
		if time.Now().After(deadline) {
			got, _ := metricValue(h.t, h.prom, name, fn)
			h.t.Fatalf("%s{function=%q} is %v, want %v within %s", name, fn, got, want, wait)
		}
		time.Sleep(time.Millisecond)
	}
}

// burstConfig is a config for a mode with an expedited track, whose node
// statuses do not expire while the fake clock steps.
func (h *harness) burstConfig(mode Mode) Config {
	cfg := h.config()
	cfg.Mode = mode
	cfg.NodeTTL = 24 * time.Hour
	return cfg
}

// logBuffer is a log destination several goroutines may write at once.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// awaitQueued waits until fn's consumer reports n invocations queued or in
// flight. The server updates a consumer's pending count a little after it
// stores a message, so a test that ticks right after publishing waits for
// it first.
func (h *harness) awaitQueued(fn string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		c, err := streams.FunctionConsumer(h.ctx, h.env.JS, fn)
		if err != nil {
			h.t.Fatal(err)
		}
		info, err := c.Info(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		got := int(info.NumPending) + info.NumAckPending
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s's consumer reports %d queued or in flight, want %d within %s", fn, got, n, wait)
		}
		time.Sleep(time.Millisecond)
	}
}
