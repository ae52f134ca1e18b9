package loadgen

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MinuteRange is a range of trace minutes, both ends included; minute 0 is
// the first minute column of invocations.csv.
type MinuteRange struct{ First, Last int }

// ParseMinuteRange reads "A-B" or "A". The error wraps ErrBadPlan.
func ParseMinuteRange(s string) (MinuteRange, error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := first, error(nil)
	if isRange {
		last, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return MinuteRange{}, fmt.Errorf("%w: minutes %q: want FIRST-LAST (e.g. 0-29) or one minute, counting from 0", ErrBadPlan, s)
	}
	return MinuteRange{First: first, Last: last}, nil
}

func (r MinuteRange) String() string {
	if r.First == r.Last {
		return strconv.Itoa(r.First)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

// Count is the number of minutes in the range.
func (r MinuteRange) Count() int { return r.Last - r.First + 1 }

// PlanOptions say which part of a trace to replay and how.
type PlanOptions struct {
	// Minutes to replay.
	Minutes MinuteRange
	// Compress divides every time of the trace: 10 makes a minute last 6 s.
	// Run times are not compressed. Zero means 1.
	Compress float64
	// Distribution spreads each minute's calls; empty means IATExponential.
	Distribution IATDistribution
	// Seed seeds call times, run times and memory.
	Seed uint64
	// MaxRun caps each call's run time; zero means MaxTraceRunMs.
	MaxRun time.Duration
	// MaxRate, when above zero, bounds the calls sent per second of the run
	// (after compression): a token bucket holding one second's worth drops
	// the calls that find it empty. Dropped calls are counted, not sent.
	MaxRate float64
	// Warmup is a span of trace time (before compression) from the first
	// minute whose calls are sent but belong to the warm-up phase, left out
	// of the summary.
	Warmup time.Duration
}

// withDefaults fills zero fields and checks the options against a trace of
// the given number of minutes.
func (o PlanOptions) withDefaults(minutes int) (PlanOptions, error) {
	if o.Compress == 0 {
		o.Compress = 1
	}
	if o.Distribution == "" {
		o.Distribution = IATExponential
	}
	if o.MaxRun == 0 {
		o.MaxRun = MaxTraceRunMs * time.Millisecond
	}
	switch {
	case o.Minutes.First < 0 || o.Minutes.Last < o.Minutes.First:
		return o, fmt.Errorf("%w: minutes %s: want FIRST <= LAST, both at least 0", ErrBadPlan, o.Minutes)
	case o.Minutes.Last >= minutes:
		return o, fmt.Errorf("%w: minutes %s: the trace has minutes 0-%d", ErrBadPlan, o.Minutes, minutes-1)
	case math.IsNaN(o.Compress) || math.IsInf(o.Compress, 0) || o.Compress <= 0:
		return o, fmt.Errorf("%w: compression %v: want a finite number above 0", ErrBadPlan, o.Compress)
	case o.Distribution != IATExponential && o.Distribution != IATUniform && o.Distribution != IATEquidistant:
		return o, fmt.Errorf("%w: inter-arrival distribution %q: want %s, %s or %s", ErrBadPlan, o.Distribution,
			IATExponential, IATUniform, IATEquidistant)
	case o.MaxRun < time.Millisecond:
		return o, fmt.Errorf("%w: run-time cap %s: want at least 1ms", ErrBadPlan, o.MaxRun)
	case math.IsNaN(o.MaxRate) || math.IsInf(o.MaxRate, 0) || o.MaxRate < 0:
		return o, fmt.Errorf("%w: max rate %v: want a finite number >= 0 (0: no bound)", ErrBadPlan, o.MaxRate)
	case o.Warmup < 0:
		return o, fmt.Errorf("%w: warm-up %s: must not be negative", ErrBadPlan, o.Warmup)
	}
	return o, nil
}

// PlanFunction is one function a plan deploys and calls.
type PlanFunction struct {
	// Name is its WaveLink name (see TraceFunctionNames).
	Name    string `json:"name"`
	Hash    string `json:"hash"`
	Trigger string `json:"trigger"`
	// MemoryMB is the most memory one of its calls asks for: the 100th
	// percentile of memory.csv (AverageAllocatedMb_pct100), rounded up.
	MemoryMB int `json:"memoryMB"`
	// Calls is its number of calls in the replayed minutes (before any are
	// dropped for the max rate).
	Calls int `json:"calls"`
}

// TraceCall is one call of a plan.
type TraceCall struct {
	// Function indexes Plan.Functions.
	Function int
	// Minute is the trace minute the call belongs to; Index its position
	// among the function's calls in that minute.
	Minute, Index int
	// At is when it is sent, from the start of the run (compressed).
	At time.Duration
	// TraceAt is its time in the trace, from the start of the first
	// replayed minute (not compressed).
	TraceAt time.Duration
	// RunMs and MemoryMB are what it asks trace for.
	RunMs, MemoryMB int
	// Warmup marks a call of the warm-up phase.
	Warmup bool
}

// InvocationID names the call as the vHive loader does: "min<M>.inv<I>",
// unique within its function.
func (c TraceCall) InvocationID() string {
	return "min" + strconv.Itoa(c.Minute) + ".inv" + strconv.Itoa(c.Index)
}

// Plan is everything a trace run sends, computed before it starts.
type Plan struct {
	// Source names the trace.
	Source string
	// Options are the options the plan was made with, defaults filled in.
	Options PlanOptions
	// Functions are the trace's functions with at least one call in the
	// replayed minutes, in the trace's order.
	Functions []PlanFunction
	// Calls are in the order they are sent (by At).
	Calls []TraceCall
	// Dropped counts calls left out for the max rate.
	Dropped int
	// Duration is how long the replayed minutes last after compression.
	Duration time.Duration
}

// BuildPlan computes the calls of a replay: per function and minute, that
// minute's count of calls spread with the inter-arrival distribution; per
// call, a run time and memory drawn by inverse CDF from the percentile
// columns. It is a pure function of the trace and options: the same seed
// gives the same plan. The error wraps ErrBadPlan.
func BuildPlan(t *Trace, o PlanOptions) (*Plan, error) {
	if t == nil || len(t.Functions) == 0 {
		return nil, fmt.Errorf("%w: no trace functions", ErrBadPlan)
	}
	o, err := o.withDefaults(t.Minutes)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, f := range t.Functions {
		total += f.Calls(o.Minutes.First, o.Minutes.Last)
	}
	if total > MaxArrivals {
		return nil, fmt.Errorf("%w: minutes %s hold %d calls, more than the %d one run may hold", ErrBadPlan, o.Minutes, total, MaxArrivals)
	}
	hashes := make([]string, len(t.Functions))
	for i, f := range t.Functions {
		hashes[i] = f.Hash
	}
	names, err := TraceFunctionNames(hashes)
	if err != nil {
		return nil, err
	}
	p := &Plan{Source: t.Source, Options: o, Calls: make([]TraceCall, 0, total),
		Duration: time.Duration(float64(o.Minutes.Count()) * float64(time.Minute) / o.Compress)}
	maxRunMs := int(o.MaxRun / time.Millisecond)
	for i, f := range t.Functions {
		n := f.Calls(o.Minutes.First, o.Minutes.Last)
		if n == 0 {
			continue
		}
		fi := len(p.Functions)
		p.Functions = append(p.Functions, PlanFunction{Name: names[i], Hash: f.Hash, Trigger: f.Trigger,
			MemoryMB: int(math.Ceil(max(f.Memory.MaxMB(), MinTraceMemoryMB))), Calls: n})
		iat, spec := functionRands(o.Seed, f.Hash)
		for m := o.Minutes.First; m <= o.Minutes.Last; m++ {
			base := time.Duration(m-o.Minutes.First) * time.Minute
			for k, off := range MinuteOffsets(iat, f.PerMinute[m], o.Distribution) {
				traceAt := base + off
				p.Calls = append(p.Calls, TraceCall{
					Function: fi, Minute: m, Index: k,
					At: time.Duration(float64(traceAt) / o.Compress), TraceAt: traceAt,
					RunMs:    min(f.Duration.RunTimeMs(spec.Float64()), maxRunMs),
					MemoryMB: f.Memory.MemoryMB(spec.Float64()),
					Warmup:   traceAt < o.Warmup,
				})
			}
		}
	}
	slices.SortStableFunc(p.Calls, func(a, b TraceCall) int { return cmp.Compare(a.At, b.At) })
	if o.MaxRate > 0 {
		p.Calls, p.Dropped = thin(p.Calls, o.MaxRate)
	}
	return p, nil
}

// functionRands returns a function's two generators, one for call times and
// one for run time and memory, seeded by the run's seed and its hash.
func functionRands(seed uint64, hash string) (iat, spec *rand.Rand) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(hash))
	k := h.Sum64()
	return rand.New(rand.NewPCG(seed, k)), rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, k))
}

// thin drops the calls (sorted by At) that find a token bucket of rate
// tokens per second, holding at most max(rate, 1) tokens and starting full,
// empty; it returns the calls kept and how many it dropped.
func thin(calls []TraceCall, rate float64) ([]TraceCall, int) {
	capacity := max(rate, 1)
	tokens := capacity
	var last time.Duration
	kept := calls[:0]
	dropped := 0
	for _, c := range calls {
		tokens = min(capacity, tokens+(c.At-last).Seconds()*rate)
		last = c.At
		if tokens < 1 {
			dropped++
			continue
		}
		tokens--
		kept = append(kept, c)
	}
	return kept, dropped
}

// Warmups counts the plan's warm-up calls.
func (p *Plan) Warmups() int {
	n := 0
	for _, c := range p.Calls {
		if c.Warmup {
			n++
		}
	}
	return n
}
