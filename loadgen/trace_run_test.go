package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// traceGateway stands in for WaveLink's gateway: it answers trace calls at
// once with the headers and JSON the real one gives, one instance per
// function, and (given a connection) publishes each instance's start
// record the first time it serves.
type traceGateway struct {
	t  *testing.T
	nc *nats.Conn

	mu       sync.Mutex
	calls    []http.Header
	started  map[string]bool
	results  map[string]http.Header
	polls    map[string]int
	answered chan struct{}
}

func newTraceGateway(t *testing.T, nc *nats.Conn) (*traceGateway, string) {
	g := &traceGateway{t: t, nc: nc, started: map[string]bool{}, results: map[string]http.Header{}, polls: map[string]int{},
		answered: make(chan struct{}, 1000)}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv.URL
}

func (g *traceGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/functions/"):
		fn := strings.TrimPrefix(r.URL.Path, "/functions/")
		g.mu.Lock()
		g.calls = append(g.calls, r.Header.Clone())
		id := fmt.Sprintf("inv-%d", len(g.calls))
		g.mu.Unlock()
		h := g.answerHeaders(fn, r.Header)
		if r.Header.Get("Prefer") == "respond-async" {
			g.mu.Lock()
			g.results[id] = h
			g.mu.Unlock()
			w.Header().Set("Location", "/results/"+id)
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"invocation":"` + id + `"}`))
			return
		}
		g.answer(w, h)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/results/"):
		id := strings.TrimPrefix(r.URL.Path, "/results/")
		g.mu.Lock()
		h, ok := g.results[id]
		g.polls[id]++
		first := g.polls[id] == 1
		g.mu.Unlock()
		if !ok || first { // the first poll finds nothing yet
			http.Error(w, `{"error":"no result yet"}`, http.StatusNotFound)
			return
		}
		g.answer(w, h)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
	}
}

func (g *traceGateway) answerHeaders(fn string, req http.Header) http.Header {
	inst := "i-" + fn
	g.mu.Lock()
	first := !g.started[inst]
	g.started[inst] = true
	g.mu.Unlock()
	if first && g.nc != nil {
		b, _ := schemas.EncodeInstanceRecord(schemas.InstanceRecord{ID: inst, Function: fn, Track: TrackRegular, MemoryMB: 512,
			Started: time.Now(), Ready: time.Now()})
		_ = g.nc.Publish(streams.InstanceSubject(fn), b)
		_ = g.nc.Flush()
	}
	ms, _ := strconv.Atoi(req.Get(HeaderRequestedCPU))
	h := http.Header{}
	h.Set(HeaderTrack, TrackRegular)
	h.Set(HeaderInstance, inst)
	h.Set(HeaderOutcome, "ok")
	h.Set(HeaderRunTime, strconv.Itoa(ms*1000))
	h.Set("X-Memory", req.Get(HeaderRequestedMemory))
	return h
}

func (g *traceGateway) answer(w http.ResponseWriter, h http.Header) {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"Status":"OK","Function":"trace","ExecutionTime":1,"MemoryMB":` + h.Get("X-Memory") + `}`))
	g.answered <- struct{}{}
}

// traceDeployer records what it is asked to deploy.
type traceDeployer struct {
	mu    sync.Mutex
	specs []TraceFunctionSpec
}

func (d *traceDeployer) DeployTrace(_ context.Context, f TraceFunctionSpec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.specs = append(d.specs, f)
	return nil
}

func tinyPlan(t *testing.T, compress float64) *Plan {
	t.Helper()
	tr, err := ParseTrace(traceWrite(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := BuildPlan(tr, PlanOptions{Minutes: MinuteRange{0, 2}, Compress: compress, Seed: 9, Warmup: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A sync run deploys each function, sends each call with the trace
// headers, records every answer and instance, and writes the run folder.
func TestRunTraceWritesTheRunFolder(t *testing.T) {
	env := streamstest.Start(t)
	g, url := newTraceGateway(t, env.NC)
	d := &traceDeployer{}
	plan := tinyPlan(t, 600) // a minute lasts 100 ms
	out := filepath.Join(t.TempDir(), "run")
	sum, err := RunTrace(context.Background(), TraceRunConfig{Plan: plan, Gateway: url + "/", NATS: env.URL, Deployer: d,
		MemoryOverheadMB: 16, Concurrency: 3, MaxInstances: 7, Settle: time.Millisecond, Out: out, Meta: RunMeta{Mode: "wavelink"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.specs) != 2 || d.specs[0] != (TraceFunctionSpec{Name: "t-aaaa0000aaaa", MemoryMB: 33*3 + 16, Concurrency: 3, MaxInstances: 7,
		Timeout: 90 * time.Second}) || d.specs[1].Name != "t-bbbb1111bbbb" || d.specs[1].MemoryMB != 8*3+16 {
		t.Errorf("deployed %+v", d.specs)
	}
	if len(g.calls) != 7 || sum.Sent != 7 || sum.Planned != 7 || sum.NotSent != 0 {
		t.Fatalf("gateway saw %d calls; summary sent %d of %d, not sent %d", len(g.calls), sum.Sent, sum.Planned, sum.NotSent)
	}
	for _, h := range g.calls {
		if h.Get(HeaderTraceMode) != "sleep" || h.Get(HeaderRequestedCPU) == "" || h.Get(HeaderRequestedMemory) == "" || h.Get("Prefer") != "" {
			t.Errorf("call headers %v", h)
		}
	}
	// Minute 0 (the 30 s warm-up covers part of it) holds 3 calls.
	if sum.Warmup == 0 || sum.Warmup+sum.Measured != 7 || sum.Answered != sum.Measured || sum.Errors != 0 || sum.RegularShare != 1 {
		t.Errorf("summary %+v", sum)
	}
	if sum.Meta.Mode != "wavelink" || sum.Meta.TraceMode != "sleep" || sum.Meta.Invoke != "sync" || sum.Meta.Compress != 600 ||
		sum.Meta.MemoryColumn != MemoryColumn || len(sum.Meta.Functions) != 2 || sum.Meta.Interrupted || sum.Meta.Cores < 1 {
		t.Errorf("meta %+v", sum.Meta)
	}
	if sum.Cost.Instances != 2 || sum.Cost.AliveAtEnd != 2 || sum.Cost.CreationsByTrack[TrackRegular] != 2 || sum.Cost.AllocatedGBs <= 0 {
		t.Errorf("cost %+v", sum.Cost)
	}

	rows, err := ReadInvocationsCSV(filepath.Join(out, RunInvocationsFile))
	if err != nil || len(rows) != 7 {
		t.Fatalf("invocations.csv: %d rows, %v", len(rows), err)
	}
	cold := map[string]int{}
	for i, r := range rows {
		c := plan.Calls[i]
		if r.RequestedDurationUs != int64(c.RunMs)*1000 || r.ActualDurationUs != r.RequestedDurationUs || r.ActualMemoryMiB != int64(c.MemoryMB) ||
			r.InvocationID != c.InvocationID() || r.Instance != r.Function || r.WLInstance != "i-"+r.Function || !r.Answered() ||
			r.StartTimeUs <= 0 || r.DoneRelUs < r.SentRelUs || r.ResponseTimeUs != r.DoneRelUs-r.SentRelUs || r.ConnectionTimeout || r.FunctionTimeout {
			t.Errorf("row %d: %+v for call %+v", i, r, c)
		}
		if (r.Phase == PhaseWarmup) != c.Warmup {
			t.Errorf("row %d phase %d, call warm-up %v", i, r.Phase, c.Warmup)
		}
		if r.ColdStart {
			cold[r.WLInstance]++
		}
	}
	if len(cold) != 2 || cold["i-t-aaaa0000aaaa"] != 1 || cold["i-t-bbbb1111bbbb"] != 1 {
		t.Errorf("cold starts %v, want one per instance", cold)
	}
	inst, err := ReadInstancesCSV(filepath.Join(out, RunInstancesFile))
	if err != nil || len(inst) != 2 || !inst[0].Alive || inst[0].Served == 0 || inst[0].BusyUs == 0 {
		t.Errorf("instances.csv %+v, %v", inst, err)
	}
	var meta RunMeta
	b, err := os.ReadFile(filepath.Join(out, RunMetaFile))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta.Functions[0].Hash != "aaaa0000aaaa0000" || meta.StartedAt.IsZero() {
		t.Errorf("run.json %s, %v", b, err)
	}
	var again RunSummary
	b, err = os.ReadFile(filepath.Join(out, RunSummaryFile))
	if err != nil || json.Unmarshal(b, &again) != nil || again.Answered != sum.Answered || again.Slowdown.PerFunctionMedian.N != 2 {
		t.Errorf("summary.json %s, %v", b, err)
	}
}

// An async run submits with Prefer: respond-async and polls the result
// until it is there.
func TestRunTraceAsyncPollsForResults(t *testing.T) {
	g, url := newTraceGateway(t, nil)
	out := t.TempDir()
	sum, err := RunTrace(context.Background(), TraceRunConfig{Plan: tinyPlan(t, 600), Gateway: url, Async: true, Poll: time.Millisecond,
		Spin: true, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 7 || sum.Answered+sum.Warmup != 7 || sum.Errors != 0 || sum.Meta.Invoke != "async" || sum.Meta.TraceMode != "spin" {
		t.Fatalf("summary %+v", sum)
	}
	for _, h := range g.calls {
		if h.Get("Prefer") != "respond-async" || h.Get(HeaderTraceMode) != "spin" {
			t.Errorf("call headers %v", h)
		}
	}
	for id, n := range g.polls {
		if n != 2 {
			t.Errorf("result %s polled %d times, want 2 (first not there)", id, n)
		}
	}
	rows, err := ReadInvocationsCSV(filepath.Join(out, RunInvocationsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !r.Answered() || r.TimeToSubmitUs <= 0 || r.TimeToGetResponseUs <= 0 || r.UserCodeExecutionUs != r.RequestedDurationUs || r.Track != TrackRegular {
			t.Errorf("row %+v", r)
		}
	}
	if sum.Cost.Instances != 0 {
		t.Errorf("cost without NATS: %+v", sum.Cost)
	}
}

// A cancelled run (Ctrl-C) stops sending and writes what it has.
func TestRunTraceCancelledWritesWhatItHas(t *testing.T) {
	g, url := newTraceGateway(t, nil)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-g.answered // the first call has its answer
		cancel()
	}()
	// The first call is sent at once, the other two an hour later.
	plan := &Plan{Source: "test", Options: PlanOptions{Compress: 1, MaxRun: time.Second},
		Functions: []PlanFunction{{Name: "t-x", Hash: "x", MemoryMB: 1, Calls: 3}},
		Calls:     []TraceCall{{RunMs: 5, MemoryMB: 1}, {At: time.Hour, Index: 1, RunMs: 5, MemoryMB: 1}, {At: time.Hour, Index: 2, RunMs: 5, MemoryMB: 1}}}
	sum, err := RunTrace(ctx, TraceRunConfig{Plan: plan, Gateway: url, Out: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !sum.Meta.Interrupted || sum.NotSent != 2 || sum.Sent != 1 {
		t.Fatalf("summary: interrupted %v, sent %d, not sent %d", sum.Meta.Interrupted, sum.Sent, sum.NotSent)
	}
	rows, err := ReadInvocationsCSV(filepath.Join(out, RunInvocationsFile))
	if err != nil || len(rows) != sum.Sent {
		t.Fatalf("invocations.csv: %d rows, %v; sent %d", len(rows), err, sum.Sent)
	}
	for _, f := range []string{RunInstancesFile, RunSummaryFile, RunMetaFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestRunTraceRejectsBadConfigurations(t *testing.T) {
	p := tinyPlan(t, 600)
	for name, cfg := range map[string]TraceRunConfig{
		"no plan":          {Gateway: "http://127.0.0.1:1", Out: t.TempDir()},
		"empty plan":       {Plan: &Plan{}, Gateway: "http://127.0.0.1:1", Out: t.TempDir()},
		"bad gateway":      {Plan: p, Gateway: "127.0.0.1:8080", Out: t.TempDir()},
		"no run folder":    {Plan: p, Gateway: "http://127.0.0.1:1"},
		"negative workers": {Plan: p, Gateway: "http://127.0.0.1:1", Out: t.TempDir(), Concurrency: -1},
	} {
		if _, err := RunTrace(context.Background(), cfg); !errors.Is(err, ErrBadTraceRun) {
			t.Errorf("%s: %v, want ErrBadTraceRun", name, err)
		}
	}
}

// A failed invocation is recorded with the loader's timeout flags: no
// answer at all is a connection timeout, an error answer a function
// timeout.
func TestRunTraceRecordsFailures(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k%2 == 0 {
			http.Error(w, `{"error":"function \"x\" crashed before answering"}`, http.StatusBadGateway)
			return
		}
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		_ = c.Close() // no answer at all
	}))
	defer srv.Close()
	out := t.TempDir()
	sum, err := RunTrace(context.Background(), TraceRunConfig{Plan: tinyPlan(t, 600), Gateway: srv.URL, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Answered != 0 || sum.Errors != sum.Measured || sum.WarmupErrors != sum.Warmup {
		t.Fatalf("summary %+v", sum)
	}
	rows, err := ReadInvocationsCSV(filepath.Join(out, RunInvocationsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch {
		case r.Status == http.StatusBadGateway:
			if !r.FunctionTimeout || r.ConnectionTimeout || !strings.Contains(r.Error, "crashed") {
				t.Errorf("error answer row %+v", r)
			}
		case r.Status == 0:
			if !r.ConnectionTimeout || r.FunctionTimeout || r.Error == "" {
				t.Errorf("no answer row %+v", r)
			}
		default:
			t.Errorf("row %+v", r)
		}
	}
}
