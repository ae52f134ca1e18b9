package builtin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/instance/builtin"
)

func TestParseTraceParams(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    builtin.TraceParams
		wantErr string // a header name the error must mention; "" for success
	}{
		{"none", nil, builtin.TraceParams{Mode: builtin.ModeSpin}, ""},
		{"all", map[string]string{"requested_cpu": "250", "requested_memory": "16", "x-trace-mode": "sleep"},
			builtin.TraceParams{RequestedMs: 250, MemoryMB: 16, Mode: builtin.ModeSleep}, ""},
		{"spin named", map[string]string{"X-Trace-Mode": "SPIN"}, builtin.TraceParams{Mode: builtin.ModeSpin}, ""},
		{"upper-case keys", map[string]string{"REQUESTED_CPU": "5"}, builtin.TraceParams{RequestedMs: 5, Mode: builtin.ModeSpin}, ""},
		{"spaces", map[string]string{"requested_cpu": " 7 "}, builtin.TraceParams{RequestedMs: 7, Mode: builtin.ModeSpin}, ""},
		{"limits", map[string]string{"requested_cpu": "900000", "requested_memory": "65536"},
			builtin.TraceParams{RequestedMs: 900000, MemoryMB: 65536, Mode: builtin.ModeSpin}, ""},
		{"negative cpu", map[string]string{"requested_cpu": "-1"}, builtin.TraceParams{}, "requested_cpu"},
		{"text cpu", map[string]string{"requested_cpu": "ten"}, builtin.TraceParams{}, "requested_cpu"},
		{"fraction cpu", map[string]string{"requested_cpu": "1.5"}, builtin.TraceParams{}, "requested_cpu"},
		{"cpu above 15 minutes", map[string]string{"requested_cpu": "900001"}, builtin.TraceParams{}, "requested_cpu"},
		{"negative memory", map[string]string{"requested_memory": "-5"}, builtin.TraceParams{}, "requested_memory"},
		{"memory above 64 GiB", map[string]string{"requested_memory": "65537"}, builtin.TraceParams{}, "requested_memory"},
		{"text memory", map[string]string{"requested_memory": "lots"}, builtin.TraceParams{}, "requested_memory"},
		{"unknown mode", map[string]string{"x-trace-mode": "dance"}, builtin.TraceParams{}, "x-trace-mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			got, err := builtin.ParseTraceParams(h)
			if tc.wantErr != "" {
				if !errors.Is(err, builtin.ErrBadTraceParam) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrBadTraceParam naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// steppingClock advances by step on every reading.
type steppingClock struct {
	now  time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.now = c.now.Add(c.step)
	return c.now
}

func serveTrace(t *testing.T, tr *builtin.Trace, ctx context.Context, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", nil).WithContext(ctx)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.ServeHTTP(w, r)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("trace did not answer within 10s")
	}
	return w
}

func decodeTrace(t *testing.T, w *httptest.ResponseRecorder) builtin.TraceReply {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var rep builtin.TraceReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %q: %v", w.Body.String(), err)
	}
	return rep
}

func TestTraceSpinWithSteppedClock(t *testing.T) {
	clock := &steppingClock{now: time.Unix(1000, 0), step: time.Millisecond}
	tr := &builtin.Trace{MachineName: "node-a", Now: clock.Now}
	rep := decodeTrace(t, serveTrace(t, tr, context.Background(), map[string]string{
		"requested_cpu": "5", "requested_memory": "2",
	}))
	// One reading starts the run, five readings step to the deadline, and
	// the last one measures it: six milliseconds of clock.
	want := builtin.TraceReply{Status: "OK", Function: "trace", MachineName: "node-a",
		ExecutionTime: 6000, RequestedMs: 5, MemoryMB: 2, Mode: builtin.ModeSpin}
	if rep != want {
		t.Fatalf("reply %+v, want %+v", rep, want)
	}
}

func TestTraceSleepsAtLeastTheRunTime(t *testing.T) {
	tr := &builtin.Trace{MachineName: "node-b"}
	rep := decodeTrace(t, serveTrace(t, tr, context.Background(), map[string]string{
		"requested_cpu": "20", "x-trace-mode": "sleep",
	}))
	if rep.Mode != builtin.ModeSleep || rep.RequestedMs != 20 || rep.MachineName != "node-b" {
		t.Fatalf("reply %+v", rep)
	}
	if rep.ExecutionTime < 20000 {
		t.Fatalf("ExecutionTime %dµs is shorter than the 20ms asked for", rep.ExecutionTime)
	}
}

func TestTraceHonoursCancellation(t *testing.T) {
	for _, mode := range []string{"spin", "sleep"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			defer cancel()
			w := serveTrace(t, &builtin.Trace{}, ctx, map[string]string{
				"requested_cpu": "600000", "x-trace-mode": mode,
			})
			if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "cancelled") {
				t.Fatalf("status %d body %q, want 503 naming the cancellation", w.Code, w.Body.String())
			}
		})
	}
}

func TestTraceRejectsBadHeaders(t *testing.T) {
	tests := []struct{ header, value string }{
		{"requested_cpu", "-3"},
		{"requested_cpu", "soon"},
		{"requested_cpu", "900001"},
		{"requested_memory", "65537"},
		{"requested_memory", "-1"},
		{"x-trace-mode", "nap"},
	}
	for _, tc := range tests {
		t.Run(tc.header+"="+tc.value, func(t *testing.T) {
			w := serveTrace(t, &builtin.Trace{}, context.Background(), map[string]string{tc.header: tc.value})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.header) {
				t.Fatalf("status %d body %q, want 400 naming %s", w.Code, w.Body.String(), tc.header)
			}
		})
	}
}
