package builtin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request headers that tell trace what to do. The first two are the names
// the vHive loader sends.
const (
	// HeaderRequestedCPU is the run time in milliseconds.
	HeaderRequestedCPU = "requested_cpu"
	// HeaderRequestedMemory is the memory to hold during the run, in MiB.
	HeaderRequestedMemory = "requested_memory"
	// HeaderTraceMode is ModeSpin (the default) or ModeSleep.
	HeaderTraceMode = "x-trace-mode"
)

// Limits on trace's parameters.
const (
	MaxTraceRun      = 15 * time.Minute
	MaxTraceMemoryMB = 64 << 10
)

// Mode says how trace spends its run time.
type Mode string

// Modes.
const (
	// ModeSpin burns the CPU for the run time.
	ModeSpin Mode = "spin"
	// ModeSleep sleeps for the run time.
	ModeSleep Mode = "sleep"
)

// TraceParams is what one trace request asks for.
type TraceParams struct {
	// RequestedMs is the run time in milliseconds.
	RequestedMs int64
	// MemoryMB is how much memory to allocate and touch for the run.
	MemoryMB int64
	Mode     Mode
}

// Run is the requested run time.
func (p TraceParams) Run() time.Duration { return time.Duration(p.RequestedMs) * time.Millisecond }

// ParseTraceParams reads trace's parameters from request headers. A missing
// header means 0 (or ModeSpin for the mode). The error wraps
// ErrBadTraceParam and names the header whose value is negative, not a
// whole number, above MaxTraceRun or MaxTraceMemoryMB, or an unknown mode.
func ParseTraceParams(h http.Header) (TraceParams, error) {
	var p TraceParams
	var err error
	if p.RequestedMs, err = headerInt(h, HeaderRequestedCPU, "milliseconds", MaxTraceRun.Milliseconds()); err != nil {
		return TraceParams{}, err
	}
	if p.MemoryMB, err = headerInt(h, HeaderRequestedMemory, "MiB", MaxTraceMemoryMB); err != nil {
		return TraceParams{}, err
	}
	switch m := strings.ToLower(strings.TrimSpace(headerValue(h, HeaderTraceMode))); m {
	case "", string(ModeSpin):
		p.Mode = ModeSpin
	case string(ModeSleep):
		p.Mode = ModeSleep
	default:
		return TraceParams{}, fmt.Errorf("%w: header %s: unknown mode %q (want %s or %s)", ErrBadTraceParam, HeaderTraceMode, m, ModeSpin, ModeSleep)
	}
	return p, nil
}

func headerInt(h http.Header, name, unit string, limit int64) (int64, error) {
	s := strings.TrimSpace(headerValue(h, name))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: header %s: %q is not a whole number of %s", ErrBadTraceParam, name, s, unit)
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: header %s: %d must not be negative", ErrBadTraceParam, name, n)
	}
	if n > limit {
		return 0, fmt.Errorf("%w: header %s: %d is above the limit of %d %s", ErrBadTraceParam, name, n, limit, unit)
	}
	return n, nil
}

// headerValue reads a header whatever the case its key was stored in.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}
