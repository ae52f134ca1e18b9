package builtin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"time"
)

// TraceReply is trace's answer. Status, Function, MachineName and
// ExecutionTime are the fields the vHive loader reads.
type TraceReply struct {
	Status      string
	Function    string
	MachineName string
	// ExecutionTime is the time actually spent, in microseconds.
	ExecutionTime int64
	RequestedMs   int64
	MemoryMB      int64
	Mode          Mode
}

// Trace spins the CPU (or sleeps) for the requested run time while holding
// the requested memory, then answers a TraceReply in JSON. Bad parameters
// are answered with 400 naming the header; a cancelled request with 503.
//
// The memory a call holds is resident: written page by page the first time.
// A Trace keeps each buffer for its next calls, as a warm function keeps its
// heap, so an instance faults its memory in once rather than on every call
// (which, at a trace's rate, would cost a small machine more CPU than the
// runs themselves). It keeps at most as many buffers as it ran calls at
// once.
type Trace struct {
	// MachineName is reported in every reply.
	MachineName string
	// Now reads the clock that measures the run; nil means time.Now.
	Now func() time.Time

	mem heldMemory
}

// ServeHTTP implements the trace function.
func (t *Trace) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := t.Now
	if now == nil {
		now = time.Now
	}
	p, err := ParseTraceParams(r.Header)
	if err != nil {
		http.Error(w, "trace: "+err.Error(), http.StatusBadRequest)
		return
	}
	start := now()
	mem := t.mem.take(p.MemoryMB)
	err = work(r.Context(), p, start, now)
	spent := now().Sub(start)
	t.mem.give(mem) // the memory is held until the run is over
	if err != nil {
		http.Error(w, fmt.Sprintf("trace: cancelled after %s: %v", spent.Round(time.Millisecond), err), http.StatusServiceUnavailable)
		return
	}
	b, err := json.Marshal(TraceReply{
		Status:        "OK",
		Function:      "trace",
		MachineName:   t.MachineName,
		ExecutionTime: spent.Microseconds(),
		RequestedMs:   p.RequestedMs,
		MemoryMB:      p.MemoryMB,
		Mode:          p.Mode,
	})
	if err != nil {
		http.Error(w, "trace: encode reply: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// work spends the run time as the mode says, returning ctx's error if the
// request is cancelled first.
func work(ctx context.Context, p TraceParams, start time.Time, now func() time.Time) error {
	run := p.Run()
	if run <= 0 {
		return nil
	}
	if p.Mode == ModeSleep {
		timer := time.NewTimer(run - now().Sub(start))
		defer timer.Stop()
		select {
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	deadline := start.Add(run)
	x := uint32(start.UnixNano())
	for now().Before(deadline) {
		for i := 0; i < 4096; i++ {
			x = x*1664525 + 1013904223
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	runtime.KeepAlive(x) // the arithmetic above is the CPU work; keep it
	return nil
}
